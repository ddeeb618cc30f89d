"""What a person sees, checked in a real Chromium: axe-core's WCAG 2.x A and AA audit, pages that
never scroll sideways, and no visible text under 12 px.

axe-core comes from npm (package.json, `make test` installs it into node_modules). It is
evaluated into the page through the DevTools protocol, which no Content-Security-Policy governs,
and it walks open shadow roots, so the overlay and the badges are audited with the page.
"""

import os

import pytest

AXE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                   "node_modules", "axe-core", "axe.min.js")
# WCAG 2.0, 2.1 and 2.2 at levels A and AA.
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
# Rules axe marks experimental run only when named; this one is WCAG 2.1 A (2.5.3).
EXPERIMENTAL = ["label-content-name-mismatch"]
MIN_TEXT_PX = 12
PHONE_WIDTHS = (360, 390)


def axe_source():
    """axe.min.js, or a skip (a failure where the browser tests are required) without it."""
    if not os.path.exists(AXE):
        if os.environ.get("TRIALBUZZ_REQUIRE_BROWSER"):
            pytest.fail(f"axe-core is required but missing at {AXE}: run `make test`")
        pytest.skip("axe-core is not installed (run `npm ci`, as `make test` does)")
    with open(AXE, encoding="utf-8") as handle:
        return handle.read()


def violations(page, include=None):
    """axe's violations on `page` (or within the CSS selector `include`), as plain dicts."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(axe_source() + "\n;0")
    options = {"runOnly": {"type": "tag", "values": TAGS},
               "rules": {rule: {"enabled": True} for rule in EXPERIMENTAL},
               "resultTypes": ["violations"]}
    return page.evaluate("""async ([include, options]) => {
        const context = include ? {include: [[include]]} : document;
        const result = await window.axe.run(context, options);
        return result.violations.map((v) => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map((n) => ({target: n.target.map(String).join(' >> '),
                                        html: n.html.slice(0, 160),
                                        summary: n.failureSummary}))}));
    }""", [include, options])


def report(found):
    """A readable list of violations: rule, what it asks, and each element with why."""
    lines = []
    for violation in found:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"]:
            summary = " ".join((node["summary"] or "").split())
            lines.append(f"    {node['target']}: {node['html']}\n      {summary}")
    return "\n".join(lines)


def assert_accessible(page, where, include=None):
    """Fail with axe's violations, named by `where`, unless there are none."""
    found = violations(page, include)
    assert not found, f"axe found {len(found)} WCAG violation(s) on {where}:\n{report(found)}"


def sideways(page):
    """How far the page scrolls sideways, in CSS pixels (0 when it does not)."""
    return page.evaluate("document.documentElement.scrollWidth - innerWidth")


# Visible text nodes, in the document and in open shadow roots, with their rendered size:
# HTML text at its computed font size, SVG text scaled as its drawing is on screen.
SMALLEST_TEXT = """() => {
    const found = [];
    const visible = (el) => {
        const style = getComputedStyle(el);
        if (style.visibility !== 'visible' || parseFloat(style.opacity) === 0) return false;
        const box = el.getBoundingClientRect();
        return box.width > 1 && box.height > 1;   // visually hidden text is read, not seen
    };
    const walk = (root) => {
        const walker = document.createTreeWalker(root, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT);
        for (let node = walker.currentNode; node; node = walker.nextNode()) {
            if (node.nodeType === Node.ELEMENT_NODE) {
                if (node.shadowRoot) walk(node.shadowRoot);
                continue;
            }
            const el = node.parentElement;
            if (!el || !node.textContent.trim() || ['SCRIPT', 'STYLE', 'TITLE', 'NOSCRIPT']
                .includes(el.tagName.toUpperCase())) continue;
            if (el.closest('svg title, svg desc') || !visible(el)) continue;
            let size = parseFloat(getComputedStyle(el).fontSize);
            if (el instanceof SVGElement && el.getScreenCTM) {
                const m = el.getScreenCTM();
                if (m) size *= Math.sqrt(Math.abs(m.a * m.d - m.b * m.c));
            }
            found.push({size: Math.round(size * 100) / 100, text: node.textContent.trim().slice(0, 40),
                        tag: el.tagName.toLowerCase() + (el.className && el.className.baseVal === undefined
                             ? '.' + String(el.className).split(' ').join('.') : '')});
        }
    };
    walk(document.documentElement);
    found.sort((a, b) => a.size - b.size);
    return found.slice(0, 5);
}"""


def smallest_text(page):
    """The five smallest pieces of visible text: [{size, text, tag}], smallest first."""
    return page.evaluate(SMALLEST_TEXT)


def assert_fits_a_phone(page, where):
    """No sideways scroll, and no visible text smaller than 12 px, on `page` as it is now."""
    overflow = sideways(page)
    width = page.evaluate("innerWidth")
    problems = []
    if overflow > 0:
        problems.append(f"{where} scrolls sideways by {overflow} px at {width} px: " +
                        ", ".join(page.evaluate(WIDEST)))
    small = [t for t in smallest_text(page) if t["size"] < MIN_TEXT_PX]
    if small:
        problems.append(f"text under {MIN_TEXT_PX} px on {where} at {width} px: {small}")
    assert not problems, "\n".join(problems)


# The elements reaching past the right edge, for the failure message.
WIDEST = """() => {
    const out = [];
    const walk = (root) => {
        for (const el of root.querySelectorAll('*')) {
            if (el.shadowRoot) walk(el.shadowRoot);
            const box = el.getBoundingClientRect();
            if (box.right > innerWidth + 0.5 && box.width > 0) {
                out.push(`${el.tagName.toLowerCase()}.${String(el.className && el.className.baseVal
                          === undefined ? el.className : '').split(' ').join('.')} right=${Math.round(box.right)}`);
            }
        }
    };
    walk(document);
    return out.slice(0, 8);
}"""
