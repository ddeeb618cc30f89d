/* trialbuzz bookmarklet body. On click it reads the page's NCT IDs (URL, link targets, visible
   text), asks /api/v1/badge and loads the overlay from this server; when the page's
   Content-Security-Policy or Trusted Types block the script or the request, it opens the same
   view in a popup on our origin, and if popups are blocked goes to the details page.
   It travels inside a javascript: URL of at most 2,000 characters, hence the short names;
   ES2017 without template literals (rjsmin) and without eval (pages may forbid it).
   The server fills in __TRIALBUZZ_BASE__ and __TRIALBUZZ_VERSION__. */
void (() => {
  const B = "__TRIALBUZZ_BASE__",
    d = document,
    w = window,
    L = location,
    E = encodeURIComponent,
    // Our origin, as violation reports name blocked requests.
    O = B.split("/").slice(0, 3).join("/"),
    H = "trialbuzz-overlay-host",
    A = "trialbuzzOverlay",
    ids = [],
    add = (t) => (String(t).match(/(^|[^A-Za-z0-9])NCT[0-9]{8}(?![A-Za-z0-9])/gi) || [])
      .forEach((m) => {
        m = m.slice(-11).toUpperCase();
        // "NCT00000000" is not an ID, and the API would refuse the whole request for it.
        m > "NCT00000000" && ids.indexOf(m) < 0 && ids.push(m);
      });
  let h = d.getElementById(H),
    F;
  // The host element is the sentinel: a second click closes whatever is open or loading.
  if (h) return h.tb ? h.tb.close() : h.remove();
  // Read at click time: the study page is a single-page app that changes without reloading.
  add(L.href);
  d.querySelectorAll("a[href]").forEach((a) => add(a.href));
  add(d.body ? d.body.innerText : "");
  ids.splice(20);
  const q = "url=" + E(L.href) + "&ids=" + ids.join(","),
    // Once, and never after the reader has closed the overlay.
    pop = () => F || !h.isConnected || (F = 1, h.remove(),
      w.open(B + "/popup?" + q + "&title=" + E(d.title), "trialbuzz", "width=460,height=720") ||
      (L.href = B + (ids[0] ? "/trial/" + ids[0] : "/?q=" + E(L.href)))),
    c = {
      b: B,
      u: L.href,
      t: d.title,
      i: ids,
      f: d.activeElement,
      // Started now, in parallel with the script, so the overlay has its data sooner.
      p: ids[0] && fetch(B + "/api/v1/badge?" + q)
        .then((r) => r.json().then((j) => ({ s: r.status, j })))
        .catch(() => ({ e: 1 })),
    },
    go = () => F || !h.isConnected || (h.tb = w[A].open(h, c));
  h = d.createElement("div");
  h.id = H;
  d.documentElement.appendChild(h);
  d.addEventListener("securitypolicyviolation", (e) => (e.blockedURI || "").indexOf(O) || pop());
  if (w[A] && w[A].open) return go();
  const s = d.createElement("script");
  let u = B + "/bookmarklet/overlay.js?v=__TRIALBUZZ_VERSION__";
  s.onload = go;
  s.onerror = pop;
  setTimeout(() => h.tb || pop(), 8000);
  try {
    // Pages that require Trusted Types but name no allowed policies accept one of ours,
    // which only ever yields our own script URL.
    try {
      u = w.trustedTypes.createPolicy("trialbuzz", { createScriptURL: () => u }).createScriptURL(u);
    } catch (e) {}
    s.src = u;
    d.documentElement.appendChild(s);
  } catch (e) {
    pop();
  }
})();
