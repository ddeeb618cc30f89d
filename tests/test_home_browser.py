"""The home page in a real Chromium: type an ID, see the trial; light and dark."""

import pytest

import upstreams
from conftest import app_config
from liveserver import as_environment, running_server

pytestmark = pytest.mark.browser

ARTIFACTS = "test-artifacts"

LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture
def server(fake, ctgov, tmp_path):
    """`trialbuzz serve` from this checkout, pointed at the fake registry."""
    import sys
    upstreams.install(fake)
    env = as_environment(app_config(tmp_path, fake.url))
    with running_server([sys.executable, "-m", "trialbuzz.cli", "serve"], env=env) as base:
        yield base


@pytest.fixture
def browser(chromium_executable):
    """Debian's Chromium driven by Playwright."""
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_executable,
                                             args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_lookup_box_shows_the_trial(browser, server, scheme):
    context = browser.new_context(color_scheme=scheme, viewport={"width": 1000, "height": 800})
    page = context.new_page()
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(server + "/")
    page.get_by_label("NCT ID or page address").fill("nct04280705")
    page.get_by_role("button", name="Look up").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Adaptive COVID-19 Treatment Trial (ACTT)").is_visible()
    assert page.get_by_role("link", name="Study record on ClinicalTrials.gov").get_attribute(
        "href") == "https://clinicaltrials.gov/study/NCT04280705"
    assert page.get_by_text("attention score").is_visible()
    assert page.locator(".score strong").inner_text() == "13"
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert (background == "rgb(20, 22, 26)") == (scheme == "dark")
    page.screenshot(path=f"{ARTIFACTS}/home-{scheme}.png", full_page=True)
    assert errors == []
    context.close()
