/* trialbuzz extension: where a page names trials. Pure functions of a page's address and DOM,
   run in the browser only (nothing here talks to any server). Loaded as the first content
   script and shared with content.js through the global trialbuzzScan.
   ES2017 without template literals. */
var trialbuzzScan = (function () {
  "use strict";

  var ID = /(^|[^A-Za-z0-9])(NCT[0-9]{8})(?![A-Za-z0-9])/gi;
  // Never read: code, form fields, editable text, and trialbuzz's own elements.
  var SKIP = "script, style, noscript, template, textarea, input, select, option, svg, " +
    "[contenteditable=''], [contenteditable='true'], [data-trialbuzz], #trialbuzz-overlay-host";
  // ClinicalTrials.gov study pages of every generation: /study/ID (current site),
  // /ct2/show/ID with its record and results tabs (classic site, and the old redirects).
  // Search results (/search?term=…, /ct2/results?cond=…) are not study pages.
  var CTGOV_HOST = /^(?:www\.|classic\.|beta\.)?clinicaltrials\.gov$/i;
  var CTGOV_STUDY =
    /^\/(?:study|ct2\/show(?:\/(?:record|results|study))?)\/(NCT[0-9]{8})(?:[/?#]|$)/i;
  var PUBMED_HOST = /^pubmed\.ncbi\.nlm\.nih\.gov$/i;
  var PUBMED_ABSTRACT = /^\/[0-9]+\/?$/;
  // On a PubMed abstract, trials named by the similar, citing or cited articles are other
  // articles' trials: only the abstract, its databank links and the rest of the record count.
  var PUBMED_OTHERS = "#similar, #citedby, #references, .similar-articles, .cited-by, " +
    ".references-list";

  function valid(id) {
    return id !== "NCT00000000";
  }

  // The NCT IDs in a text, upper-cased, without repeats, in the order they appear.
  function idsIn(text) {
    var found = [];
    var match;
    ID.lastIndex = 0;
    while ((match = ID.exec(String(text || ""))) !== null) {
      var id = match[2].toUpperCase();
      if (valid(id) && found.indexOf(id) < 0) found.push(id);
    }
    return found;
  }

  function parse(href) {
    try {
      return new URL(href);
    } catch (e) {
      return null;
    }
  }

  // "study" (a registry record: its ID is in the address), "pubmed" (an abstract) or "page".
  function pageKind(href) {
    var url = parse(href);
    if (!url) return "page";
    if (CTGOV_HOST.test(url.hostname) && CTGOV_STUDY.test(url.pathname)) return "study";
    if (PUBMED_HOST.test(url.hostname) && PUBMED_ABSTRACT.test(url.pathname)) return "pubmed";
    return "page";
  }

  // The trial a ClinicalTrials.gov study page is about, from its address; null elsewhere.
  function studyId(href) {
    var url = parse(href);
    if (!url || pageKind(href) !== "study") return null;
    var id = CTGOV_STUDY.exec(url.pathname)[1].toUpperCase();
    return valid(id) ? id : null;
  }

  // Where each trial is first named in `root`, in document order: after the link that names
  // it (in its address or its text), or right after its ID in a text node.
  function mentions(root, href) {
    var skip = SKIP + (pageKind(href) === "pubmed" ? ", " + PUBMED_OTHERS : "");
    var found = [];
    var seen = {};
    var doc = root.ownerDocument || root;
    var walker = doc.createTreeWalker(root, 5 /* SHOW_ELEMENT | SHOW_TEXT */, {
      acceptNode: function (node) {
        // Rejecting an element skips everything inside it.
        return node.nodeType === 1 && node.matches(skip) ? 2 : 1;
      }
    });
    var add = function (id, mention) {
      if (seen[id]) return;
      seen[id] = true;
      mention.id = id;
      found.push(mention);
    };
    for (var node = walker.nextNode(); node; node = walker.nextNode()) {
      if (node.nodeType === 1) {
        if (node.tagName === "A" && node.hasAttribute("href")) {
          idsIn(safeDecode(node.getAttribute("href"))).forEach(function (id) {
            add(id, { after: node });
          });
        }
        continue;
      }
      var text = node.nodeValue;
      if (text.length < 11) continue;
      var link = node.parentElement &&
        node.parentElement.closest("a[href], button, label, summary");
      ID.lastIndex = 0;
      var match;
      while ((match = ID.exec(text)) !== null) {
        var id = match[2].toUpperCase();
        if (!valid(id)) continue;
        // Inside a link or a control the badge goes after it: clicking it never follows the link.
        add(id, link ? { after: link } : { text: node, end: match.index + match[0].length });
      }
    }
    return found;
  }

  function safeDecode(value) {
    try {
      return decodeURIComponent(value);
    } catch (e) {
      return value;
    }
  }

  // Everything the page names: the study page's own trial first, then mentions in order.
  function scan(doc, href, limit) {
    var list = mentions(doc.body || doc.documentElement, href);
    var ids = [];
    var study = studyId(href);
    if (study) ids.push(study);
    list.forEach(function (m) { if (ids.indexOf(m.id) < 0) ids.push(m.id); });
    return { ids: ids.slice(0, limit || 50), mentions: list, kind: pageKind(href) };
  }

  return { idsIn: idsIn, pageKind: pageKind, studyId: studyId, mentions: mentions, scan: scan };
}());
