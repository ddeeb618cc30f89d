/* trialbuzz details page: copy buttons for the badge snippets (clipboard API, selection fallback). */
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
}());
