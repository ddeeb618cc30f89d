/* trialbuzz embed.js: attention badges for trials on any page. Renders every .trialbuzz-embed
   element (and .altmetric-embed elements with data-nct-id when the script tag carries
   data-trialbuzz), fetching every badge of the page in one request to this server and nowhere
   else. Each badge lives in its own shadow root with a constructable stylesheet, so page CSS
   and ours never meet. Text from other people (trial titles) is set with textContent only,
   links only when http(s); no innerHTML anywhere. The server fills in the configuration
   placeholder (its address, the kinds' labels and colours) and puts embed_badge.js (how one
   badge is drawn) in place of the TRIALBUZZ_BADGE one. ES2017 without template literals. */
(function () {
  "use strict";

  var CONFIG = /*TRIALBUZZ_CONFIG*/null;
  if (window.trialbuzz && typeof window.trialbuzz.embed === "function") {
    // Loaded twice: the first copy does the work.
    window.trialbuzz.embed();
    return;
  }
  var script = document.currentScript;
  var BASE = (CONFIG && CONFIG.base) || (script && script.src ? new URL(script.src).origin : "");
  var KINDS = (CONFIG && CONFIG.kinds) || [];
  var EMPTY = (CONFIG && CONFIG.empty) || "#C8CCD2";
  var ALTMETRIC = Boolean(script && script.hasAttribute("data-trialbuzz"));
  var SVG = "http://www.w3.org/2000/svg";
  var MAX_IDS = 50;
  // Trials still looked up or collected: asked for again after these waits, then left as drawn.
  var RETRY_MS = [2000, 3000, 5000, 8000, 13000, 21000];
  var TYPES = ["donut", "medium-donut", "large-donut", "1", "2", "4", "bar", "medium-bar",
               "large-bar"];
  var POPOVERS = ["left", "right", "top", "bottom"];
  var cache = {};               // NCT ID -> entry of the batch API
  var inflight = {};            // NCT ID -> Promise of the request asking for it
  var done = new WeakMap();     // element -> signature of what was drawn in it
  var roots = new WeakMap();    // element -> its shadow root
  var displays = new WeakMap(); // element -> its inline display before we hid it
  var polling = {};             // NCT ID -> elements waiting for its finished figures
  var sheet = null;

  function normalize(raw) {
    var match = /^\s*NCT(\d{8})\s*$/i.exec(raw || "");
    return match && match[1] !== "00000000" ? "NCT" + match[1] : null;
  }

  function httpUrl(value) {
    try {
      var url = new URL(value);
      return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
    } catch (error) {
      return null;
    }
  }

  function selector() {
    return ALTMETRIC ? ".trialbuzz-embed, .altmetric-embed[data-nct-id]" : ".trialbuzz-embed";
  }

  function flag(el, name, cls) {
    var value = el.getAttribute("data-" + name);
    if (value !== null) {
      return value !== "false" && value !== "0";
    }
    return hasClass(el, cls);
  }

  function hasClass(el, suffix) {
    return el.classList.contains("trialbuzz-" + suffix) || el.classList.contains("altmetric-" + suffix);
  }

  // Altmetric also reads options from classes, for platforms that strip data- attributes.
  function fromClass(el, prefix, allowed) {
    for (var i = 0; i < allowed.length; i += 1) {
      if (hasClass(el, prefix + allowed[i])) {
        return allowed[i];
      }
    }
    return null;
  }

  function options(el) {
    var type = el.getAttribute("data-badge-type") || fromClass(el, "badge-type-", TYPES) || "donut";
    var popover = el.getAttribute("data-badge-popover") || fromClass(el, "badge-popover-", POPOVERS);
    var less = parseFloat(el.getAttribute("data-hide-less-than"));
    var target = el.getAttribute("data-link-target");
    return {
      type: TYPES.indexOf(type) >= 0 ? type : "donut",
      popover: POPOVERS.indexOf(popover) >= 0 ? popover : null,
      details: el.getAttribute("data-badge-details") === "right" || hasClass(el, "badge-details-right"),
      hideNoMentions: flag(el, "hide-no-mentions", "hide-no-mentions"),
      hideLessThan: isFinite(less) ? less : null,
      target: target && /^[\w-]{1,32}$/.test(target) ? target : null,
      condensed: flag(el, "condensed", "condensed"),
      noScore: flag(el, "no-score", "no-score"),
      mono: flag(el, "monochrome", "monochrome")
    };
  }

  function signature(el, id) {
    var o = options(el);
    return [id, o.type, o.popover, o.details, o.hideNoMentions, o.hideLessThan, o.target,
            o.condensed, o.noScore, o.mono].join("|");
  }

  function collect(scope) {
    var found = [];
    var scopes = typeof scope === "string" ? document.querySelectorAll(scope) :
      (scope && typeof scope.length === "number" && !scope.nodeType ? scope : [scope || document]);
    Array.prototype.forEach.call(scopes, function (node) {
      if (node.nodeType === 1 && node.matches(selector())) {
        found.push(node);
      }
      if (node.querySelectorAll) {
        Array.prototype.push.apply(found, node.querySelectorAll(selector()));
      }
    });
    return found.filter(function (el, index) { return found.indexOf(el) === index; });
  }

  function request(ids, again) {
    var url = BASE + "/api/v1/badges?ids=" + ids.join(",");
    // Asked again: revalidate rather than reuse the unfinished answer the browser keeps.
    var promise = fetch(url, { credentials: "omit", mode: "cors",
                               cache: again ? "no-cache" : "default" }).then(function (response) {
      if (!response.ok) {
        throw new Error("trialbuzz: the badge request failed (" + response.status + ")");
      }
      return response.json();
    }).then(function (data) {
      (data.trials || []).forEach(function (entry, index) {
        cache[ids[index]] = entry;
      });
    }).catch(function (error) {
      if (window.console) {
        window.console.warn(error.message || error);
      }
    }).then(function () {
      ids.forEach(function (id) { delete inflight[id]; });
    });
    ids.forEach(function (id) { inflight[id] = promise; });
    return promise;
  }

  function load(ids, again) {
    var missing = ids.filter(function (id) { return !cache[id] && !inflight[id]; });
    for (var start = 0; start < missing.length; start += MAX_IDS) {
      request(missing.slice(start, start + MAX_IDS), again);
    }
    return Promise.all(ids.map(function (id) { return inflight[id]; }));
  }

  function embed(scope, settings) {
    var wanted = [];
    collect(scope).forEach(function (el) {
      var raw = el.getAttribute("data-nct-id");
      var id = normalize(raw);
      if (!id) {
        if (done.get(el) !== "invalid:" + raw) {
          hide(el, null, "invalid_nct_id");
          done.set(el, "invalid:" + raw);
        }
        return;
      }
      if (done.get(el) !== signature(el, id)) {
        wanted.push({ el: el, id: id });
      }
    });
    var ids = wanted.map(function (w) { return w.id; }).filter(function (id, i, all) {
      return all.indexOf(id) === i;
    });
    if (settings && settings.watch) {
      watch(scope);
    }
    return load(ids).then(function () {
      var fresh = [];
      wanted.forEach(function (w) {
        var entry = cache[w.id];
        render(w.el, w.id, entry);
        if (unfinished(entry)) {
          if (!polling[w.id]) {
            polling[w.id] = [];
            fresh.push(w.id);
          }
          polling[w.id].push(w.el);
        }
      });
      if (fresh.length) {
        poll(fresh, 0);
      }
    });
  }

  function unfinished(entry) {
    return !!entry && (entry.pending || entry.state === "collecting");
  }

  // Badges drawn while their trial is looked up or collected are redrawn when it is done:
  // one batch request per round for every such trial, at most RETRY_MS.length rounds.
  function poll(ids, attempt) {
    window.setTimeout(function () {
      ids.forEach(function (id) { delete cache[id]; });
      load(ids, true).then(function () {
        var again = [];
        ids.forEach(function (id) {
          var entry = cache[id];
          var more = (!entry || unfinished(entry)) && attempt + 1 < RETRY_MS.length;
          var els = polling[id].filter(function (el) { return el.isConnected; });
          if (more) {
            again.push(id);
            polling[id] = els;
          } else {
            delete polling[id];
          }
          if (entry) {
            els.forEach(function (el) { render(el, id, entry); });
          }
        });
        if (again.length) {
          poll(again, attempt + 1);
        }
      });
    }, RETRY_MS[attempt]);
  }

  function watch(scope) {
    var node = typeof scope === "string" ? document.querySelector(scope) : (scope || document);
    var timer = null;
    var observer = new MutationObserver(function () {
      if (timer === null) {
        timer = window.setTimeout(function () { timer = null; embed(node); }, 0);
      }
    });
    observer.observe(node, { childList: true, subtree: true, attributes: true,
      attributeFilter: ["class", "data-nct-id", "data-badge-type", "data-badge-popover",
                        "data-badge-details", "data-hide-no-mentions", "data-hide-less-than",
                        "data-condensed", "data-no-score", "data-link-target", "data-monochrome"] });
    return { stop: function () { observer.disconnect(); } };
  }

  function dispatch(el, name, detail) {
    el.dispatchEvent(new CustomEvent("trialbuzz:" + name, { bubbles: true, detail: detail }));
    if (ALTMETRIC && el.classList.contains("altmetric-embed")) {
      el.dispatchEvent(new CustomEvent("altmetric:" + name, { bubbles: true, detail: detail }));
    }
  }

  function shadowFor(el) {
    var root = roots.get(el);
    if (!root) {
      try {
        root = el.attachShadow({ mode: "open" });
      } catch (error) {
        // Elements that cannot host a shadow root (or already do) get a span that can.
        var holder = document.createElement("span");
        el.appendChild(holder);
        root = holder.attachShadow({ mode: "open" });
      }
      roots.set(el, root);
      if (root.adoptedStyleSheets !== undefined && window.CSSStyleSheet) {
        try {
          sheet = sheet || new CSSStyleSheet();
          if (!sheet.cssRules.length) {
            sheet.replaceSync(CSS);
          }
          root.adoptedStyleSheets = [sheet];
        } catch (error) {
          sheet = null;
        }
      }
    }
    while (root.firstChild) {
      root.removeChild(root.firstChild);
    }
    if (!root.adoptedStyleSheets || !root.adoptedStyleSheets.length) {
      var style = document.createElement("style");
      style.textContent = CSS;
      root.appendChild(style);
    }
    return root;
  }

  function hide(el, id, reason) {
    if (roots.get(el)) {
      shadowFor(el);
    }
    if (!displays.has(el)) {
      displays.set(el, el.style.display);
    }
    el.style.display = "none";
    done.set(el, id ? signature(el, id) : null);
    dispatch(el, "hide", { nctId: id, reason: reason });
  }

  function show(el, id, entry) {
    if (displays.has(el)) {
      el.style.display = displays.get(el);
      displays.delete(el);
    }
    done.set(el, signature(el, id));
    dispatch(el, "show", { nctId: id, score: entry.score || 0 });
  }

  /*TRIALBUZZ_BADGE*/

  window.trialbuzz = { embed: embed, watch: watch, version: "1" };
  if (ALTMETRIC && typeof window._altmetric_embed_init !== "function") {
    // Pages written for Altmetric's script re-scan through this name.
    window._altmetric_embed_init = function (scope) { return embed(scope); };
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { embed(document); });
  } else {
    embed(document);
  }
}());
