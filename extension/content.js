/* trialbuzz extension: the content script. It finds the trials a page names (scan.js), asks
   the background service worker for all their badges in one request, puts a small badge after
   the first mention of each trial (a corner chip lists the trials named nowhere it can badge),
   and opens the bookmarklet's overlay (overlay.js, bundled at build time) from a badge.
   Only NCT IDs leave the browser; the page's address is sent only by "Resolve this page".
   Everything is drawn in shadow roots with DOM calls and textContent (no innerHTML), so page
   styles and page policies leave it alone. ES2017 without template literals. */
/* global trialbuzzScan, TRIALBUZZ_CONFIG */
// Injected a second time (the toolbar button on a tab opened before the install): keep the first.
var trialbuzzExtension = (typeof trialbuzzExtension === "object" && trialbuzzExtension) ||
(function () {
  "use strict";

  var ext = globalThis.browser || globalThis.chrome;
  var CONFIG = TRIALBUZZ_CONFIG;
  var SVG = "http://www.w3.org/2000/svg";
  var OVERLAY_HOST = "trialbuzz-overlay-host";
  // Badges of trials still looked up or collected are asked for again after these waits.
  var RETRY_MS = [3000, 8000, 20000];
  // A page that changes is read again this long after, a little later after every ten reads
  // (pages that never stop changing, such as tickers, are read every few seconds at most).
  var RESCAN_MS = 600;
  var RESCAN_MAX_MS = 6000;

  var server = CONFIG.server;
  var mode = null;              // "auto", "click" or "off", from the settings
  var active = false;           // badging this page: auto mode, or after the toolbar button
  var clicked = false;          // the toolbar button was clicked on this page
  var entries = {};             // NCT ID -> its entry of the batch API
  var asked = {};               // NCT ID -> true once requested
  var badges = {};              // NCT ID -> its badge host in the page
  var pageIds = [];             // every trial named, in order
  var resolving = false;        // the open overlay was asked for by "Resolve this page"
  var chip = null;              // { host, root, open, status }
  var observer = null;
  var rescan = null;
  var rescans = 0;
  var lastHref = location.href;

  var BADGE_CSS = [
    // Important in the shadow tree wins over the page's important rules aimed at the host.
    ":host { all: initial !important; display: inline-block !important;",
    "  vertical-align: baseline !important; margin: 0 0 0 4px !important; }",
    "button { all: unset; box-sizing: border-box; display: inline-flex; align-items: center;",
    "  gap: 4px; height: 18px; padding: 0 6px 0 3px; border-radius: 9px; cursor: pointer;",
    "  font: 600 11.5px/16px system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif;",
    "  color: #1b1d21; background: #ffffff; border: 1px solid #c9cdd4; white-space: nowrap;",
    "  vertical-align: middle; direction: ltr; letter-spacing: normal; word-spacing: normal;",
    "  text-transform: none; text-shadow: none; font-style: normal; }",
    "button:hover { border-color: #b3261e; }",
    "button:focus-visible { outline: 2px solid #1d4ed8; outline-offset: 2px; }",
    ".n { font-weight: 400; color: #4b5260; }",
    ".collecting { border-style: dashed; }",
    "svg { display: block; flex: none; }",
    // Dark on pages whose text is light, whatever the browser's scheme: it sits in their text.
    "button.dark { color: #e8eaef; background: #1c1f24; border-color: #4a505b; }",
    "button.dark:hover { border-color: #ff7a6e; } .dark .n { color: #a0a7b4; }",
    "button.dark:focus-visible { outline-color: #8ab4ff; }"
  ].join("\n");

  var CHIP_CSS = [
    ":host { all: initial !important; position: fixed !important; right: 12px !important;",
    "  bottom: 12px !important; z-index: 2147483646 !important; display: block !important;",
    "  color-scheme: light dark; }",
    ".box { --bg: #ffffff; --fg: #1b1d21; --muted: #5b6270; --line: #dfe2e8; --soft: #f3f4f7;",
    "  --accent: #b3261e; --focus: #1d4ed8; box-sizing: border-box; background: var(--bg);",
    "  color: var(--fg); border: 1px solid var(--line); border-radius: 12px;",
    "  box-shadow: 0 8px 24px rgba(15, 18, 25, 0.22); direction: ltr; text-align: left;",
    "  font: 13px/1.4 system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif;",
    "  letter-spacing: normal; word-spacing: normal; text-transform: none; }",
    "@media (prefers-color-scheme: dark) { .box { --bg: #1c1f24; --fg: #e8eaef; --muted: #a0a7b4;",
    "  --line: #343943; --soft: #252930; --accent: #ff7a6e; --focus: #8ab4ff;",
    "  box-shadow: 0 8px 24px rgba(0, 0, 0, 0.6); } }",
    "*, *::before, *::after { box-sizing: border-box; }",
    "button { font: inherit; color: inherit; cursor: pointer; }",
    "button:focus-visible, h2:focus-visible { outline: 3px solid var(--focus);",
    "  outline-offset: 2px; }",
    "h2:focus { outline: none; }",
    ".toggle { display: inline-flex; align-items: center; gap: 6px; border: 0; background: none;",
    "  padding: 7px 12px; border-radius: 12px; font-weight: 600; }",
    ".brand b { color: var(--accent); }",
    ".panel { width: min(320px, calc(100vw - 24px)); max-height: calc(100vh - 24px);",
    "  overflow-y: auto; padding: 0 14px 12px; }",
    ".bar { display: flex; align-items: center; justify-content: space-between;",
    "  padding: 8px 0 6px; border-bottom: 1px solid var(--line); }",
    "h2 { margin: 0; font-size: 15px; font-weight: 800; letter-spacing: -0.02em; }",
    ".close { width: 30px; height: 30px; border: 0; border-radius: 8px; background: none;",
    "  color: var(--muted); font-size: 18px; line-height: 1; }",
    ".close:hover { background: var(--soft); }",
    "p { margin: 8px 0; }",
    ".status { color: var(--muted); font-size: 12.5px; }",
    ".status:empty { margin: 0; }",
    "ul { list-style: none; margin: 6px 0; padding: 0; }",
    "li + li { margin-top: 4px; }",
    ".pick { display: grid; grid-template-columns: 1fr auto; gap: 0 10px; width: 100%;",
    "  text-align: left; background: var(--soft); border: 1px solid var(--line);",
    "  border-radius: 8px; padding: 5px 10px; }",
    ".pick:hover { border-color: var(--muted); }",
    ".id { font-size: 12px; font-weight: 700; color: var(--muted); }",
    ".ttl { grid-column: 1; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }",
    ".sc { grid-column: 2; grid-row: 1 / span 2; align-self: center; font-weight: 700; }",
    ".actions { display: flex; flex-wrap: wrap; gap: 6px; margin-top: 10px; }",
    ".actions button { background: var(--soft); border: 1px solid var(--line);",
    "  border-radius: 8px; padding: 4px 10px; }",
    ".meta { color: var(--muted); font-size: 12px; }",
    "code { font-size: 12px; overflow-wrap: anywhere; }"
  ].join("\n");

  // -- DOM helpers: elements, text and attributes only ------------------------------------------

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (attrs[name] !== null && attrs[name] !== undefined) node.setAttribute(name, attrs[name]);
    });
    [].concat(children === undefined || children === null ? [] : children).forEach(function (c) {
      if (c !== null && c !== undefined && c !== false) {
        node.appendChild(typeof c === "object" ? c : document.createTextNode(String(c)));
      }
    });
    return node;
  }

  function svg(tag, attrs) {
    var node = document.createElementNS(SVG, tag);
    Object.keys(attrs).forEach(function (name) { node.setAttribute(name, String(attrs[name])); });
    return node;
  }

  // Constructable stylesheets are outside the page's style-src; a <style> where they fail.
  function adopt(root, css) {
    try {
      var sheet = new CSSStyleSheet();
      sheet.replaceSync(css);
      root.adoptedStyleSheets = [sheet];
    } catch (e) {
      root.appendChild(el("style", {}, css));
    }
  }

  function shadowHost(tag, role) {
    var host = document.createElement(tag);
    host.setAttribute("data-trialbuzz", role);
    var root = host.attachShadow({ mode: "open" });
    return { host: host, root: root };
  }

  // null when the extension cannot answer (reloaded or removed under a page still open).
  function send(message) {
    try {
      return Promise.resolve(ext.runtime.sendMessage(message)).catch(function () { return null; });
    } catch (e) {
      return Promise.resolve(null);
    }
  }

  function plural(n, one, many) {
    return n + " " + (n === 1 ? one : many);
  }

  // -- what a badge says ----------------------------------------------------------------------

  function kindsOf(entry) {
    var counts = entry.kinds || {};
    return CONFIG.kinds.filter(function (k) { return counts[k.id] > 0; }).map(function (k) {
      return { kind: k, count: counts[k.id] };
    });
  }

  function mentionCount(entry) {
    return kindsOf(entry).reduce(function (sum, item) {
      return sum + (item.kind.scored ? item.count : 0);
    }, 0);
  }

  function describe(id, entry) {
    if (entry.pending) return "trialbuzz: the attention of " + id + " is still being gathered";
    var so = entry.state === "collecting" || entry.state === "partial" ? " so far" : "";
    var parts = kindsOf(entry).map(function (item) {
      return plural(item.count, item.kind.one, item.kind.many);
    });
    return "trialbuzz: attention score " + (entry.score || 0) + so + " for " + id +
      (entry.title ? ", " + entry.title : "") + ": " +
      (parts.length ? parts.join(", ") : "no mentions found yet");
  }

  // A ring of the kinds' colours, 14 px: a hint of the mix, the figures are in the text.
  function ring(entry) {
    var node = svg("svg", { width: 14, height: 14, viewBox: "0 0 14 14", "aria-hidden": "true",
                            focusable: "false" });
    var items = kindsOf(entry).filter(function (item) { return item.kind.scored; });
    var total = items.reduce(function (sum, item) { return sum + item.count; }, 0);
    var radius = 5;
    var around = 2 * Math.PI * radius;
    node.appendChild(svg("circle", { cx: 7, cy: 7, r: radius, fill: "none", stroke: CONFIG.empty,
                                     "stroke-width": 3 }));
    var offset = 0;
    items.forEach(function (item) {
      var length = around * item.count / total;
      node.appendChild(svg("circle", {
        cx: 7, cy: 7, r: radius, fill: "none", stroke: item.kind.color, "stroke-width": 3,
        "stroke-dasharray": length.toFixed(2) + " " + (around - length).toFixed(2),
        "stroke-dashoffset": (-offset).toFixed(2), transform: "rotate(-90 7 7)"
      }));
      offset += length;
    });
    return node;
  }

  function drawBadge(badge) {
    var id = badge.id;
    var entry = entries[id];
    var root = badge.root;
    while (root.lastChild && root.lastChild.nodeName !== "STYLE") root.removeChild(root.lastChild);
    var mentions = mentionCount(entry);
    var label = describe(id, entry);
    var classes = [entry.state === "collecting" || entry.pending ? "collecting" : "",
                   badge.host.isConnected && onDarkText(badge.host) ? "dark" : ""];
    var button = el("button", {
      type: "button", title: label, "aria-label": label + ". Open the trialbuzz overlay.",
      "class": classes.join(" ").trim() || null
    }, [ring(entry), el("span", { "class": "s" }, entry.pending ? "…" : String(entry.score || 0)),
        entry.pending ? null
          : el("span", { "class": "n" }, plural(mentions, "mention", "mentions"))]);
    button.addEventListener("click", function (event) {
      event.preventDefault();
      event.stopPropagation();
      openOverlay([id], null, button);
    });
    root.appendChild(button);
  }

  // Whether the text around `node` is light, as on a dark page.
  function onDarkText(node) {
    var match = /rgba?\((\d+),\s*(\d+),\s*(\d+)/.exec(
      getComputedStyle(node.parentElement || document.body).color || "");
    return !!match && 0.2126 * match[1] + 0.7152 * match[2] + 0.0722 * match[3] > 140;
  }

  function makeBadge(id) {
    var made = shadowHost("span", "badge");
    made.host.setAttribute("data-nct-id", id);
    adopt(made.root, BADGE_CSS);
    // Clicks stay with the badge: never the page's handlers around it.
    made.host.addEventListener("click", function (event) { event.stopPropagation(); });
    // Drawn once in the page, where its colours can follow the page's.
    return { id: id, host: made.host, root: made.root };
  }

  function drawable(id) {
    var entry = entries[id];
    return !!entry && !entry.error;
  }

  function placed(id) {
    return !!badges[id] && badges[id].host.isConnected;
  }

  function rendered(node) {
    var element = node.nodeType === 1 ? node : node.parentElement;
    return !!element && element.isConnected && element.getClientRects().length > 0;
  }

  // Badges after first mentions, last first so that earlier offsets in a text stay right.
  function place(mentions) {
    pause();
    for (var i = mentions.length - 1; i >= 0; i -= 1) {
      var m = mentions[i];
      if (!drawable(m.id) || placed(m.id)) continue;
      var anchor = m.after || m.text;
      if (!rendered(anchor) || (m.text && m.text.nodeValue.length < m.end)) continue;
      var badge = makeBadge(m.id);
      if (m.after) {
        m.after.parentNode.insertBefore(badge.host, m.after.nextSibling);
      } else {
        var rest = m.text.splitText(m.end);
        rest.parentNode.insertBefore(badge.host, rest);
      }
      badges[m.id] = badge;
      drawBadge(badge);
    }
    resume();
    drawChip();
  }

  // -- asking the server, through the service worker -------------------------------------------

  function request(ids, fresh) {
    ids.forEach(function (id) { asked[id] = true; });
    return send({ type: "badges", ids: ids, fresh: !!fresh }).then(function (answer) {
      var trials = answer && answer.status === 200 && answer.body && answer.body.trials;
      if (!Array.isArray(trials)) return false;
      trials.forEach(function (entry, index) {
        if (entry && typeof entry === "object") entries[ids[index]] = entry;
      });
      return true;
    });
  }

  function unfinished(id) {
    var entry = entries[id];
    return !!entry && (entry.pending || entry.state === "collecting");
  }

  function poll(ids, attempt) {
    if (!ids.length || attempt >= RETRY_MS.length) return;
    setTimeout(function () {
      if (!active) return;
      request(ids, true).then(function () {
        ids.forEach(function (id) { if (badges[id]) drawBadge(badges[id]); });
        drawChip();
        poll(ids.filter(unfinished), attempt + 1);
      });
    }, RETRY_MS[attempt]);
  }

  // Scan, ask for the trials not asked for yet (one request), then badge.
  function run() {
    active = true;
    var found = trialbuzzScan.scan(document, location.href, CONFIG.maxIds);
    found.ids.forEach(function (id) {
      if (pageIds.indexOf(id) < 0 && pageIds.length < CONFIG.maxIds) pageIds.push(id);
    });
    send({ type: "count", count: pageIds.length });
    var wanted = pageIds.filter(function (id) { return !asked[id]; });
    watch();
    if (!wanted.length) {
      place(found.mentions);
      return Promise.resolve();
    }
    return request(wanted).then(function () {
      // Read again: the page may have drawn the mentions while the answer was on its way.
      place(trialbuzzScan.scan(document, location.href, CONFIG.maxIds).mentions);
      poll(wanted.filter(unfinished), 0);
    });
  }

  // Pages that draw themselves (the registry's study pages) are scanned again as they change.
  function watch() {
    if (observer || !document.body) return;
    observer = new MutationObserver(function () {
      if (rescan) return;
      rescan = setTimeout(function () {
        rescan = null;
        rescans += 1;
        if (location.href !== lastHref) {
          lastHref = location.href;
          pageIds = [];
          rescans = 0;
        }
        if (active) run();
      }, Math.min(RESCAN_MS * (1 + Math.floor(rescans / 10)), RESCAN_MAX_MS));
    });
    resume();
  }

  function pause() {
    if (observer) observer.disconnect();
  }

  function resume() {
    if (observer && document.body) {
      observer.takeRecords();
      observer.observe(document.body, { childList: true, subtree: true, characterData: true });
    }
  }

  function teardown() {
    active = false;
    pause();
    observer = null;
    Object.keys(badges).forEach(function (id) { badges[id].host.remove(); });
    badges = {};
    if (chip) chip.host.remove();
    chip = null;
  }

  // -- the overlay -------------------------------------------------------------------------

  // The overlay's requests, answered by the service worker; the page's address goes along
  // only in an overlay opened by "Resolve this page".
  function overlayFetch(url, options) {
    url = String(url);
    if (url.indexOf(server + "/api/v1/") !== 0) {
      return Promise.reject(new TypeError("trialbuzz: only the trialbuzz API is asked"));
    }
    return send({ type: "api", path: url.slice(server.length), resolving: resolving,
                  fresh: !!(options && options.cache === "no-cache") }).then(function (answer) {
      if (!answer || !answer.status) throw new TypeError("trialbuzz: no answer");
      return { status: answer.status, ok: answer.status >= 200 && answer.status < 300,
               json: function () { return Promise.resolve(answer.body); } };
    });
  }

  function openOverlay(ids, url, from) {
    var old = document.getElementById(OVERLAY_HOST);
    if (old) {
      if (old.tb) old.tb.close();
      old.remove();
    }
    resolving = !!url;
    var host = el("div", { id: OVERLAY_HOST, "data-trialbuzz": "overlay" });
    document.documentElement.appendChild(host);
    host.tb = window.trialbuzzOverlay.open(host, {
      b: server, u: url || "", t: document.title, i: ids, f: from || document.activeElement
    });
  }

  function resolvePage(button) {
    status("Sending this page's address to " + server + "…");
    send({ type: "resolve", url: location.href }).then(function (answer) {
      var body = answer && answer.body;
      if (!answer || !answer.status) return status("The trialbuzz server did not answer.");
      if (answer.status !== 200 || !body || !Array.isArray(body.nct_ids)) {
        return status((body && body.error && typeof body.error.message === "string" &&
                       body.error.message) || "trialbuzz could not read this page (" +
                       answer.status + ").");
      }
      var ids = body.nct_ids.slice();
      if (body.primary) {
        ids = [body.primary].concat(ids.filter(function (id) { return id !== body.primary; }));
      }
      if (!ids.length) return status("trialbuzz read this page and found no NCT ID in it.");
      status("Found " + plural(ids.length, "trial", "trials") + ".");
      openOverlay(ids, location.href, button);
    });
  }

  // -- the corner chip: trials with no badge in the text, and the toolbar button's panel ------

  function status(text) {
    if (chip && chip.status) chip.status.textContent = text;
  }

  function unplaced() {
    return pageIds.filter(function (id) { return drawable(id) && !placed(id); });
  }

  function drawChip(focus) {
    var loose = unplaced();
    var open = !!(chip && chip.open);
    if (!open && !loose.length) {
      if (chip) chip.host.remove();
      chip = null;
      return;
    }
    if (!chip) {
      var made = shadowHost("div", "chip");
      adopt(made.root, CHIP_CSS);
      chip = { host: made.host, root: made.root, open: false, status: null };
      document.documentElement.appendChild(made.host);
    }
    var keep = chip.status ? chip.status.textContent : "";
    var root = chip.root;
    while (root.lastChild && root.lastChild.nodeName !== "STYLE") root.removeChild(root.lastChild);
    chip.status = null;
    var box = el("div", { "class": "box" });
    root.appendChild(box);
    if (!chip.open) {
      var toggle = el("button", { type: "button", "class": "toggle", "aria-expanded": "false" }, [
        el("span", { "class": "brand" }, ["trial", el("b", {}, "buzz")]),
        "· " + plural(loose.length, "trial", "trials")
      ]);
      toggle.addEventListener("click", function () { chip.open = true; drawChip(true); });
      box.appendChild(toggle);
      if (focus) toggle.focus({ preventScroll: true });
      return;
    }
    box.appendChild(panel(keep));
    if (focus) chip.root.getElementById("tb-chip-heading").focus({ preventScroll: true });
  }

  function panel(keep) {
    var close = el("button", { type: "button", "class": "close", "aria-label": "Close" }, "×");
    // Closed, the panel leaves the focus on the chip, or on the page when no chip is left.
    close.addEventListener("click", function () {
      chip.open = false;
      drawChip(true);
    });
    var ids = pageIds.filter(function (id) { return !entries[id] || !entries[id].error; });
    chip.status = el("p", { "class": "status", role: "status", "aria-live": "polite" }, keep);
    var resolve = el("button", { type: "button", "class": "resolve" }, "Resolve this page");
    resolve.addEventListener("click", function () { resolvePage(resolve); });
    var options = el("button", { type: "button" }, "Options");
    options.addEventListener("click", function () { send({ type: "options" }); });
    var host = location.hostname;
    var off = host && mode !== "off"
      ? el("button", { type: "button" }, "Turn off on " + host) : null;
    if (off) {
      off.addEventListener("click", function () {
        send({ type: "site-off", host: host }).then(function () {
          clicked = false;
          teardown();
        });
      });
    }
    var node = el("section", { "class": "panel", role: "region",
                               "aria-labelledby": "tb-chip-heading" }, [
      el("div", { "class": "bar" }, [
        el("h2", { id: "tb-chip-heading", tabindex: "-1", "class": "brand" },
           ["trial", el("b", {}, "buzz")]),
        close
      ]),
      ids.length ? el("p", {}, plural(ids.length, "trial", "trials") + " named on this page:")
        : el("p", {}, "No NCT ID found on this page."),
      ids.length ? el("ul", {}, ids.map(pick)) : null,
      chip.status,
      el("div", { "class": "actions" }, [resolve, off, options]),
      el("p", { "class": "meta" }, ["“Resolve this page” sends this page's address to ",
                                   el("code", {}, server),
                                   " to look for the trials it is about. Otherwise only NCT " +
                                   "numbers leave your browser."])
    ]);
    node.addEventListener("keydown", function (event) {
      if (event.key === "Escape") {
        event.stopPropagation();
        chip.open = false;
        drawChip(true);
      }
    });
    return node;
  }

  function pick(id) {
    var entry = entries[id];
    var button = el("button", { type: "button", "class": "pick" }, [
      el("span", { "class": "id" }, id),
      el("span", { "class": "ttl" }, !entry ? "Not looked up yet"
        : entry.pending ? "Still being looked up…" : entry.title || id),
      el("span", { "class": "sc" }, entry && !entry.pending ? String(entry.score || 0) : "")
    ]);
    button.addEventListener("click", function () { openOverlay([id], null, button); });
    return el("li", {}, button);
  }

  // -- the toolbar button and the settings --------------------------------------------------

  function activate() {
    clicked = true;
    if (!chip) {
      var made = shadowHost("div", "chip");
      adopt(made.root, CHIP_CSS);
      chip = { host: made.host, root: made.root, open: true, status: null };
      document.documentElement.appendChild(made.host);
    }
    chip.open = true;
    drawChip(true);
    return run().then(function () { drawChip(true); });
  }

  function start() {
    send({ type: "mode" }).then(function (answer) {
      if (!answer || !answer.mode) return;
      server = answer.server || server;
      mode = answer.mode;
      if (mode === "auto") {
        run();
      } else if (mode === "click") {
        // Counted here, shown on the toolbar button; nothing is sent until it is clicked.
        send({ type: "count",
               count: trialbuzzScan.scan(document, location.href, CONFIG.maxIds).ids.length });
      }
    });
  }

  ext.runtime.onMessage.addListener(function (message) {
    if (message && message.type === "activate") {
      activate();
      return false;
    }
    return false;
  });

  ext.storage.onChanged.addListener(function (changes, area) {
    if (area !== "sync") return;
    send({ type: "mode" }).then(function (answer) {
      if (!answer || !answer.mode) return;
      server = answer.server || server;
      mode = answer.mode;
      if (mode !== "auto" && !clicked) teardown();
      else if (mode === "auto" && !active) run();
    });
  });

  start();
  return { fetch: overlayFetch, activate: activate };
}());
