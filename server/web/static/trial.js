/* trialbuzz details page: copy buttons for the badge snippets (clipboard API, selection
   fallback); while the trial is still being looked up or collected, the page asks for itself
   again and swaps the fresh content in without a reload. */
(function () {
  "use strict";

  function announce(text) {
    var status = document.getElementById("copy-status");
    if (status) {
      status.textContent = text;
    }
  }

  function selectText(node) {
    var range = document.createRange();
    range.selectNodeContents(node);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  function copied(button) {
    button.textContent = "Copied";
    announce("Copied to the clipboard.");
    window.setTimeout(function () { button.textContent = "Copy"; }, 2000);
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("button[data-copy]") : null;
    if (!button) {
      return;
    }
    var code = document.getElementById(button.getAttribute("data-copy"));
    if (!code) {
      return;
    }
    var text = code.textContent;
    // The clipboard API needs a secure context; elsewhere the text is selected for Ctrl+C.
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { copied(button); }, function () {
        selectText(code);
        announce("Selected: press Ctrl+C or Cmd+C to copy.");
      });
    } else {
      selectText(code);
      var done = false;
      try {
        done = document.execCommand("copy");
      } catch (error) {
        done = false;
      }
      if (done) {
        copied(button);
      } else {
        announce("Selected: press Ctrl+C or Cmd+C to copy.");
      }
    }
  });

  // -- a page still collecting (or a trial still being looked up) brings itself up to date --

  var POLL_MS = 1500;   // ask again after this long, a little longer each time…
  var POLL_TRIES = 20;  // …this many times at most

  function fetchPage(path) {
    return fetch(path, { cache: "no-cache", credentials: "same-origin",
                         headers: { Accept: "text/html" } }).then(function (response) {
      return response.text().then(function (text) {
        return { status: response.status, url: response.url,
                 doc: new DOMParser().parseFromString(text, "text/html") };
      });
    });
  }

  // Scripts of the fresh page not on this one yet (the pending page lacks the badge embed).
  function addScripts(fresh) {
    var have = [].map.call(document.scripts, function (node) { return node.src; });
    [].forEach.call(fresh.querySelectorAll("head script[src]"), function (node) {
      if (have.indexOf(node.src) < 0) {
        var script = document.createElement("script");
        script.src = node.getAttribute("src");
        script.async = true;
        document.head.appendChild(script);
      }
    });
  }

  // The fresh main content in place of ours; the live status line is kept, so what it says
  // next is announced.
  function swap(answer) {
    var main = document.getElementById("main");
    var next = answer.doc.getElementById("main");
    if (!main || !next || next.textContent === main.textContent) {
      return;
    }
    var status = document.getElementById("collect-status");
    var nextStatus = next.querySelector("#collect-status");
    if (status && nextStatus) {
      status.className = nextStatus.className;
      status.toggleAttribute("data-collecting", nextStatus.hasAttribute("data-collecting"));
      status.textContent = nextStatus.textContent ||
        "Every source has answered: these are the final figures.";
      nextStatus.replaceWith(status);
    }
    main.replaceChildren.apply(main, [].slice.call(next.childNodes));
    document.title = answer.doc.title;
    addScripts(answer.doc);
    var path = new URL(answer.url).pathname;
    if (path !== location.pathname) {
      history.replaceState(null, "", path);
    }
    if (window.trialbuzz && typeof window.trialbuzz.embed === "function") {
      window.trialbuzz.embed(main);
    }
  }

  function unfinished() {
    return document.querySelector("[data-pending], [data-collecting]");
  }

  function poll(tries) {
    var waiting = unfinished();
    if (!waiting || tries >= POLL_TRIES) {
      return;
    }
    var path = waiting.getAttribute("data-pending") || location.pathname;
    window.setTimeout(function () {
      fetchPage(path).then(function (answer) {
        if (answer.status !== 202) {
          swap(answer);
        }
        poll(tries + 1);
      }, function () { poll(tries + 1); });
    }, Math.min(POLL_MS * Math.pow(1.25, tries), 10000));
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { poll(0); });
  } else {
    poll(0);
  }
}());
