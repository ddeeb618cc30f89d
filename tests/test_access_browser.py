"""What every reader sees, in a real Chromium: axe-core's WCAG 2.0/2.1/2.2 A and AA audit of
every page, the overlay, the popup and every badge, at a phone's width and a desktop's, light and
dark; no page scrolling sideways on a phone, no text under 12 px; pages naming several trials;
the overlay by keyboard."""

import html
import sys
from urllib.parse import quote, urlsplit

import pytest
import requests

import quiet
import upstreams
from accessibility import (MIN_TEXT_PX, PHONE_WIDTHS, assert_fits_a_phone, report,
                           smallest_text, violations)
from bookmarkletpages import body_from, page_html
from conftest import app_config
from fakeupstream import Reply
from liveserver import as_environment, running_server
from records import reference, study

pytestmark = pytest.mark.browser
expect = pytest.importorskip("playwright.sync_api").expect

PRIMARY = "NCT04280705"
TITLE = "Adaptive COVID-19 Treatment Trial (ACTT)"
QUIET = "NCT04292899"
QUIET_TITLE = "Remdesivir in Hospitalized Adults With Severe COVID-19: Quiet Follow-up Cohort A"
LONG = "NCT04368728"
# One word longer than any phone is wide: it must wrap, not push the page sideways.
LONG_TITLE = "Pneumonoultramicroscopicsilicovolcanoconiosis" * 2 + "-Remdesivir-Evaluation-Study"
# Three trials whose titles share a long beginning: the chooser must show what tells them apart.
SHARED = "Remdesivir in Hospitalized Adults With Severe COVID-19: "
SIBLINGS = {"NCT04401579": SHARED + "Cohort B With Baricitinib",
            "NCT04492475": SHARED + "Cohort C With Interferon Beta-1a"}
WIDTHS = (390, 1280)
SCHEMES = ("light", "dark")

THREE_TRIALS = page_html("Remdesivir trials - a review", f"""
<main><h1>Remdesivir for COVID-19: a review</h1>
<p>First <a href="https://clinicaltrials.gov/study/{QUIET}">{QUIET}</a>, then the ACTT trial
 ({PRIMARY}) and last {LONG}.</p></main>""")
SIBLINGS_PAGE = page_html("Remdesivir cohorts", f"""
<main><h1>Three cohorts</h1><p>{QUIET}, {" and ".join(SIBLINGS)}.</p></main>""")
CLEAN_CSS = """
body { font: 16px/1.5 system-ui, sans-serif; margin: 1rem; color: #1b1d21; background: #fff; }
@media (prefers-color-scheme: dark) { body { color: #e6e6e6; background: #15171b; } }
"""
BADGES = [
    ("donut", 'data-badge-type="donut" data-badge-popover="right"'),
    ("medium donut", 'data-badge-type="medium-donut" data-badge-details="right"'),
    ("large donut", 'data-badge-type="large-donut" data-badge-popover="bottom"'),
    ("flat", 'data-badge-type="1"'),
    ("small", 'data-badge-type="2" data-badge-popover="top"'),
    ("card", 'data-badge-type="4" data-badge-details="right"'),
    ("bar", 'data-badge-type="bar" data-badge-popover="left" data-condensed="true"'),
    ("medium bar", 'data-badge-type="medium-bar"'),
    ("large bar", 'data-badge-type="large-bar" data-badge-details="right"'),
    ("no score", 'data-badge-type="medium-donut" data-no-score="true"'),
    ("monochrome", 'data-badge-type="medium-donut" data-monochrome="true"'),
]


def embed_page(server):
    """A plain page of another site with every badge type, for a trial with attention and one
    without, and the SVG badges as images."""
    rows = []
    for nct_id in (PRIMARY, QUIET):
        for name, attrs in BADGES:
            rows.append(f'<li>{name}, {nct_id}: <div class="trialbuzz-embed" '
                        f'data-nct-id="{nct_id}" {attrs}></div></li>')
        for style, size in (("flat", 64), ("flat-square", 64), ("for-the-badge", 64),
                            ("donut", 64), ("donut", 100), ("donut", 180)):
            url = f"{server}/badge/{nct_id}.svg?style={style}&size={size}"
            # As an image, and inline, where axe reads its name and its text.
            rows.append(f'<li><img src="{html.escape(url)}" '
                        f'alt="Attention for {nct_id} ({style} badge)"></li>')
            rows.append(f"<li>{requests.get(url, timeout=30).text}</li>")
    return ("<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            "<meta name='color-scheme' content='light dark'><title>Our trials</title>"
            "<link rel='icon' href='data:,'><link rel='stylesheet' href='/fixtures/clean.css'>"
            "</head><body><main><h1>Trials at our hospital</h1>"
            f"<ul>{''.join(rows)}</ul></main>"
            f"<script async src='{server}/embed.js'></script></body></html>")


@pytest.fixture
def site(fake, ctgov, tmp_path):
    """A live server that may read the fake's pages, trials with and without attention, and
    fixture pages on the fake: `site.server`, `site.page(path)`."""
    ctgov.add(study(references=[reference("33052335")]))
    ctgov.add(study(QUIET, title=QUIET_TITLE, acronym=None))
    ctgov.add(study(LONG, title=LONG_TITLE, acronym=None))
    for nct_id, title in SIBLINGS.items():
        ctgov.add(study(nct_id, title=title, acronym=None))
    upstreams.install(fake)
    quiet.install(fake, QUIET, *SIBLINGS)
    fake.route("/favicon.ico", Reply(204))
    fake.route("/fixtures/page.css", Reply.text(CLEAN_CSS, content_type="text/css"))
    fake.route("/fixtures/clean.css", Reply.text(CLEAN_CSS, content_type="text/css"))
    fake.route("/fixtures/three", Reply.text(THREE_TRIALS, content_type="text/html"))
    fake.route("/fixtures/siblings", Reply.text(SIBLINGS_PAGE, content_type="text/html"))
    fake.route("/fixtures/empty", Reply.text(page_html("Nothing here", "<main><h1>No trial"
                                                       "</h1></main>"), content_type="text/html"))
    env = as_environment(app_config(tmp_path, fake.url))
    env["TRIALBUZZ_FETCH_ALLOW_HOSTS"] = urlsplit(fake.url).netloc
    with running_server([sys.executable, "-m", "trialbuzz.cli", "serve"], env=env) as server:
        fake.route("/fixtures/embeds", Reply.text(embed_page(server), content_type="text/html"))

        class Site:
            def page(path):
                return fake.url + path

        Site.server = server
        yield Site


def pages(site):
    """(name, URL) of every page a reader can reach."""
    three = quote(site.page("/fixtures/three"), safe="")
    return [
        ("home", site.server + "/"),
        ("lookup of an ID", site.server + f"/?q={PRIMARY}"),
        ("lookup of a page naming three trials", site.server + f"/?q={three}"),
        ("lookup error", site.server + "/?q=not%20a%20trial"),
        ("details", site.server + f"/trial/{PRIMARY}"),
        ("details without attention", site.server + f"/trial/{QUIET}"),
        ("details with a long title", site.server + f"/trial/{LONG}"),
        ("score", site.server + "/about/score"),
        ("install", site.server + "/bookmarklet"),
        ("demo study", site.server + f"/demo/study/{PRIMARY}"),
        ("popup", site.server + f"/popup?ids={PRIMARY}"),
        ("popup of three", site.server + f"/popup?ids={QUIET},{PRIMARY},{LONG}"),
        ("not found", site.server + "/trial/NCT09999999"),
        ("no such page", site.server + "/no/such/page"),
        ("embeds", site.page("/fixtures/embeds")),
    ]


def settle(page):
    """Wait until the page's requests, badges and overlay have drawn what they will."""
    page.wait_for_load_state("networkidle")
    page.evaluate("document.fonts.ready")


def open_context(browser, width, scheme):
    return browser.new_context(color_scheme=scheme, viewport={"width": width, "height": 800})


def open_overlay(page, body, heading):
    """Click the bookmarklet on `page` and wait for the overlay's dialog named `heading`."""
    page.evaluate(body)
    dialog = page.get_by_role("dialog", name=heading)
    dialog.wait_for(timeout=15_000)
    settle(page)
    return dialog


def each_overlay(page, site):
    """Open the overlay in each of its states in turn, yielding while it is open: where it is,
    a slug for its screenshot, and whether the page around it is ours too."""
    body = body_from(site.server)
    page.goto(site.server + f"/demo/study/{PRIMARY}")
    open_overlay(page, body, TITLE)
    yield "the overlay on the demo page", "overlay", True
    page.goto(site.server + f"/demo/study/{LONG}")
    open_overlay(page, body, LONG_TITLE)
    yield "the overlay of a trial with a long title", "overlay-long-title", True
    page.goto(site.page("/fixtures/three"))
    open_overlay(page, body, "3 trials named on this page")
    page.get_by_role("button", name=LONG_TITLE[:20]).first.wait_for(timeout=15_000)
    yield "the overlay's chooser of trials", "overlay-chooser", False
    page.goto(site.page("/fixtures/empty"))
    open_overlay(page, body, "No trial found on this page")
    yield "the overlay on a page naming no trial", "overlay-no-trial", False


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("width", WIDTHS)
def test_every_page_overlay_and_badge_passes_axe(browser, site, artifacts, width, scheme):
    context = open_context(browser, width, scheme)
    page = context.new_page()
    failures = []

    def audit(where, include=None):
        found = violations(page, include)
        if found:
            failures.append(f"{where} ({width} px, {scheme}):\n{report(found)}")

    for name, url in pages(site):
        page.goto(url)
        settle(page)
        audit(name)
        small = [t for t in smallest_text(page) if t["size"] < MIN_TEXT_PX]
        if small:
            failures.append(f"text under {MIN_TEXT_PX} px on {name} ({width} px): {small}")
        slug = name.replace(" ", "-")
        page.screenshot(path=f"{artifacts}/access-{slug}-{width}-{scheme}.png", full_page=True)
    # Every popover of the embeds page, open.
    page.goto(site.page("/fixtures/embeds"))
    settle(page)
    badges = page.locator(".trialbuzz-embed").filter(has=page.locator(".popover"))
    for index in range(badges.count()):
        badges.nth(index).locator(".badge").focus()
        page.wait_for_timeout(200)     # the popover's fade
        audit(f"the embeds page with popover {index + 1} open")
    for where, slug, ours in each_overlay(page, site):
        # On another site's page, only the overlay is ours to answer for.
        audit(where, include=None if ours else "#trialbuzz-overlay-host")
        page.screenshot(path=f"{artifacts}/access-{slug}-{width}-{scheme}.png")
    context.close()
    assert not failures, "\n\n".join(failures)


@pytest.mark.parametrize("width", PHONE_WIDTHS)
def test_no_page_or_overlay_scrolls_sideways_or_shows_tiny_text_on_a_phone(browser, site,
                                                                           artifacts, width):
    context = open_context(browser, width, "light")
    page = context.new_page()
    failures = []

    def check(where):
        try:
            assert_fits_a_phone(page, where)
        except AssertionError as exc:
            failures.append(str(exc))

    for name, url in pages(site):
        page.goto(url)
        settle(page)
        if name == "details":
            # The sources table and the snippets are further down; open the figures' table too.
            page.locator(".chart-table summary").click()
        if name == "install":
            page.locator("details.code summary").click()
        check(name)
        if name == "details with a long title":
            for part, locator in (("head", page.locator("header.trial-head")),
                                  ("timeline", page.locator(".timeline-figure")),
                                  ("sources", page.locator("table.sources"))):
                locator.screenshot(path=f"{artifacts}/access-phone-{part}-{width}.png")
        if name == "score":
            page.locator("table.data").first.screenshot(
                path=f"{artifacts}/access-phone-score-table-{width}.png")
    for where, slug, _ in each_overlay(page, site):
        check(where)
        page.screenshot(path=f"{artifacts}/access-phone-{slug}-{width}.png")
    context.close()
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_a_phone_sees_a_badges_popover_within_the_screen(browser, site, artifacts, scheme):
    context = browser.new_context(color_scheme=scheme, viewport={"width": 390, "height": 760},
                                  is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(site.page("/fixtures/embeds"))
    settle(page)
    for index, side in enumerate(["right", "bottom", "top", "left"]):
        badge = page.locator(f'.trialbuzz-embed[data-badge-popover="{side}"]').first
        badge.scroll_into_view_if_needed()
        badge.locator(".badge").tap()
        popover = badge.locator(".popover")
        expect(popover).to_be_visible()
        box = popover.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, (side, box)
        assert box["y"] >= 0 and box["y"] + box["height"] <= 760, (side, box)
        assert page.url == site.page("/fixtures/embeds")      # the first tap only shows it
        assert "Tap the badge again" in popover.inner_text()
        if index == 0:
            page.screenshot(path=f"{artifacts}/access-popover-phone-{scheme}.png")
        page.locator("h1").tap()
        expect(popover).to_be_hidden()
    badge = page.locator('.trialbuzz-embed[data-badge-popover="right"]').first
    badge.locator(".badge").tap()
    badge.locator(".badge").tap()
    page.wait_for_url(f"{site.server}/trial/{PRIMARY}")
    context.close()


ACTIVE = """() => {
    const host = document.getElementById('trialbuzz-overlay-host');
    const inner = host && host.shadowRoot.activeElement;
    if (!inner) return {outside: document.activeElement.tagName + '#' + document.activeElement.id};
    return {text: inner.getAttribute('aria-label') || inner.textContent.trim().slice(0, 40)};
}"""


def test_keyboard_tab_goes_round_the_overlay_and_escape_closes_from_anywhere(browser, site):
    context = open_context(browser, 1100, "light")
    page = context.new_page()
    page.goto(site.server + f"/demo/study/{PRIMARY}")
    back = page.get_by_role("link", name="Back to the install page")
    back.focus()
    open_overlay(page, body_from(site.server), TITLE)
    # From the heading, Tab walks the content in order, then comes round to Close.
    reached = []
    for _ in range(40):
        page.keyboard.press("Tab")
        reached.append(page.evaluate(ACTIVE))
        if reached[-1] == {"text": "Close"}:
            break
    assert reached[-1] == {"text": "Close"}, reached
    texts = [r.get("text") for r in reached]
    assert all("outside" not in r for r in reached), reached
    assert texts.index("Remdesivir trial results discussed") < texts.index("Details on trialbuzz") \
        < texts.index("Study record") == len(texts) - 2
    # Round again: after Close comes the first link of the content; Shift+Tab goes back.
    page.keyboard.press("Tab")
    assert page.evaluate(ACTIVE) == {"text": texts[0]}
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    assert page.evaluate(ACTIVE) == {"text": "Study record"}
    # Focus on the page itself (a click outside the overlay), then Escape: it closes anyway.
    page.locator("h1").click()
    assert page.evaluate(ACTIVE).get("outside")
    page.keyboard.press("Escape")
    expect(page.locator("#trialbuzz-overlay-host")).to_have_count(0)
    assert page.evaluate("document.activeElement.textContent") == "Back to the install page"
    # Closed, the overlay no longer listens: Escape on the page is the page's again.
    page.evaluate("window.escapes = 0; document.addEventListener('keydown', "
                  "(e) => { if (e.key === 'Escape') window.escapes++; })")
    page.keyboard.press("Escape")
    assert page.evaluate("window.escapes") == 1
    context.close()


def test_the_overlays_chooser_shows_what_tells_the_titles_apart(browser, site, artifacts):
    context = open_context(browser, 390, "light")
    page = context.new_page()
    page.goto(site.page("/fixtures/siblings"))
    dialog = open_overlay(page, body_from(site.server), "3 trials named on this page")
    picks = dialog.locator("button.pick")
    # Once every title has come, their shared start is said once, above them.
    expect(dialog.get_by_text(f"Every title starts “{SHARED.strip()} …”")).to_be_visible(
        timeout=15_000)
    for nct_id, tail in ((QUIET, "Quiet Follow-up Cohort A"),
                         ("NCT04401579", "Cohort B With Baricitinib"),
                         ("NCT04492475", "Cohort C With Interferon Beta-1a")):
        pick = picks.filter(has_text=nct_id)
        expect(pick).to_contain_text(tail, timeout=15_000)
        # Each distinct ending is on screen, not cut off; the shared start is read, not shown.
        shown = pick.locator(".ttl")
        assert shown.evaluate("node => node.scrollHeight <= node.clientHeight + 1")
        assert shown.evaluate("node => [...node.childNodes].filter((c) => !(c.classList && "
                              "c.classList.contains('sr'))).map((c) => c.textContent).join('')"
                              ) == "…" + tail
        assert pick.get_attribute("aria-label") is None
        expect(page.get_by_role("button", name=f"{nct_id} {SHARED}")).to_have_count(1)
    page.screenshot(path=f"{artifacts}/access-overlay-chooser-siblings-390.png")
    context.close()


@pytest.mark.parametrize("scheme, width", [("light", 1280), ("dark", 390)])
def test_home_lookup_of_a_page_lists_every_trial_it_names(browser, site, artifacts, scheme,
                                                          width):
    context = open_context(browser, width, scheme)
    page = context.new_page()
    page.goto(site.server + "/")
    page.get_by_label("NCT ID or page address").fill(site.page("/fixtures/three"))
    page.get_by_role("button", name="Look up").click()
    named = page.get_by_role("region", name="Trials named on that page")
    expect(named).to_be_visible(timeout=30_000)
    assert named.get_by_role("heading", level=3).all_inner_texts() == \
        [QUIET_TITLE, TITLE, LONG_TITLE]
    items = named.get_by_role("listitem").all_inner_texts()
    assert [item.split("\n")[0].split(" ")[0] for item in items] == [QUIET, PRIMARY, LONG]
    assert "13 attention score · 1 news story" in items[1]
    assert "0 attention score · 0 publications" in items[0]
    named.get_by_role("link", name=LONG_TITLE).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(LONG_TITLE)
    page.go_back()
    page.screenshot(path=f"{artifacts}/access-home-three-{scheme}-{width}.png", full_page=True)
    context.close()


@pytest.fixture
def slow(fake, ctgov, tmp_path):
    """A live server that waits 1 s for a cold trial, whose GDELT answers after 8 s (a trial is
    collecting meanwhile) and whose registry answers `slow.delays["ctgov"]` late (pending)."""
    ctgov.add(study(LONG, title=LONG_TITLE, acronym=None))
    upstreams.install(fake)
    delays = {"ctgov": 0.0}
    fake.route(upstreams.ROUTES["gdelt"], lambda request: upstreams.gdelt(request, delay=8.0))
    fake.route(upstreams.ROUTES["ctgov"], lambda request, nct_id: Reply.json(
        ctgov.studies[nct_id.upper()], delay=delays["ctgov"]))
    env = as_environment(app_config(tmp_path, fake.url, COLD_WAIT=1.0,
                                    UPSTREAM_READ_TIMEOUT=20.0))
    with running_server([sys.executable, "-m", "trialbuzz.cli", "serve"], env=env) as base:
        yield type("Slow", (), {"base": base, "delays": delays})


@pytest.mark.parametrize("scheme", SCHEMES)
def test_collecting_and_pending_pages_pass_axe_and_fit_a_phone(browser, slow, artifacts, scheme):
    context = open_context(browser, 390, scheme)
    page = context.new_page()
    failures = []

    def check_widths(where):
        """axe at 390 and 1280 px (violations kept in `failures`), and a phone's fit at 360."""
        for width in (390, 1280):
            page.set_viewport_size({"width": width, "height": 800})
            found = violations(page)
            if found:
                failures.append(f"{where} ({width} px, {scheme}):\n{report(found)}")
        page.set_viewport_size({"width": 360, "height": 800})
        assert_fits_a_phone(page, where)

    page.goto(f"{slow.base}/trial/{PRIMARY}")
    expect(page.locator("#collect-status")).to_contain_text("Collecting…")
    check_widths("the collecting details page")
    page.screenshot(path=f"{artifacts}/access-collecting-{scheme}.png")
    slow.delays["ctgov"] = 8.0
    response = page.goto(f"{slow.base}/trial/{LONG}")
    assert response.status == 202
    check_widths("the pending page")
    expect(page.locator("#collect-status")).to_contain_text("Looking this trial up")
    page.screenshot(path=f"{artifacts}/access-pending-{scheme}.png")
    context.close()
    assert not failures, "\n\n".join(failures)
