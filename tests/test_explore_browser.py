"""The Explorer page in a real Chromium: filters by keyboard, results with their badges and
context, paging and the CSV link; at 390 px and desktop, light and dark."""

import pytest

from accessibility import assert_accessible, assert_fits_a_phone
from conftest import app_config
from test_explore import _tracked
from trialbuzz import create_app
from trialbuzz.storage.db import get_db

pytestmark = pytest.mark.browser
expect = pytest.importorskip("playwright.sync_api").expect


@pytest.fixture
def explorer(live_server, fake, ctgov, tmp_path):
    """The live server's store with 24 trials with attention, filled through the app's code."""
    app = create_app(app_config(tmp_path, fake.url))
    try:
        _tracked(app, ctgov, 24)
    finally:
        app.extensions["trialbuzz"].jobs.shutdown()
        get_db(app).dispose()
    return live_server + "/explore"


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [390, 1100])
def test_explore_page_filters_and_pages(browser, explorer, artifacts, scheme, width):
    context = browser.new_context(color_scheme=scheme, viewport={"width": width, "height": 900})
    page = context.new_page()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(explorer + "?limit=10")
    assert page.get_by_role("heading", level=1).inner_text() == "Explore trials with attention"
    assert page.get_by_role("heading", level=2).inner_text() == "24 trials, 1–10 shown"
    items = page.locator(".explore-item")
    assert items.count() == 10
    assert items.first.locator("h3").inner_text() == "Trial 24"
    assert "in the top 5% of 24 trials tracked" in items.first.inner_text()
    page.screenshot(path=f"{artifacts}/explore-{width}-{scheme}.png", full_page=True)
    # Nothing overflows the narrow screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert_accessible(page, f"the Explorer ({width} px, {scheme})")
    if width < 640:
        assert_fits_a_phone(page, "the Explorer")
    # Every control has its label.
    for name in ("Search", "Status", "Phase", "Study type", "Condition", "Sponsor",
                 "Kind of mention", "Source", "Results reporting", "Mentioned from",
                 "Mentioned to", "Sort by"):
        expect(page.get_by_label(name, exact=True)).to_be_visible()
    # By keyboard: a phase chosen, the form sent with Enter from the search box.
    page.get_by_label("Phase", exact=True).select_option("PHASE2")
    page.get_by_label("Search", exact=True).fill("trial 1")
    page.get_by_label("Search", exact=True).press("Enter")
    page.wait_for_url("**phase=PHASE2**")
    titles = page.locator(".explore-item h3").all_inner_texts()
    assert titles and all(int(t.split()[1]) % 2 == 0 and t.startswith("Trial 1") for t in titles)
    assert page.get_by_role("link", name="Download as CSV").get_attribute("href").startswith(
        "/api/v1/explore.csv?q=trial+1&phase=PHASE2")
    page.goto(explorer + "?limit=10")
    page.get_by_role("link", name="Next 10").click()
    assert page.get_by_role("heading", level=2).inner_text() == "24 trials, 11–20 shown"
    assert page.locator(".explore-item h3").first.inner_text() == "Trial 14"
    assert errors == []
    # A bad value answers 400, with the reason on the page.
    page.goto(explorer + "?status=NOPE")
    expect(page.get_by_role("alert")).to_contain_text("status must be one of")
    assert_accessible(page, f"the Explorer with a bad filter ({width} px, {scheme})")
    context.close()


@pytest.mark.parametrize("scheme, width", [("light", 1000), ("dark", 390)])
def test_overlay_says_where_the_score_stands(browser, explorer, artifacts, scheme, width):
    context = browser.new_context(color_scheme=scheme, viewport={"width": width, "height": 900})
    page = context.new_page()
    page.goto(explorer.replace("/explore", "/popup?ids=NCT00000024"))
    region = page.get_by_role("region", name="Trial 24")
    # Its cohort (12 phase 2 trials of 2021) is under CONTEXT_MINIMUM: not placed in it.
    expect(region.locator(".context")).to_have_text("In the top 5% of 24 trials tracked",
                                                    timeout=15_000)
    page.screenshot(path=f"{artifacts}/explore-overlay-context-{scheme}.png")
    context.close()


def test_embed_popover_says_where_the_score_stands(browser, explorer, fake, artifacts):
    from fakeupstream import Reply

    base = explorer.replace("/explore", "")
    fake.route("/favicon.ico", Reply(204))
    fake.route("/host", Reply.text(
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Our trials</title>"
        "</head><body><main style='padding:120px 0'><div class='trialbuzz-embed' id='one' "
        "data-nct-id='NCT00000012' data-badge-popover='right'></div></main>"
        f"<script async src='{base}/embed.js'></script></body></html>",
        content_type="text/html"))
    context = browser.new_context(viewport={"width": 1000, "height": 700})
    page = context.new_page()
    page.goto(fake.url + "/host")
    badge = page.locator("#one .badge")
    badge.wait_for(timeout=15_000)
    badge.hover()
    popover = page.locator("#one .popover")
    expect(popover).to_be_visible()
    expect(popover.locator(".pop-context")).to_have_text("Ranked 13 of 24 trials tracked")
    page.screenshot(path=f"{artifacts}/explore-embed-context.png")
    context.close()
