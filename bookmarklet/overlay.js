/* trialbuzz overlay, part 3 of 3: the Overlay itself, opened by the bookmarklet on any page
   (window.trialbuzzOverlay.open) and drawn full-window by the popup page (a
   <script data-trialbuzz-page="ID"> tag): its shadow root, data, polling and closing.
   Last in the bundle because it ends by mounting the popup's view. */

var POLL_MS = 1500;        // pending or collecting trials: ask again after this long,
var POLL_TRIES = 20;       // …a little longer each time, this many times at most
var STALE_MS = 4000;       // a document being refreshed: look again after this long…
var STALE_TRIES = 4;       // …this many times at most

function Overlay(host, cfg, page) {
  this.host = host;
  this.page = page;                    // drawn full-window in the popup rather than pinned
  this.base = cfg.b;
  this.url = cfg.u || "";
  this.title = cfg.t || "";
  this.ids = Array.isArray(cfg.i) ? cfg.i : [];
  this.first = cfg.p;                  // the bookmarklet's request, already under way
  this.returnTo = cfg.f;
  this.docs = {};
  this.payload = null;
  this.current = null;                 // the NCT ID shown, or null for the list
  this.timers = [];
  this.closed = false;
  this.build();
}

Overlay.prototype.build = function () {
  var self = this;
  var root = this.host.shadowRoot || this.host.attachShadow({ mode: "open" });
  this.root = root;
  adoptStyles(root);
  if (!this.page) pin(this.host);
  this.closeButton = el("button", { type: "button", "class": "close",
                                    "aria-label": this.page ? "Close window" : "Close" },
                        closeIcon());
  this.closeButton.addEventListener("click", function () { self.close(); });
  this.eyebrow = el("p", { "class": "eyebrow" });
  this.heading = el("h2", { id: "tb-heading", tabindex: "-1" });
  this.status = el("p", { "class": "status", role: "status", "aria-live": "polite" });
  this.body = el("div", { "class": "content" });
  this.panel = el("div", {
    "class": "panel" + (this.page ? " page" : ""),
    role: this.page ? "region" : "dialog",
    "aria-labelledby": "tb-heading"
  }, [
    el("div", { "class": "bar" }, [el("span", { "class": "brand" }, ["trial", el("b", {}, "buzz")]),
                                   this.closeButton]),
    this.eyebrow, this.heading, this.status, this.body
  ]);
  root.appendChild(this.panel);
  // Escape closes it wherever focus is on the page: listened for on the document while open.
  this.onKey = function (event) {
    if (event.key === "Escape" || event.key === "Esc") {
      event.stopPropagation();
      self.close();
    }
  };
  document.addEventListener("keydown", this.onKey, true);
  // Tab goes round the panel: from its last control to Close, from Close back to the last.
  if (!this.page) {
    root.addEventListener("keydown", function (event) {
      if (event.key !== "Tab" || event.altKey || event.ctrlKey || event.metaKey) return;
      var stops = self.tabStops();
      var active = root.activeElement;
      if (!event.shiftKey && active === stops[stops.length - 1]) {
        event.preventDefault();
        stops[0].focus();
      } else if (event.shiftKey && active === stops[0]) {
        event.preventDefault();
        stops[stops.length - 1].focus();
      }
    });
  }
};

// The panel's controls a Tab stops on, in order: Close first.
Overlay.prototype.tabStops = function () {
  var found = this.panel.querySelectorAll("a[href], button:not([disabled]), [tabindex='0']");
  return [].filter.call(found, function (node) { return node.getClientRects().length > 0; });
};

Overlay.prototype.start = function () {
  if (!this.ids.length) {
    this.showNoId();
  } else {
    this.loading(this.ids.length === 1 ? this.ids[0] : null);
    this.load(this.first);
  }
  // Focus forces a layout: as a microtask it comes after the first view of data that has
  // already arrived (the bookmarklet's request is often done by now), so it lays out once.
  var self = this;
  Promise.resolve().then(function () {
    if (!self.closed) self.heading.focus({ preventScroll: true });
  });
  return this;
};

Overlay.prototype.close = function () {
  if (this.closed) return;
  this.closed = true;
  this.timers.forEach(clearTimeout);
  document.removeEventListener("keydown", this.onKey, true);
  if (this.page) {
    window.close();
    return;
  }
  this.host.remove();
  var back = this.returnTo;
  if (back && back.isConnected && typeof back.focus === "function") {
    back.focus({ preventScroll: true });
  }
};

Overlay.prototype.later = function (fn, ms) {
  var self = this;
  this.timers.push(setTimeout(function () {
    if (!self.closed && (self.page || self.host.isConnected)) fn.call(self);
  }, ms));
};

Overlay.prototype.query = function () {
  return "url=" + encodeURIComponent(this.url) + "&ids=" + this.ids.join(",");
};

// The badge payload as { s: status, j: body } or { e: 1 } when the server could not be reached.
Overlay.prototype.ask = function (query) {
  // no-cache: revalidate (ETag) rather than reuse a pending answer while polling.
  return fetch(this.base + "/api/v1/badge?" + query, { cache: "no-cache" })
    .then(function (r) { return r.json().then(function (j) { return { s: r.status, j: j }; }); })
    .catch(function () { return { e: 1 }; });
};

Overlay.prototype.load = function (pending) {
  var self = this;
  (pending || this.ask(this.query())).then(function (answer) {
    if (self.closed) return;
    if (answer.e) return self.showUnreachable();
    if (answer.s !== 200 || !answer.j || !Array.isArray(answer.j.trials)) {
      return self.showError(null, errorMessage(answer));
    }
    self.payload = answer.j;
    self.remember(answer.j.trials);
    var trials = answer.j.trials;
    var primary = answer.j.primary || (trials.length === 1 ? trials[0].nct_id : null);
    if (primary) self.showTrial(primary, false); else self.showList(false);
    self.pollPending(0);
  });
};

Overlay.prototype.remember = function (trials) {
  var self = this;
  trials.forEach(function (doc) {
    // Figures already shown stay until newer ones come: a trial asked for among others is
    // only "pending" while its first harvest runs.
    if (!doc || typeof doc.nct_id !== "string") return;
    if (!(doc.pending && complete(self.docs[doc.nct_id]))) self.docs[doc.nct_id] = doc;
  });
};

// Trials the server is still looking up or collecting are asked for again until complete.
Overlay.prototype.pollPending = function (tries) {
  var self = this;
  var waiting = (this.payload.nct_ids || []).filter(function (id) {
    return self.docs[id] && (self.docs[id].pending || collecting(self.docs[id]));
  });
  if (!waiting.length || tries >= POLL_TRIES) return;
  this.later(function () {
    self.ask("ids=" + waiting.join(","))
      .then(function (answer) {
        if (self.closed || answer.e || answer.s !== 200) return;
        self.remember(answer.j.trials || []);
        // Redraw what is shown: the list, or a trial and its "also on this page" list.
        if (self.current === null) self.showList(false);
        else self.showTrial(self.current, false);
        self.pollPending(tries + 1);
      });
  }, Math.min(POLL_MS * Math.pow(1.25, tries), 10000));
};

window.trialbuzzOverlay = {
  open: function (host, cfg) { return new Overlay(host, cfg, false).start(); }
};

// The popup page names its host element; it is on our origin, so it fetches same-origin.
var script = document.currentScript;
var pageHost = script && script.getAttribute("data-trialbuzz-page");
if (pageHost) {
  var mount = function () {
    var host = document.getElementById(pageHost);
    if (!host) return;
    new Overlay(host, {
      b: location.origin,
      u: host.getAttribute("data-url") || "",
      t: host.getAttribute("data-title") || "",
      i: (host.getAttribute("data-ids") || "").split(",").filter(Boolean)
    }, true).start();
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", mount);
  else mount();
}
