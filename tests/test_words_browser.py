"""The words people read, in a real Chromium: the score page and the details page's sources,
on a phone and a desktop, light and dark, served compressed with their minified assets."""

import pytest

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [390, 1000])
def test_score_and_sources_are_in_plain_words(browser, live_server, artifacts, scheme, width):
    context = browser.new_context(color_scheme=scheme, viewport={"width": width, "height": 800})
    page = context.new_page()
    errors, encodings = [], {}
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("response", lambda r: encodings.__setitem__(
        r.url.split("?")[0].rsplit("/", 1)[-1], r.headers.get("content-encoding")))

    page.goto(live_server + "/about/score")
    weights = page.locator("table.data").nth(1)
    assert weights.locator("tr", has_text="News").locator("td").nth(1).inner_text() == "8"
    assert "0.25 a comment" in weights.inner_text()
    sources = page.locator("table.data").first
    assert "not used on this server" in sources.locator("tr", has_text="Altmetric").inner_text()
    assert "TRIALBUZZ_" not in page.locator("body").inner_text()
    page.screenshot(path=f"{artifacts}/words-score-{scheme}-{width}.png", full_page=True)

    page.goto(live_server + "/trial/NCT04280705")
    page.locator(".kind-chips").wait_for()
    assert page.locator(".kind-chips li").all_inner_texts() == [
        "1 news story", "1 Wikipedia page", "2 forum posts"]
    table = page.locator("table.sources")
    assert table.locator("tr", has_text="Hacker News").locator(".status").inner_text() == "checked"
    assert table.locator("tr", has_text="Altmetric").locator(".status").inner_text() == \
        "not used on this server"
    assert "TRIALBUZZ_" not in page.locator("body").inner_text()
    table.screenshot(path=f"{artifacts}/words-sources-{scheme}-{width}.png")
    # What the browser got came compressed: the page, its stylesheet and scripts.
    assert encodings["NCT04280705"] == "br"
    assert encodings["trialbuzz.css"] == encodings["trial.js"] == encodings["embed.js"] == "br"
    assert errors == []
    context.close()
