/* trialbuzz embed_badge.js: how embed.js draws one badge (donut, flat, card, bar), its
   breakdown and its popover, inside the badge's shadow root. The server includes this file in
   embed.js where the TRIALBUZZ_BADGE placeholder stands, so it shares that script's scope (its
   configuration, options(), shadowFor(), show() and hide()). Text from other people is set with
   textContent only, links only when http(s). ES2017 without template literals. */
var DONUTS = { "donut": 64, "medium-donut": 100, "large-donut": 180, "4": 64, "2": 24 };
var FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';
var CSS = [
  // Everything is reset but the text colour, which the badge takes from the page (or from
  // --trialbuzz-fg); an undefined variable leaves it inherited.
  ":host { all: initial; color: var(--trialbuzz-fg); display: inline-block;",
  "  vertical-align: middle; line-height: 1; max-width: 100%; }",
  // The breakdown goes under the badge where there is no room beside it.
  ".tb { position: relative; display: inline-flex; flex-wrap: wrap; align-items: center; gap: 10px;",
  "  font: 13px/1.35 " + FONT + "; direction: ltr; text-align: left; }",
  ".tb * { box-sizing: border-box; }",
  ".badge { display: inline-flex; align-items: center; gap: 6px; color: inherit;",
  "  text-decoration: none; border-radius: 4px; cursor: pointer; }",
  ".badge:focus { outline: none; }",
  ".badge:focus-visible { outline: 2px solid var(--trialbuzz-focus, #1d4ed8); outline-offset: 2px; }",
  ".donut { display: block; flex: none; }",
  ".donut text { font-family: " + FONT + "; font-weight: 700; fill: currentColor; }",
  ".donut .ghost-text { fill: #6b7280; }",
  ".dark .donut .ghost-text { fill: #9aa1ad; }",
  ".dark .ring-ghost { stroke: #454a53; }",
  ".badge-mini { display: inline-flex; align-items: center; gap: 5px; }",
  ".mini-score { font-weight: 700; font-size: 14px; }",
  ".mini-label { font-size: 12px; opacity: 0.8; }",
  ".flat { display: inline-flex; height: 20px; border-radius: 3px; overflow: hidden;",
  "  font: 12px/20px Verdana, Geneva, 'DejaVu Sans', sans-serif; color: #fff; }",
  ".flat span { padding: 0 6px; }",
  ".flat-label { background: #555; }",
  ".flat-msg { background: var(--trialbuzz-accent, #b3261e); }",
  ".flat-msg.ghost { background: #6e737b; }",
  ".card { display: inline-flex; flex-direction: column; align-items: center; gap: 6px;",
  "  padding: 8px 12px; border: 1px solid var(--trialbuzz-border, #dfe2e8); border-radius: 8px; }",
  ".dark .card { border-color: var(--trialbuzz-border, #343943); }",
  ".card-label { font-size: 12px; text-transform: uppercase; letter-spacing: 0.05em; opacity: 0.8; }",
  ".bar { display: inline-flex; align-items: center; gap: 6px; }",
  ".track { display: flex; width: 100px; height: 10px; border-radius: 3px; overflow: hidden;",
  "  background: " + EMPTY + "; }",
  ".medium .track { width: 160px; height: 12px; } .large .track { width: 240px; height: 14px; }",
  ".dark .track { background: #454a53; }",
  ".seg { height: 100%; }",
  ".list { list-style: none; margin: 0; padding: 0; font-size: 12.5px; }",
  ".list li { display: flex; align-items: center; gap: 6px; margin: 3px 0; white-space: nowrap; }",
  ".dot { width: 10px; height: 10px; border-radius: 50%; flex: none; }",
  ".dot.apart { border: 1.5px solid currentColor; opacity: 0.7; }",
  ".more { font-size: 12px; }",
  ".more a { color: var(--trialbuzz-link, #1d4ed8); }",
  ".dark .more a { color: var(--trialbuzz-link, #8ab4ff); }",
  ".popover { position: absolute; z-index: 2147483647; width: 260px; padding: 10px 12px;",
  "  background: var(--trialbuzz-bg, #ffffff); color: var(--trialbuzz-fg, #1b1d21);",
  "  border: 1px solid var(--trialbuzz-border, #dfe2e8); border-radius: 8px;",
  "  box-shadow: 0 8px 24px rgba(15, 18, 25, 0.2); font-size: 13px; line-height: 1.4;",
  "  white-space: normal; display: none; }",
  ".dark .popover { background: var(--trialbuzz-bg, #1c1f24); color: var(--trialbuzz-fg, #e8eaef);",
  "  border-color: var(--trialbuzz-border, #343943); box-shadow: 0 8px 24px rgba(0, 0, 0, 0.6); }",
  ".popover.open { display: block; }",
  // Where it would leave the screen (always, on a phone) it opens as a sheet along the bottom.
  ".popover.sheet { position: fixed; top: auto; bottom: 8px; left: 8px; right: 8px; width: auto;",
  "  margin: 0; transform: none; }",
  ".pop-right { left: 100%; top: 50%; transform: translateY(-50%); margin-left: 8px; }",
  ".pop-left { right: 100%; top: 50%; transform: translateY(-50%); margin-right: 8px; }",
  ".pop-top { bottom: 100%; left: 50%; transform: translateX(-50%); margin-bottom: 8px; }",
  ".pop-bottom { top: 100%; left: 50%; transform: translateX(-50%); margin-top: 8px; }",
  ".pop-title { display: block; font-weight: 700; margin: 0 0 4px; }",
  ".pop-score { display: block; margin: 0 0 6px; }",
  ".pop-hint { display: block; margin: 8px 0 0; font-size: 12px; opacity: 0.75; }",
  ".pop-context { display: block; margin: 2px 0 0; font-size: 12px; }",
  // Figures still being collected: the badge is drawn dashed until they are final.
  ".collecting .badge { outline: 1px dashed currentColor; outline-offset: 2px; }"
].join("\n");

function make(tag, cls, text) {
  var node = document.createElement(tag);
  if (cls) {
    node.className = cls;
  }
  if (text !== undefined && text !== null) {
    node.textContent = String(text);
  }
  return node;
}

function svg(tag, attrs) {
  var node = document.createElementNS(SVG, tag);
  Object.keys(attrs).forEach(function (name) { node.setAttribute(name, String(attrs[name])); });
  return node;
}

// A number as people write it: 1,234; fractions to two places at most.
function figure(value) {
  var n = typeof value === "number" && isFinite(value) ? value : 0;
  var parts = String(Math.round(n * 100) / 100).split(".");
  return parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, ",") + (parts[1] ? "." + parts[1] : "");
}

function colorOf(kind, o) {
  return o.dark ? kind.dark || kind.color : kind.color;
}

function segments(entry, o) {
  var kinds = entry.kinds || {};
  var shown = KINDS.filter(function (k) { return k.scored && kinds[k.id] > 0; });
  return shown.map(function (k, i) {
    // Monochrome: greys from dark to light, lightest first on a dark page.
    var step = Math.floor((0xbb - 0x33) * i / Math.max(shown.length - 1, 1));
    var hex = (o.dark ? 0xdd - step : 0x33 + step).toString(16);
    return { id: k.id, count: kinds[k.id], color: o.mono ? "#" + hex + hex + hex : colorOf(k, o) };
  });
}

function donut(entry, o, size) {
  var thickness = Math.round(size * 0.17 * 100) / 100;
  var centre = size / 2;
  var radius = centre - thickness / 2;
  var circumference = 2 * Math.PI * radius;
  var node = svg("svg", { width: size, height: size, viewBox: "0 0 " + size + " " + size,
                          "class": "donut", "aria-hidden": "true", focusable: "false" });
  var parts = entry.has_attention ? segments(entry, o) : [];
  if (!parts.length) {
    node.appendChild(svg("circle", { cx: centre, cy: centre, r: radius, fill: "none",
      stroke: EMPTY, "stroke-width": thickness, "class": "ring-ghost" }));
  }
  var total = parts.reduce(function (sum, p) { return sum + p.count; }, 0);
  var gap = parts.length > 1 ? Math.min(1.5, circumference / 100) : 0;
  var start = 0;
  parts.forEach(function (p) {
    var length = circumference * p.count / total;
    var dash = Math.max(length - gap, 0.5);
    var attrs = { cx: centre, cy: centre, r: radius, fill: "none", stroke: p.color,
                  "stroke-width": thickness, "class": "seg" };
    if (parts.length > 1) {
      attrs["stroke-dasharray"] = dash.toFixed(2) + " " + (circumference - dash).toFixed(2);
      attrs["stroke-dashoffset"] = (-start).toFixed(2);
      attrs.transform = "rotate(-90 " + centre + " " + centre + ")";
    }
    node.appendChild(svg("circle", attrs));
    start += length;
  });
  if (!o.noScore && size >= 32) {
    var text = entry.pending ? "…" : figure(entry.score);
    var scale = text.length <= 2 ? 0.34 : text.length === 3 ? 0.28 : 0.22;
    var label = svg("text", { x: centre, y: centre, dy: ".35em", "text-anchor": "middle",
                              "font-size": Math.round(size * scale * 10) / 10,
                              "class": entry.has_attention ? "" : "ghost-text" });
    label.textContent = text;
    node.appendChild(label);
  }
  return node;
}

function kindLines(entry, o) {
  var kinds = entry.kinds || {};
  return KINDS.filter(function (k) { return kinds[k.id] > 0; }).map(function (k) {
    var n = kinds[k.id];
    return { id: k.id, color: colorOf(k, o), scored: k.scored,
             text: o.condensed ? k.label + ": " + figure(n)
               : figure(n) + " " + (n === 1 ? k.one : k.many) };
  });
}

function list(entry, o) {
  var ul = make("ul", "list");
  kindLines(entry, o).forEach(function (line) {
    var li = make("li");
    // Kinds outside the score (publications) are not in the donut: a hollow dot, no colour.
    var dot = make("span", line.scored ? "dot" : "dot apart");
    if (line.scored) {
      dot.style.background = o.mono ? "currentColor" : line.color;
    }
    li.appendChild(dot);
    li.appendChild(make("span", null, line.text));
    ul.appendChild(li);
  });
  if (!ul.firstChild) {
    ul.appendChild(make("li", null, "No mentions found yet"));
  }
  return ul;
}

function face(entry, o) {
  var score = entry.pending ? "…" : figure(entry.score);
  if (o.type === "1") {
    var flat = make("span", "flat");
    flat.appendChild(make("span", "flat-label", "attention"));
    // A space between the words, for the accessible name (flex layout does not show it).
    flat.appendChild(document.createTextNode(" "));
    flat.appendChild(make("span", "flat-msg" + (entry.has_attention ? "" : " ghost"),
                          entry.has_attention || entry.pending ? score
                            : entry.state === "partial" ? "partial" : "none"));
    return flat;
  }
  if (/bar$/.test(o.type)) {
    var bar = make("span", "bar " + o.type.replace("-bar", "").replace("bar", "small"));
    var track = make("span", "track");
    var parts = entry.has_attention ? segments(entry, o) : [];
    var total = parts.reduce(function (sum, p) { return sum + p.count; }, 0);
    parts.forEach(function (p) {
      var seg = make("span", "seg");
      seg.style.background = p.color;
      seg.style.width = (100 * p.count / total) + "%";
      track.appendChild(seg);
    });
    bar.appendChild(make("span", "mini-score", score));
    bar.appendChild(track);
    return bar;
  }
  var icon = donut(entry, o, DONUTS[o.type] || 64);
  if (o.type === "2") {
    var mini = make("span", "badge-mini");
    mini.appendChild(icon);
    if (!o.noScore) {
      mini.appendChild(make("span", "mini-score", score));
      mini.appendChild(document.createTextNode(" "));
    }
    mini.appendChild(make("span", "mini-label", "attention"));
    return mini;
  }
  if (o.type === "4") {
    var card = make("span", "card");
    card.appendChild(icon);
    card.appendChild(document.createTextNode(" "));
    card.appendChild(make("span", "card-label", "attention score"));
    return card;
  }
  return icon;
}

// The words a badge shows, in order ("attention 13"), as a sighted reader would say them.
function shownText(node) {
  var words = [];
  var walker = document.createTreeWalker(node, NodeFilter.SHOW_TEXT);
  for (var text = walker.nextNode(); text; text = walker.nextNode()) {
    if (text.textContent.trim()) {
      words.push(text.textContent.trim());
    }
  }
  return words.join(" ");
}

// A badge's accessible name starts with the text it shows, so that someone who says what they
// see (speech input) names it; the description follows when it does not already contain it.
function spoken(drawn, name) {
  var shown = shownText(drawn);
  if (!shown || name.toLowerCase().indexOf(shown.toLowerCase()) >= 0) {
    return name;
  }
  return shown + ": " + name.charAt(0).toLowerCase() + name.slice(1);
}

function pageIsDark(el) {
  var match = /rgba?\((\d+),\s*(\d+),\s*(\d+)/.exec(getComputedStyle(el).color || "");
  if (!match) {
    return false;
  }
  return 0.2126 * match[1] + 0.7152 * match[2] + 0.0722 * match[3] > 140;
}

function render(el, id, entry) {
  if (!entry) {
    // The request failed: hidden for now, and drawn by the next scan that gets an answer.
    hide(el, id, "unavailable");
    done.delete(el);
    return;
  }
  if (entry.error) {
    hide(el, id, entry.error.code);
    return;
  }
  var o = options(el);
  o.dark = pageIsDark(el);
  if (!entry.has_attention && o.hideNoMentions) {
    hide(el, id, "no_mentions");
    return;
  }
  if (o.hideLessThan !== null && (entry.score || 0) < o.hideLessThan) {
    hide(el, id, "less_than");
    return;
  }
  var root = shadowFor(el);
  var gathering = entry.state === "collecting";
  var partial = entry.state === "partial";
  var wrap = make("span", "tb" + (o.dark ? " dark" : "") + (gathering ? " collecting" : ""));
  var title = entry.title || entry.nct_id || id;
  var name = entry.pending ? "Attention for " + id + ": still being gathered" :
    "Attention score " + figure(entry.score) + (gathering || partial ? " so far" : "") +
    " for " + id + ", " + title + (gathering ? ", still collecting" :
      partial ? ", not every source has answered" : "");
  var href = httpUrl(entry.details_url);
  var badge = make(href ? "a" : "span", "badge");
  if (href) {
    badge.setAttribute("href", href);
    badge.setAttribute("rel", "noopener noreferrer");
    if (o.target) {
      badge.setAttribute("target", o.target);
    }
  } else {
    badge.setAttribute("tabindex", "0");
    badge.setAttribute("role", "img");
  }
  var drawn = face(entry, o);
  badge.setAttribute("aria-label", spoken(drawn, name) + (href ? ": see the details" : ""));
  badge.appendChild(drawn);
  wrap.appendChild(badge);
  if (o.details) {
    var side = make("span", "side");
    side.appendChild(list(entry, o));
    if (href) {
      var more = make("span", "more");
      var link = make("a", null, "See the details");
      link.setAttribute("href", href);
      link.setAttribute("rel", "noopener noreferrer");
      if (o.target) {
        link.setAttribute("target", o.target);
      }
      more.appendChild(link);
      side.appendChild(more);
    }
    wrap.appendChild(side);
  }
  if (o.popover) {
    wrap.appendChild(popover(entry, o, wrap, badge, title));
  }
  root.appendChild(wrap);
  show(el, id, entry);
}

// "4 of 6 sources answered; Wikipedia will be tried again at 14:05." in the reader's clock.
function coverageLine(coverage) {
  var when = new Date(coverage.retry_at || "");
  if (isNaN(when.getTime())) {
    return coverage.message + ".";
  }
  var minutes = when.getMinutes();
  return coverage.message + " at " + when.getHours() + ":" + (minutes < 10 ? "0" : "") +
    minutes + ".";
}

// "in the top 5% of 41,200 trials tracked", from a trial's context; "" without one.
function contextWords(context) {
  if (!context || typeof context.percentile !== "number" || typeof context.of !== "number") {
    return "";
  }
  var of = context.of.toLocaleString("en-US") + " trials tracked";
  return context.percentile >= 50
    ? "in the top " + Math.max(1, 100 - context.percentile) + "% of " + of
    : "ranked " + context.rank.toLocaleString("en-US") + " of " + of;
}

function popover(entry, o, wrap, badge, title) {
  var pop = make("div", "popover pop-" + o.popover);
  pop.setAttribute("role", "tooltip");
  pop.id = "tb-popover";
  pop.appendChild(make("span", "pop-title", title));
  var gathering = entry.state === "collecting";
  var partial = entry.state === "partial";
  pop.appendChild(make("span", "pop-score", entry.pending ? "Still being gathered" :
    entry.has_attention ? "Attention score " + figure(entry.score) +
      (gathering || partial ? " so far" : "") :
    gathering || partial ? "Nothing found so far" : "No attention found yet"));
  var place = entry.has_attention && !gathering ? contextWords(entry.context) : "";
  if (place) {
    pop.appendChild(make("span", "pop-context", place.charAt(0).toUpperCase() + place.slice(1)));
  }
  if (gathering) {
    pop.appendChild(make("span", "pop-hint", "Still collecting: more sources are being asked."));
  } else if (partial && entry.coverage && typeof entry.coverage.message === "string") {
    pop.appendChild(make("span", "pop-hint", coverageLine(entry.coverage)));
  }
  pop.appendChild(list(entry, o));
  var touch = window.matchMedia && window.matchMedia("(hover: none)").matches;
  pop.appendChild(make("span", "pop-hint", touch ? "Tap the badge again for every mention."
    : "Click the badge for every mention."));
  badge.setAttribute("aria-describedby", "tb-popover");
  var timer = null;
  var tapped = false;
  function open() {
    window.clearTimeout(timer);
    pop.classList.remove("sheet");
    pop.classList.add("open");
    var box = pop.getBoundingClientRect();
    if (box.left < 0 || box.top < 0 || box.right > document.documentElement.clientWidth ||
        box.bottom > window.innerHeight) {
      pop.classList.add("sheet");
    }
  }
  function close(now) {
    window.clearTimeout(timer);
    if (now) {
      pop.classList.remove("open");
    } else {
      timer = window.setTimeout(function () { pop.classList.remove("open"); }, 150);
    }
  }
  wrap.addEventListener("mouseenter", open);
  wrap.addEventListener("mouseleave", function () { close(false); });
  badge.addEventListener("focus", open);
  // A touch has no hover: the first tap shows the popover, the next follows the link.
  badge.addEventListener("pointerdown", function (event) {
    tapped = event.pointerType !== "mouse" && !pop.classList.contains("open");
  });
  badge.addEventListener("click", function (event) {
    if (tapped) {
      tapped = false;
      event.preventDefault();
      open();
    }
  });
  badge.addEventListener("blur", function () { close(true); });
  badge.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      close(true);
    }
  });
  return pop;
}
