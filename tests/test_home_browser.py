"""The home page in a real Chromium: type an ID, see the trial and its attention; light and dark."""

import pytest

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_lookup_box_shows_the_trial(browser, live_server, artifacts, scheme):
    context = browser.new_context(color_scheme=scheme, viewport={"width": 1000, "height": 800})
    page = context.new_page()
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(live_server + "/")
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
    page.screenshot(path=f"{artifacts}/home-{scheme}.png", full_page=True)
    assert errors == []
    context.close()
