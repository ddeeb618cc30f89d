"""Trials still being looked up or collected, in a real Chromium: the overlay, an embedded
badge, the details page and the pending page say so and pick up the final figures in place."""

import re
import sys

import pytest

import upstreams
from conftest import app_config
from fakeupstream import Reply
from liveserver import as_environment, open_page, running_server

pytestmark = pytest.mark.browser
expect = pytest.importorskip("playwright.sync_api").expect

TRIAL = "NCT04280705"
TITLE = "Adaptive COVID-19 Treatment Trial (ACTT)"
# A request waits this long for a cold trial; GDELT answers well after it.
COLD_WAIT = 1.0
SLOW = 4.0
COLLECTING = re.compile(r"Collecting… [0-7] of 8 sources have answered")


@pytest.fixture
def slow(fake, ctgov, tmp_path):
    """A live server whose GDELT (and, when asked, the registry) answers late: `slow.base`,
    `slow.delays`."""
    upstreams.install(fake)
    delays = {"gdelt": SLOW, "ctgov": 0.0}
    fake.route(upstreams.ROUTES["gdelt"],
               lambda request: upstreams.gdelt(request, delay=delays["gdelt"]))
    fake.route(upstreams.ROUTES["ctgov"], lambda request, nct_id: Reply.json(
        ctgov.studies[nct_id.upper()], delay=delays["ctgov"]))
    env = as_environment(app_config(tmp_path, fake.url, COLD_WAIT=COLD_WAIT,
                                    UPSTREAM_READ_TIMEOUT=20.0))
    with running_server([sys.executable, "-m", "trialbuzz.cli", "serve"], env=env) as base:
        yield type("Slow", (), {"base": base, "delays": delays})


def mark(page):
    """Something only this document has: gone if the page reloads."""
    page.evaluate("window.notReloaded = true")


def not_reloaded(page):
    return page.evaluate("window.notReloaded === true")


@pytest.mark.parametrize("scheme, width", [("light", 1000), ("dark", 390)])
def test_details_page_shows_collecting_then_updates_in_place(browser, slow, artifacts, scheme,
                                                             width):
    context, page = open_page(browser, scheme, width)
    page.goto(f"{slow.base}/trial/{TRIAL}")
    mark(page)
    status = page.locator("#collect-status")
    expect(status).to_have_text(COLLECTING)
    assert status.get_attribute("role") == "status"
    assert "No news, blog" not in page.locator("main").inner_text()
    page.locator("section.result").screenshot(
        path=f"{artifacts}/collecting-details-{scheme}-{width}.png")
    expect(page.locator(".score strong")).to_have_text("13", timeout=20_000)
    expect(status).to_have_text("Every source has answered: these are the final figures.")
    assert page.locator("[data-collecting]").count() == 0
    gdelt = page.locator("table.sources tr", has_text="GDELT news")
    expect(gdelt.locator(".status")).to_have_text("checked")
    assert not_reloaded(page)
    page.locator("section.result").screenshot(
        path=f"{artifacts}/collected-details-{scheme}-{width}.png")
    assert page.errors == []
    context.close()


def test_pending_page_turns_into_the_details_page(browser, slow, artifacts):
    slow.delays["ctgov"] = 2.5
    context, page = open_page(browser, width=390)
    response = page.goto(f"{slow.base}/trial/{TRIAL}")
    assert response.status == 202
    mark(page)
    expect(page.locator("#collect-status")).to_contain_text(
        "Looking this trial up on ClinicalTrials.gov…")
    assert page.locator("noscript").count() == 1
    page.screenshot(path=f"{artifacts}/collecting-pending-390.png", full_page=True)
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE, timeout=20_000)
    assert not_reloaded(page)
    assert page.title().startswith("ACTT")
    # The swapped-in page goes on to its final figures, its badge previews drawn too.
    expect(page.locator(".score strong")).to_have_text("13", timeout=20_000)
    expect(page.locator(".preview .trialbuzz-embed").first.locator("a.badge")).to_be_visible()
    assert page.errors == []
    context.close()


@pytest.mark.parametrize("scheme, width", [("light", 1000), ("dark", 390)])
def test_overlay_shows_collecting_then_the_final_figures(browser, slow, artifacts, scheme, width):
    context, page = open_page(browser, scheme, width)
    page.goto(f"{slow.base}/popup?ids={TRIAL}")
    mark(page)
    region = page.get_by_role("region", name=TITLE)
    status = region.get_by_role("status")
    expect(status).to_have_text(COLLECTING, timeout=10_000)
    assert "No attention found" not in region.inner_text()
    page.screenshot(path=f"{artifacts}/collecting-overlay-{scheme}-{width}.png")
    expect(status).to_have_text(re.compile(r"^Updated "), timeout=20_000)
    expect(region.locator(".score-label strong")).to_have_text("13")
    assert not_reloaded(page)
    page.screenshot(path=f"{artifacts}/collected-overlay-{scheme}-{width}.png")
    assert page.errors == []
    context.close()


def test_embedded_badge_updates_to_the_final_score(browser, slow, fake, artifacts):
    fake.route("/favicon.ico", Reply(204))
    fake.route("/host", Reply.text(
        "<!doctype html><html><head><meta charset='utf-8'><title>Our trials</title></head>"
        f"<body><div class='trialbuzz-embed' id='one' data-nct-id='{TRIAL}' "
        "data-badge-type='2'></div>"
        f"<script async src='{slow.base}/embed.js'></script></body></html>",
        content_type="text/html"))
    context, page = open_page(browser)
    batches = []
    page.on("request", lambda r: batches.append(r.url) if "/api/v1/badges" in r.url else None)
    page.goto(fake.url + "/host")
    mark(page)
    badge = page.locator("#one .badge")
    expect(badge).to_have_attribute("aria-label", re.compile(
        r"still being gathered|so far .*still collecting"))
    page.screenshot(path=f"{artifacts}/collecting-embed.png")
    expect(badge).to_have_attribute("aria-label", re.compile(r"^13 attention: attention score 13 for "),
                                    timeout=20_000)
    expect(badge.locator(".mini-score")).to_have_text("13")
    assert not_reloaded(page)
    assert 2 <= len(batches) <= 7 and set(batches) == {f"{slow.base}/api/v1/badges?ids={TRIAL}"}
    page.screenshot(path=f"{artifacts}/collected-embed.png")
    assert page.errors == []
    context.close()
