/* trialbuzz extension options: the server, "only on click" and the sites where it stays off,
   kept in chrome.storage.sync. A server other than the default needs its host permission,
   asked for here (optional_host_permissions) when it is saved. */
/* global TRIALBUZZ_CONFIG */
(function () {
  "use strict";

  var ext = globalThis.browser || globalThis.chrome;
  var DEFAULTS = { server: TRIALBUZZ_CONFIG.server, onlyOnClick: false, disabledSites: [] };
  var form = document.getElementById("options");
  var server = document.getElementById("server");
  var onlyOnClick = document.getElementById("only-on-click");
  var sites = document.getElementById("disabled-sites");
  var status = document.getElementById("status");

  document.getElementById("default-server").textContent = DEFAULTS.server;

  function say(text, kind) {
    status.textContent = text;
    status.className = "status " + (kind || "");
  }

  // "https://example.org/trialbuzz/" -> "https://example.org/trialbuzz"; null if not http(s).
  function serverUrl(value) {
    try {
      var url = new URL(String(value).trim());
      if (url.protocol !== "http:" && url.protocol !== "https:") return null;
      return (url.origin + url.pathname).replace(/\/+$/, "");
    } catch (e) {
      return null;
    }
  }

  // "https://News.Example.org/page" or "news.example.org" -> "news.example.org".
  function siteName(line) {
    var text = String(line).trim().toLowerCase();
    if (!text) return null;
    try {
      return new URL(/^[a-z]+:\/\//.test(text) ? text : "http://" + text).hostname || null;
    } catch (e) {
      return null;
    }
  }

  // Host permissions are per host, whatever the port (Firefox takes no ports in patterns).
  function pattern(url) {
    var parsed = new URL(url);
    return parsed.protocol + "//" + parsed.hostname + "/*";
  }

  function load() {
    ext.storage.sync.get(DEFAULTS).then(function (stored) {
      server.value = stored.server || DEFAULTS.server;
      onlyOnClick.checked = !!stored.onlyOnClick;
      sites.value = (stored.disabledSites || []).join("\n");
    });
  }

  function permitted(url) {
    if (pattern(url) === pattern(DEFAULTS.server)) return Promise.resolve(true);
    // Asked during the click on Save, as the browser requires.
    return ext.permissions.request({ origins: [pattern(url)] }).catch(function () {
      return false;
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var url = serverUrl(server.value);
    if (!url) {
      say("The server must be an http or https address, such as " + DEFAULTS.server + ".",
          "error");
      server.focus();
      return;
    }
    var list = [];
    var bad = [];
    sites.value.split(/\n/).forEach(function (line) {
      if (!line.trim()) return;
      var name = siteName(line);
      if (name) {
        if (list.indexOf(name) < 0) list.push(name);
      } else {
        bad.push(line.trim());
      }
    });
    if (bad.length) {
      say("Not a host name: " + bad.join(", ") + ".", "error");
      sites.focus();
      return;
    }
    permitted(url).then(function (granted) {
      return ext.storage.sync.set({ server: url, onlyOnClick: onlyOnClick.checked,
                                    disabledSites: list }).then(function () {
        server.value = url;
        sites.value = list.join("\n");
        say(granted ? "Saved." : "Saved. Without access to " + pattern(url) + " the browser " +
            "reaches that server only if it allows other sites to read its API (trialbuzz " +
            "servers do).", "ok");
      });
    }).catch(function (error) {
      say("Not saved: " + ((error && error.message) || error) + ".", "error");
    });
  });

  document.getElementById("reset").addEventListener("click", function () {
    server.value = DEFAULTS.server;
    say("Default server filled in; save to use it.");
  });

  load();
}());
