"""Trials whose sources did not all answer, in a real Chromium: the overlay, the details page
and an embedded badge's popover name the missing sources and when they are tried again, and
never call a zero "no attention"; and a registry that does not answer, said in words."""

import re
import sys

import pytest

import upstreams
from accessibility import assert_accessible, assert_fits_a_phone
from conftest import app_config
from fakeupstream import Reply
from liveserver import as_environment, open_page, running_server

pytestmark = pytest.mark.browser
expect = pytest.importorskip("playwright.sync_api").expect

TRIAL = "NCT04280705"
TITLE = "Adaptive COVID-19 Treatment Trial (ACTT)"
MISSING = re.compile(r"^6 of 8 sources answered; Wikipedia and GDELT news will be tried again "
                     r"at \d\d?:\d\d\.$")
NOTHING = re.compile(r"^1 of 8 sources answered; Europe PMC, PubMed, Crossref, Wikipedia, "
                     r"Hacker News, Reddit "
                     r"and GDELT news will be tried again at \d\d?:\d\d\.$")


@pytest.fixture
def failing(fake, ctgov, tmp_path):
    """A live server whose Wikipedia and GDELT fail: `failing.base`; `failing.all()` makes
    every networked source fail from then on."""
    upstreams.install(fake)
    down = Reply.text("down", status=503)
    for name in ("wikipedia", "gdelt"):
        fake.route(upstreams.ROUTES[name], down)

    def everything():
        for name in ("europepmc", "pubmed_search", "crossref", "hackernews", "reddit"):
            fake.route(upstreams.ROUTES[name], down)

    env = as_environment(app_config(tmp_path, fake.url))
    with running_server([sys.executable, "-m", "trialbuzz.cli", "serve"], env=env) as base:
        yield type("Failing", (), {"base": base, "all": staticmethod(everything)})


@pytest.mark.parametrize("scheme, width", [("light", 1000), ("dark", 390)])
def test_overlay_names_the_missing_sources_beside_what_the_others_found(browser, failing,
                                                                        artifacts, scheme, width):
    context, page = open_page(browser, scheme, width)
    page.goto(f"{failing.base}/popup?ids={TRIAL}")
    region = page.get_by_role("region", name=TITLE)
    expect(region.get_by_role("status")).to_have_text(MISSING, timeout=15_000)
    expect(region.locator(".score-label strong")).to_have_text("2")
    assert "No news, posts or pages mention it yet" not in region.inner_text()
    assert_accessible(page, f"the partial overlay, {scheme} {width}")
    if width < 500:
        assert_fits_a_phone(page, "the partial overlay")
    page.screenshot(path=f"{artifacts}/partial-overlay-{scheme}-{width}.png")
    assert page.errors == []
    context.close()


@pytest.mark.parametrize("scheme, width", [("dark", 1000), ("light", 390)])
def test_a_zero_with_sources_missing_is_never_called_no_attention(browser, failing, artifacts,
                                                                  scheme, width):
    failing.all()
    context, page = open_page(browser, scheme, width)
    page.goto(f"{failing.base}/popup?ids={TRIAL}")
    region = page.get_by_role("region", name=TITLE)
    expect(region.get_by_role("status")).to_have_text(NOTHING, timeout=15_000)
    text = region.inner_text()
    assert "Nothing found by the sources that answered." in text
    assert "No news, posts or pages mention it yet" not in text
    assert "No attention found yet" not in text
    page.screenshot(path=f"{artifacts}/partial-empty-overlay-{scheme}-{width}.png")
    page.goto(f"{failing.base}/trial/{TRIAL}")
    status = page.locator("#collect-status")
    expect(status).to_contain_text("1 of 8 sources answered;")
    expect(status).to_contain_text("The figures below are what the others found.")
    assert "No news, blog, policy" not in page.locator("main").inner_text()
    page.locator("section.result").screenshot(
        path=f"{artifacts}/partial-empty-details-{scheme}-{width}.png")
    assert page.errors == []
    context.close()


def test_embed_popover_says_the_score_is_so_far_and_what_is_missing(browser, failing, fake,
                                                                    artifacts):
    fake.route("/favicon.ico", Reply(204))
    fake.route("/host", Reply.text(
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Our trials</title>"
        "</head><body><main style='padding:120px 0'><div class='trialbuzz-embed' id='one' "
        f"data-nct-id='{TRIAL}' data-badge-popover='right'></div></main>"
        f"<script async src='{failing.base}/embed.js'></script></body></html>",
        content_type="text/html"))
    context, page = open_page(browser, "light", 1000)
    page.goto(fake.url + "/host")
    badge = page.locator("#one .badge")
    expect(badge).to_have_attribute("aria-label", re.compile(
        r"^Attention score 2 so far for NCT04280705, .*not every source has answered"),
        timeout=15_000)
    badge.hover()
    popover = page.locator("#one .popover")
    expect(popover).to_be_visible()
    expect(popover.locator(".pop-score")).to_have_text("Attention score 2 so far")
    expect(popover).to_contain_text(re.compile(
        r"6 of 8 sources answered; Wikipedia and GDELT news will be tried again at \d\d?:\d\d\."))
    page.screenshot(path=f"{artifacts}/partial-embed-popover.png")
    assert page.errors == []
    context.close()


@pytest.mark.parametrize("scheme, width", [("light", 1000), ("dark", 390)])
def test_registry_down_says_what_happened_and_what_to_do(browser, fake, ctgov, tmp_path,
                                                         artifacts, scheme, width):
    upstreams.install(fake)
    fake.route(upstreams.ROUTES["ctgov"], Reply.text("down", status=503))
    env = as_environment(app_config(tmp_path, fake.url))
    with running_server([sys.executable, "-m", "trialbuzz.cli", "serve"], env=env) as base:
        context, page = open_page(browser, scheme, width)
        response = page.goto(f"{base}/trial/{TRIAL}")
        assert response.status == 503
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "ClinicalTrials.gov is not answering")
        expect(page.get_by_role("alert")).to_contain_text("try this page again in a minute")
        assert "HTTP 503" not in page.get_by_role("alert").inner_text()
        expect(page.get_by_role("link", name="Try again")).to_be_visible()
        assert_accessible(page, f"the registry-down page, {scheme} {width}")
        if width < 500:
            assert_fits_a_phone(page, "the registry-down page")
        page.screenshot(path=f"{artifacts}/registry-down-{scheme}-{width}.png", full_page=True)
        context.close()
