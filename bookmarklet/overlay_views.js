/* trialbuzz overlay, part 2 of 3: the views of the Overlay (overlay.js): loading, a trial, the
   list of trials on the page, no ID, unreachable, errors. Built from DOM nodes only. */
/* global Overlay */

// -- views --------------------------------------------------------------------------------------

// Redraws the content; focus inside it goes back to the element with the same data-key
// (or the heading), so a poll never throws a keyboard user out of the panel.
Overlay.prototype.render = function (eyebrow, heading, status, busy, nodes, moveFocus) {
  var focused = this.root.activeElement;
  var inside = !!focused && this.body.contains(focused);
  var key = inside && focused.getAttribute("data-key");
  this.eyebrow.textContent = eyebrow || "";
  this.heading.textContent = heading;
  if (this.status.textContent !== status) this.status.textContent = status;
  this.status.className = "status" + (busy ? " busy" : "");
  while (this.body.firstChild) this.body.removeChild(this.body.firstChild);
  append(this.body, nodes);
  if (this.page) document.title = heading + " · trialbuzz";
  if (key) {
    var same = [].filter.call(this.body.querySelectorAll("[data-key]"), function (node) {
      return node.getAttribute("data-key") === key;
    })[0];
    if (same) return same.focus({ preventScroll: true });
  }
  if (moveFocus || inside) {
    this.heading.focus({ preventScroll: true });
  }
};

Overlay.prototype.loading = function (id) {
  this.render(id || "", id ? "Looking up " + id : "Looking up the trials on this page",
              this.docs[id] && this.docs[id].pending
                ? "Looking this trial up on ClinicalTrials.gov…" : "Loading attention…",
              true, [], false);
};

Overlay.prototype.showNoId = function () {
  var ask = this.url && safeUrl(this.url);
  this.render("", "No trial found on this page", "No NCT ID on this page.", false, [
    el("p", {}, ["trialbuzz looks for NCT numbers, such as NCT04280705, in the page's address, ",
                 "its links and its text, and found none",
                 this.title ? [" on “", el("cite", {}, this.title), "”."] : "."]),
    el("p", { "class": "meta" }, "Hint: open the trial's study page on ClinicalTrials.gov, or a " +
       "page that names the trial, then click the bookmarklet again."),
    ask ? el("p", {}, link(this.base + "/?q=" + encodeURIComponent(ask),
                           "Ask trialbuzz to read this page itself")) : null
  ], false);
};

Overlay.prototype.showUnreachable = function () {
  var self = this;
  var retry = el("button", { type: "button", "class": "retry", "data-key": "retry" }, "Try again");
  retry.addEventListener("click", function () {
    self.loading(self.ids.length === 1 ? self.ids[0] : null);
    self.load(null);
  });
  this.render("", "Can't reach trialbuzz", "The trialbuzz server did not answer.", false, [
    el("p", { "class": "notice error" }, [
      "The trialbuzz server at ", el("code", {}, this.base),
      " did not answer. Check your connection, then try again."
    ]),
    retry
  ], false);
};

Overlay.prototype.showError = function (id, message) {
  var nodes = [el("p", { "class": "notice error" }, message)];
  if (id) nodes.push(this.backButton(), this.otherTrials(id), this.footer({ nct_id: id }));
  this.render(id || "", id || "Something went wrong", message, false, nodes, false);
};

Overlay.prototype.backButton = function () {
  var self = this;
  var count = this.payload ? (this.payload.nct_ids || []).length : 0;
  if (count < 2 || this.payload.primary === this.current) return null;
  var back = el("button", { type: "button", "class": "back", "data-key": "back" },
                "← All " + count + " trials on this page");
  back.addEventListener("click", function () { self.showList(true); });
  return back;
};

Overlay.prototype.showTrial = function (id, moveFocus) {
  var self = this;
  var doc = this.docs[id];
  this.current = id;
  if (doc && doc.error) {
    return this.showError(id, doc.error.message || "This trial could not be looked up.");
  }
  if (!complete(doc)) {
    // One ID alone makes it the primary: the server waits for its attention.
    this.loading(id);
    return this.ask("ids=" + id).then(function (answer) {
      if (self.closed || self.current !== id) return;
      if (answer.e) return self.showUnreachable();
      if (answer.s !== 200) return self.showError(id, errorMessage(answer));
      self.remember(answer.j.trials || []);
      self.showTrial(id, moveFocus);
    });
  }
  var busy = collecting(doc);
  this.render(doc.nct_id + (doc.acronym ? " · " + doc.acronym : ""), doc.title || doc.nct_id,
              busy ? progress(doc) + "."
                : partial(doc) ? coverageLine(doc)
                  : doc.stale ? "Being refreshed: these are the figures of the last check."
                    : "Updated " + dateLabel(doc.updated_at) + ".",
              busy || !!doc.stale, this.trialNodes(doc), moveFocus);
  if (!busy && doc.stale && this.watching !== id) {
    this.watching = id;
    this.refreshStale(id, 0);
  }
};

// A stale document is served at once while the server refreshes it; look again shortly.
Overlay.prototype.refreshStale = function (id, tries) {
  var self = this;
  if (tries >= STALE_TRIES) return;
  this.later(function () {
    if (self.current !== id) {
      self.watching = null;
      return;
    }
    self.ask("ids=" + id).then(function (answer) {
      var doc = answer.j && (answer.j.trials || [])[0];
      if (self.closed || answer.e || answer.s !== 200 || !complete(doc)) return;
      self.docs[id] = doc;
      if (doc.stale) return self.refreshStale(id, tries + 1);
      self.watching = null;
      if (self.current === id) self.showTrial(id, false);
    });
  }, STALE_MS);
};

Overlay.prototype.trialNodes = function (doc) {
  var facts = [statusLabel(doc.status), phaseLabel(doc.phases)].filter(Boolean).join(" · ");
  var mentions = Array.isArray(doc.mentions) ? doc.mentions : [];
  return [
    facts ? el("p", { "class": "meta" }, facts) : null,
    summaryNode(doc),
    factsNode(doc),
    mentions.length ? mentionsNodes(doc, mentions)
      : collecting(doc) ? el("p", { "class": "notice" }, "Nothing found so far; the other " +
                             "sources are still being asked.")
        : partial(doc) ? el("p", { "class": "notice" }, "Nothing found so far, but not every " +
                            "source has answered: " + coverageLine(doc))
          : noAttentionNode(doc),
    this.backButton(), this.otherTrials(doc.nct_id), this.footer(doc)
  ];
};

// The donut beside the score and the count of each kind.
function summaryNode(doc) {
  var items = kindCounts(doc);
  var legend = items.length
    ? el("ul", { "class": "kinds", "aria-label": "Mentions by kind" }, items.map(function (item) {
      return el("li", {}, [swatch(item.color), el("span", {}, item.label),
                           el("span", { "class": "n" }, figure(item.count))]);
    }))
    : el("p", { "class": "meta" }, collecting(doc) ? "Nothing found so far."
      : partial(doc) ? "Nothing found by the sources that answered."
        : "No news, posts or pages mention it yet.");
  return el("div", { "class": "summary" }, [
    donut(doc, 72),
    el("div", { "class": "legend" }, [
      el("div", { "class": "score-label" },
         ["Attention score ", el("strong", {}, figure(doc.score))]),
      contextNode(doc),
      legend
    ])
  ]);
}

// Where the score stands: among every tracked trial, and among its cohort.
function contextNode(doc) {
  var overall = contextWords(doc.context, false);
  if (!overall) {
    return null;
  }
  var cohort = contextWords(doc.context, true);
  return el("p", { "class": "context" },
            overall.charAt(0).toUpperCase() + overall.slice(1) + (cohort ? "; " + cohort : ""));
}

// Results on the registry, papers, and Altmetric's score when the server has a key.
function factsNode(doc) {
  var papers = doc.publications || {};
  var rows = [
    ["Results", (doc.has_results ? "Posted" : "None posted") + " on ClinicalTrials.gov"],
    doc.reporting ? ["Reporting", reportingLine(doc.reporting)] : null,
    ["Papers", [plural(number(papers.total), "paper", "papers"),
                number(papers.results) ? figure(papers.results) + " reporting results" : "",
                number(papers.preprints) ? plural(number(papers.preprints), "preprint", "preprints")
                  : ""].filter(Boolean).join(", ")]
  ];
  var altmetric = doc.altmetric;
  if (altmetric && typeof altmetric.score === "number") {
    rows.push(["Altmetric", [figure(altmetric.score), " · ",
                             link(altmetric.details_url,
                                  altmetric.attribution || "Data from Altmetric")]]);
  }
  return el("dl", {}, rows.filter(Boolean).map(function (row) {
    return [el("dt", {}, row[0]), el("dd", {}, row[1])];
  }));
}

// Where the results stand against the (estimated) FDAAA deadline, in one line.
function reportingLine(r) {
  var days = function (n) { return number(n).toLocaleString("en") + (n === 1 ? " day" : " days"); };
  var pc = r.primary_completion || {};
  var done = pc.date ? "primary completion " + pc.date + (pc.estimated ? " (estimated)" : "") : "";
  var due = r.due ? "due " + r.due + " (estimate)" : "";
  var lines = {
    posted: "Posted" + (r.due && r.days_late === 0 ? " on time" : ""),
    posted_late: "Posted late: submitted " + days(r.days_late) + " after the estimated due date",
    overdue: "Overdue by " + days(r.days_late),
    not_due: "Not due yet",
    not_applicable: "No deadline: probably not covered by US law",
    unknown: "Deadline unknown"
  };
  var line = lines[r.status] || lines.unknown;
  return [line, r.status === "overdue" || r.status === "not_due" ? due : "", done]
    .filter(Boolean).join(" · ");
}

// Corrections, retractions and expressions of concern are listed, marked, never counted.
var NOTICES = {
  correction: "Correction (not counted)",
  retraction: "Retraction notice (not counted)",
  expression_of_concern: "Expression of concern (not counted)"
};

function noticeLabel(kind) {
  return Object.prototype.hasOwnProperty.call(NOTICES, kind) ? NOTICES[kind] : null;
}

function mentionsNodes(doc, mentions) {
  var total = number(doc.mentions_total);
  return [
    el("h3", {}, "Latest mentions" +
       (total > mentions.length ? " (" + figure(mentions.length) + " of " + figure(total) + ")"
         : "")),
    el("ul", { "class": "mentions" }, mentions.map(function (m) {
      var kind = CONFIG.kinds[m.kind] || { label: String(m.kind || ""), color: CONFIG.empty };
      var meta = [noticeLabel(m.notice), m.outlet || sourceName(doc, m.source), m.author,
                  dateLabel(m.published_at)];
      // Kinds outside the ring (papers) get a hollow mark: the donut has no colour for them.
      var mark = CONFIG.ring.indexOf(m.kind) >= 0 ? swatch(kind.color)
        : el("span", { "class": "swatch apart", "aria-hidden": "true" });
      return el("li", {}, [
        link(m.url, m.title || m.url || "Untitled", { "class": "title" }),
        el("span", { "class": "meta" }, [mark,
                                         el("span", { "class": "sr" }, kind.label + ": "),
                                         meta.filter(Boolean).join(" · ")])
      ]);
    }))
  ];
}

// "No attention yet" says which sources were asked, so that the empty answer can be trusted.
function noAttentionNode(doc) {
  var checked = (doc.sources || []).filter(function (s) { return s.status !== "disabled"; });
  return el("div", { "class": "notice" }, [
    el("p", {}, "No attention found yet. Sources checked:"),
    el("ul", { "class": "sources" }, checked.map(function (s) {
      return el("li", {}, (s.name || CONFIG.sources[s.id] || s.id) + " (" +
                sourceStatus(s.status) + ")");
    }))
  ]);
}

Overlay.prototype.footer = function (doc) {
  var study = doc.url || "https://clinicaltrials.gov/study/" + doc.nct_id;
  var details = doc.details_url || this.base + "/trial/" + doc.nct_id;
  return el("p", { "class": "links" }, [
    link(details, "Details on trialbuzz", { "data-key": "details" }),
    link(study, "Study record", { "data-key": "study" })
  ]);
};

Overlay.prototype.otherTrials = function (shown) {
  var ids = this.payload ? (this.payload.nct_ids || []) : [];
  var others = ids.filter(function (id) { return id !== shown; });
  if (!others.length || !this.payload.primary || shown !== this.payload.primary) return null;
  return el("section", { "aria-label": "Other trials on this page" }, [
    el("h3", {}, "Also on this page"), this.trialList(others)
  ]);
};

// The longest run of whole words every title starts with, when it is long enough to hide
// what tells the trials apart ("Remdesivir in Hospitalized Adults With Severe COVID-19: ").
function sharedStart(titles) {
  if (titles.length < 2) return "";
  var start = titles.reduce(function (common, title) {
    var n = 0;
    while (n < common.length && n < title.length && common[n] === title[n]) n++;
    return common.slice(0, n);
  });
  start = start.slice(0, start.lastIndexOf(" ") + 1);
  return start.length >= 16 ? start : "";
}

// A title in the chooser: its distinct part after "…" when the titles share their start,
// the shared words kept for screen readers.
function pickTitle(title, shared) {
  if (!shared || title.indexOf(shared) !== 0 || title.length === shared.length) return title;
  return [el("span", { "class": "sr" }, shared), el("span", { "aria-hidden": "true" }, "…"),
          title.slice(shared.length)];
}

Overlay.prototype.trialList = function (ids) {
  var self = this;
  var titles = ids.map(function (id) {
    var doc = self.docs[id];
    return doc && complete(doc) && typeof doc.title === "string" ? doc.title : null;
  });
  var shared = sharedStart(titles.filter(Boolean));
  // The shared start is shown once above (screen readers hear it in every title instead).
  var note = shared ? el("p", { "class": "meta", "aria-hidden": "true" },
                         "Every title starts “" + shared.trim() + " …”") : null;
  return [note, el("ul", { "class": "trials" }, ids.map(function (id, index) {
    var doc = self.docs[id] || { nct_id: id, pending: true };
    var line = doc.error ? doc.error.message || "Not found"
      : doc.pending ? "Looking this trial up on ClinicalTrials.gov…"
        : titles[index] ? pickTitle(titles[index], shared) : doc.title || id;
    var pick = el("button", { type: "button", "class": "pick", "data-key": id }, [
      el("span", { "class": "id" }, id),
      el("span", { "class": "ttl" }, line),
      el("span", { "class": "sc" }, complete(doc) ? [el("span", { "class": "sr" }, "score "),
                                                    figure(doc.score)] : "")
    ]);
    pick.addEventListener("click", function () { self.showTrial(id, true); });
    return el("li", {}, pick);
  }))];
};

Overlay.prototype.showList = function (moveFocus) {
  var ids = this.payload.nct_ids || [];
  var waiting = ids.filter(function (id) {
    var doc = this.docs[id];
    return doc && (doc.pending || collecting(doc));
  }, this);
  this.current = null;
  this.render("", plural(ids.length, "trial", "trials") + " named on this page",
              waiting.length ? "Collecting the attention of " +
                plural(waiting.length, "trial", "trials") + "…"
                : "Choose a trial to see its attention.",
              waiting.length > 0, [this.trialList(ids)], moveFocus);
};
