/* trialbuzz overlay, part 1 of 3: DOM helpers, labels, the donut, styles and pinning.
   Served concatenated with overlay_views.js and overlay.js inside one function, after the
   server's CONFIG (kinds with their words and colours, the kinds of the ring, phase labels,
   source names and states, all from trialbuzz.attention.words) and CSS
   (overlay.css). Other people's strings are set with textContent and setAttribute only, links
   only when http(s); no innerHTML anywhere, so pages that require Trusted Types accept it.
   ES2017 without template literals. */
/* global CONFIG, CSS */

var SVG = "http://www.w3.org/2000/svg";

// -- small DOM helpers: elements, text and attributes only ----------------------------------

function el(tag, attrs, children) {
  var node = document.createElement(tag);
  setAttrs(node, attrs);
  append(node, children);
  return node;
}

function svg(tag, attrs, children) {
  var node = document.createElementNS(SVG, tag);
  setAttrs(node, attrs);
  append(node, children);
  return node;
}

function setAttrs(node, attrs) {
  for (var name in attrs || {}) {
    var value = attrs[name];
    if (value !== null && value !== undefined) node.setAttribute(name, String(value));
  }
}

function append(node, children) {
  if (children === null || children === undefined || children === false) return;
  if (Array.isArray(children)) {
    children.forEach(function (child) { append(node, child); });
    return;
  }
  node.appendChild(typeof children === "object" ? children
    : document.createTextNode(String(children)));
}

// Remote links are followed only when they are http(s); anything else is shown as text.
function safeUrl(value) {
  if (typeof value !== "string" || !/^https?:\/\//i.test(value)) return null;
  try {
    var url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
  } catch (e) {
    return null;
  }
}

function link(url, text, attrs) {
  var href = safeUrl(url);
  if (!href) return el("span", attrs, text);
  var a = el("a", attrs, text);
  a.setAttribute("href", href);
  a.setAttribute("target", "_blank");
  a.setAttribute("rel", "noopener noreferrer nofollow");
  return a;
}

// A kind's colour; set through CSSOM, which style-src does not govern.
function swatch(color) {
  var node = el("span", { "class": "swatch", "aria-hidden": "true" });
  node.style.backgroundColor = color;
  return node;
}

function plural(count, one, many) {
  return figure(count) + " " + (count === 1 ? one : many);
}

function number(value) {
  return typeof value === "number" && isFinite(value) ? value : 0;
}

// A number as people write it: 1,234; fractions to two places at most.
function figure(value) {
  var parts = String(Math.round(number(value) * 100) / 100).split(".");
  return parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, ",") + (parts[1] ? "." + parts[1] : "");
}

// "1 news story", "2 Wikipedia pages": the server's words for a kind.
function noun(kind, count) {
  var words = CONFIG.kinds[kind] ||
    { one: String(kind) + " mention", many: String(kind) + " mentions" };
  return plural(count, words.one, words.many);
}

// "rate_limited" -> "rate-limited": what a source's state means to a reader.
function sourceStatus(status) {
  return CONFIG.statuses[status] || String(status || "").replace(/_/g, " ");
}

// "in the top 5% of 41,200 trials tracked" for a document's context (its cohort's when
// cohort is true); "" without one.
function contextWords(context, cohort) {
  var place = context && (cohort ? context.cohort : context);
  if (!place || typeof place.percentile !== "number" || typeof place.of !== "number") {
    return "";
  }
  var of = figure(place.of);
  var what = cohort ? "the " + of + " " + String(place.label) : of + " trials tracked";
  return place.percentile >= 50
    ? "in the top " + Math.max(1, 100 - place.percentile) + "% of " + what
    : "ranked " + figure(place.rank) + " of " + what;
}

function phaseLabel(phases) {
  var labels = (Array.isArray(phases) ? phases : []).map(function (code) {
    return CONFIG.phases[code] || String(code).replace(/_/g, " ");
  });
  return labels.length ? labels.join(", ") : "";
}

function statusLabel(code) {
  if (!code) return "";
  var text = String(code).replace(/_/g, " ").toLowerCase();
  text = text.charAt(0).toUpperCase() + text.slice(1);
  return text.replace("Active not recruiting", "Active, not recruiting");
}

// "22 Nov 2026", by hand: the first Intl.DateTimeFormat of a page costs ~20 ms.
var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

function dateLabel(iso) {
  if (typeof iso !== "string" || !iso) return "";
  var when = new Date(iso);
  if (isNaN(when.getTime())) return iso.slice(0, 10);
  return when.getUTCDate() + " " + MONTHS[when.getUTCMonth()] + " " + when.getUTCFullYear();
}

function complete(doc) {
  return !!doc && !doc.pending && !doc.error && doc.score !== undefined;
}

// A document with figures while some of its sources are still out.
function collecting(doc) {
  return complete(doc) && doc.state === "collecting";
}

// A document whose refresh ended with some sources failing: its figures are a floor.
function partial(doc) {
  return complete(doc) && doc.state === "partial";
}

// "14:05" in the reader's clock.
function clockLabel(iso) {
  var when = new Date(iso || "");
  if (isNaN(when.getTime())) return "";
  var minutes = when.getMinutes();
  return when.getHours() + ":" + (minutes < 10 ? "0" : "") + minutes;
}

// "4 of 6 sources answered; Wikipedia and GDELT news will be tried again at 14:05."
function coverageLine(doc) {
  var covered = doc.coverage || {};
  if (typeof covered.message !== "string" || !covered.message) return "";
  var at = clockLabel(covered.retry_at);
  return covered.message + (at ? " at " + at : "") + ".";
}

// "Collecting… 3 of 6 sources have answered", counting the sources not disabled.
function progress(doc) {
  var live = (doc.sources || []).filter(function (s) { return s.status !== "disabled"; });
  var answered = live.filter(function (s) { return s.status !== "pending"; }).length;
  return "Collecting… " + answered + " of " + live.length + " sources have answered";
}

// -- the donut: one ring segment per kind, the score in the middle ---------------------------

function kindCounts(doc) {
  var counts = doc.kinds || {};
  return CONFIG.ring.map(function (kind) {
    return { kind: kind, label: CONFIG.kinds[kind].label, color: CONFIG.kinds[kind].color,
             count: number(counts[kind]) };
  }).filter(function (item) { return item.count > 0; });
}

function donut(doc, size) {
  var items = kindCounts(doc);
  var total = items.reduce(function (sum, item) { return sum + item.count; }, 0);
  var score = number(doc.score);
  var text = "Attention score " + figure(score) + (items.length ? ": " + items.map(function (item) {
    return noun(item.kind, item.count);
  }).join(", ") : ", no mentions yet");
  var radius = 25;
  var ring = 2 * Math.PI * radius;
  var root = svg("svg", { "class": "donut", width: size, height: size, viewBox: "0 0 64 64",
                          role: "img", "aria-label": text }, svg("title", {}, text));
  root.appendChild(svg("circle", { cx: 32, cy: 32, r: radius, fill: "none",
                                   stroke: CONFIG.empty, "stroke-width": 10 }));
  var offset = 0;
  items.forEach(function (item) {
    var length = ring * item.count / total;
    root.appendChild(svg("circle", {
      cx: 32, cy: 32, r: radius, fill: "none", stroke: item.color, "stroke-width": 10,
      "stroke-dasharray": length.toFixed(3) + " " + (ring - length).toFixed(3),
      "stroke-dashoffset": (-offset).toFixed(3), transform: "rotate(-90 32 32)"
    }));
    offset += length;
  });
  // Thin edges, drawn only in dark mode, keep dark kind colours visible on a dark panel.
  root.appendChild(svg("circle", { "class": "rim", cx: 32, cy: 32, r: radius + 5.4 }));
  root.appendChild(svg("circle", { "class": "rim", cx: 32, cy: 32, r: radius - 5.4 }));
  var digits = figure(score).length;
  root.appendChild(svg("text", { x: 32, y: 33, "text-anchor": "middle",
                                 "dominant-baseline": "middle",
                                 "font-size": digits > 3 ? 12 : digits > 2 ? 15 : 18 },
                       figure(score)));
  return root;
}

function errorMessage(answer) {
  var error = answer.j && answer.j.error;
  return (error && typeof error.message === "string" && error.message) ||
    "trialbuzz answered with an error (" + answer.s + ").";
}

function sourceName(doc, id) {
  var found = (doc.sources || []).filter(function (s) { return s.id === id; })[0];
  return found ? found.name : CONFIG.sources[id] || String(id || "");
}

function closeIcon() {
  return svg("svg", { width: 16, height: 16, viewBox: "0 0 16 16", "aria-hidden": "true",
                      focusable: "false" },
             svg("path", { d: "M3 3l10 10M13 3L3 13", stroke: "currentColor", "stroke-width": 2,
                           "stroke-linecap": "round", fill: "none" }));
}

// Constructable stylesheets are outside style-src's reach; a <style> only where they are missing.
function adoptStyles(root) {
  try {
    var sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    root.adoptedStyleSheets = [sheet];
    return;
  } catch (e) {
    root.appendChild(el("style", {}, CSS));
  }
}

// The host sits fixed at the top right, above everything; inline !important beats page rules
// aimed at it, and CSSOM writes are not inline styles in CSP's sense.
function pin(host) {
  var rules = [["all", "initial"], ["display", "block"], ["position", "fixed"],
               ["top", "12px"], ["right", "12px"], ["bottom", "auto"], ["left", "auto"],
               ["z-index", "2147483647"], ["margin", "0"], ["padding", "0"], ["border", "0"],
               ["background", "transparent"], ["width", "auto"], ["height", "auto"],
               ["max-width", "none"], ["max-height", "none"], ["overflow", "visible"],
               ["color-scheme", "light dark"]];
  rules.forEach(function (rule) { host.style.setProperty(rule[0], rule[1], "important"); });
  // The top layer is above even the page's own fixed and z-indexed layers.
  if (typeof host.showPopover === "function") {
    try {
      host.setAttribute("popover", "manual");
      host.showPopover();
    } catch (e) { /* stays a fixed element at the top z-index */ }
  }
}
