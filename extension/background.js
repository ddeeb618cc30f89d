/* trialbuzz extension: the background service worker (an event page's script in Firefox).
   It holds no DOM and no state of its own: it answers the content scripts' questions from the
   settings (chrome.storage.sync), makes every request to the trialbuzz server, and turns a
   click on the toolbar button into "show the trials on this page".
   Requests carry NCT IDs only; a page's address is sent only when the reader asks for that
   page to be resolved. config.js (written by the build) gives the default server. */
/* global TRIALBUZZ_CONFIG, importScripts */
if (typeof TRIALBUZZ_CONFIG === "undefined" && typeof importScripts === "function") {
  importScripts("config.js");
}

var ext = globalThis.browser || globalThis.chrome;
var DEFAULTS = { server: TRIALBUZZ_CONFIG.server, onlyOnClick: false, disabledSites: [] };
var CONTENT_SCRIPTS = ["config.js", "overlay.js", "scan.js", "content.js"];
var TITLES = {
  auto: "trialbuzz: attention badges for the trials on this page",
  click: "trialbuzz: click to show the trials on this page",
  off: "trialbuzz is off on this site: click to show the trials on this page once"
};

// The tab went away before its toolbar button was updated: nothing to do.
function ignore() {}

function settings() {
  return ext.storage.sync.get(DEFAULTS).then(function (stored) {
    var server = String(stored.server || DEFAULTS.server).replace(/\/+$/, "");
    return {
      server: /^https?:\/\/[^/]/i.test(server) ? server : DEFAULTS.server,
      onlyOnClick: !!stored.onlyOnClick,
      disabledSites: Array.isArray(stored.disabledSites) ? stored.disabledSites : []
    };
  });
}

// A site is off when its host name, or a domain above it, is listed.
function siteOff(host, sites) {
  host = String(host || "").toLowerCase();
  return sites.some(function (site) {
    site = String(site).trim().toLowerCase();
    return !!site && (host === site || host.slice(-site.length - 1) === "." + site);
  });
}

function hostOf(url) {
  try {
    return new URL(url).hostname;
  } catch (e) {
    return "";
  }
}

// How a page is treated: "auto" badges it at once, "click" waits for the toolbar button,
// "off" does nothing there unless the button is clicked.
function mode(sender) {
  return settings().then(function (s) {
    var m = siteOff(hostOf(sender.url || (sender.tab && sender.tab.url)), s.disabledSites)
      ? "off" : s.onlyOnClick ? "click" : "auto";
    if (sender.tab && sender.tab.id !== undefined) {
      ext.action.setTitle({ tabId: sender.tab.id, title: TITLES[m] }).catch(ignore);
    }
    return { mode: m, server: s.server };
  });
}

// One GET to the server's API: /api/v1/ paths only, none climbing out of it with dots; the
// `url` parameter (a page's address) is dropped unless the reader asked for this page to be
// resolved.
function api(path, allowUrl, fresh) {
  if (typeof path !== "string" || path.indexOf("/api/v1/") !== 0 ||
      /(^|\/)\.\.?(\/|$)|\\|%2e/i.test(path.split("?")[0])) {
    return Promise.resolve({ status: 0, error: "not an API path" });
  }
  if (!allowUrl) {
    var parts = path.split("?");
    path = parts[0] + (parts.length > 1 ? "?" + parts.slice(1).join("?").split("&")
      .filter(function (pair) { return pair.split("=")[0] !== "url"; }).join("&") : "");
  }
  return settings().then(function (s) {
    return fetch(s.server + path, { credentials: "omit", cache: fresh ? "no-cache" : "default",
                             referrerPolicy: "no-referrer" })
      .then(function (response) {
        return response.json().catch(function () { return null; }).then(function (body) {
          return { status: response.status, body: body };
        });
      })
      .catch(function (error) {
        return { status: 0, error: String((error && error.message) || error) };
      });
  });
}

function handle(message, sender) {
  switch (message && message.type) {
    case "mode":
      return mode(sender);
    case "badges":
      return api("/api/v1/badges?ids=" + (message.ids || []).join(","), false, message.fresh);
    case "api":
      // The overlay's requests; `resolving` only for an overlay opened by "Resolve this page".
      return api(message.path, !!message.resolving, message.fresh);
    case "resolve":
      // Sent only from a click on "Resolve this page": the page's address, explicitly.
      return api("/api/v1/resolve?url=" + encodeURIComponent(String(message.url || "")), true);
    case "count":
      if (sender.tab && sender.tab.id !== undefined) {
        ext.action.setBadgeBackgroundColor({ tabId: sender.tab.id, color: "#b3261e" })
          .catch(ignore);
        ext.action.setBadgeText({ tabId: sender.tab.id,
                                  text: message.count ? String(message.count) : "" })
          .catch(ignore);
      }
      return Promise.resolve({});
    case "site-off":
      // "Turn off on this site" in the trialbuzz panel: the page's host joins the list.
      return settings().then(function (s) {
        var host = String(message.host || "").toLowerCase();
        if (!host || siteOff(host, s.disabledSites)) return {};
        return ext.storage.sync.set({ disabledSites: s.disabledSites.concat([host]) })
          .then(function () { return {}; });
      });
    case "options":
      return ext.runtime.openOptionsPage().then(function () { return {}; });
    default:
      return Promise.resolve({ error: "unknown message" });
  }
}

ext.runtime.onMessage.addListener(function (message, sender, reply) {
  handle(message, sender).then(reply, function (error) { reply({ error: String(error) }); });
  return true;  // the answer comes asynchronously
});

// The toolbar button: show this page's trials, injecting the content scripts first where
// they are not running yet (a tab opened before the extension was installed).
function activateTab(tab) {
  var tabId = tab.id;
  return ext.tabs.sendMessage(tabId, { type: "activate" }).catch(function () {
    return ext.scripting.executeScript({ target: { tabId: tabId }, files: CONTENT_SCRIPTS })
      .then(function () { return ext.tabs.sendMessage(tabId, { type: "activate" }); });
  });
}

ext.action.onClicked.addListener(function (tab) {
  activateTab(tab).catch(function () { /* a page no extension may touch */ });
});
