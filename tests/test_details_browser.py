"""The details page in a real Chromium: header, donut, chart, mentions, badge previews, copy
buttons, nothing loaded from elsewhere; light and dark."""

import pytest

from records import reference, study

pytestmark = pytest.mark.browser
expect = pytest.importorskip("playwright.sync_api").expect


@pytest.fixture
def details(live_server, ctgov):
    ctgov.add(study(references=[reference("33052335")]))
    return live_server + "/trial/NCT04280705"


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_details_page_renders_with_its_chart(browser, live_server, details, artifacts, scheme):
    context = browser.new_context(color_scheme=scheme, viewport={"width": 1000, "height": 900})
    page = context.new_page()
    errors, requests = [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(details)
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("heading", level=1).inner_text() == \
        "Adaptive COVID-19 Treatment Trial (ACTT)"
    assert page.locator(".score strong").inner_text() == "13"
    assert page.get_by_role("link", name="how it is computed").get_attribute("href") == \
        "/about/score"
    chart = page.get_by_role("img", name="Mentions per month, May 2020 to")
    assert chart.is_visible()
    box = chart.bounding_box()
    assert box["width"] > 400 and box["height"] > 100
    assert page.locator("svg.timeline.wide rect.bar").count() == 5
    assert page.locator(".kind-heading").all_inner_texts() == [
        "News · 1 news story", "Wikipedia · 1 Wikipedia page", "Forums · 2 forum posts",
        "Publications · 3 publications"]
    # The script embeds previewed on the page render from one request, like any page's.
    page.locator("#snippet-embed-bar").wait_for()
    for preview in page.locator(".preview .trialbuzz-embed").all():
        assert preview.locator("a.badge").is_visible()
    assert [url for url in requests if "/api/" in url] == [
        f"{live_server}/api/v1/badges?ids=NCT04280705"]
    assert all(url.startswith(live_server) for url in requests)
    page.screenshot(path=f"{artifacts}/details-{scheme}.png", full_page=True)
    page.locator("section", has=page.get_by_role("heading", name="Attention", exact=True)
                 ).screenshot(path=f"{artifacts}/details-attention-{scheme}.png")
    page.locator("section", has=page.get_by_role("heading", name="Mentions over time")
                 ).screenshot(path=f"{artifacts}/details-timeline-{scheme}.png")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert (background == "rgb(20, 22, 26)") == (scheme == "dark")
    assert errors == []
    context.close()


def test_copy_buttons_put_the_snippet_on_the_clipboard(browser, details):
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.goto(details)
    card = page.locator(".snippet-card", has=page.get_by_role("heading",
                                                             name="Markdown image (README)"))
    card.get_by_role("button", name="Copy").click()
    expect(card.get_by_role("button")).to_have_text("Copied")
    expected = card.locator("code").inner_text()
    assert page.evaluate("navigator.clipboard.readText()") == expected
    assert expected.startswith("[![Attention score of NCT04280705](")
    assert page.locator("#copy-status").inner_text() == "Copied to the clipboard."
    context.close()


def test_hostile_corpus_runs_nothing_on_the_details_page(browser, live_server, fake, ctgov,
                                                         artifacts):
    import hostile

    hostile.install(fake, ctgov)
    context = browser.new_context(viewport={"width": 1000, "height": 900})
    page = context.new_page()
    dialogs, errors = [], []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(live_server + "/trial/NCT04280705")
    page.wait_for_load_state("networkidle")
    page.locator(".preview .trialbuzz-embed a.badge").first.hover()
    page.locator(".preview .trialbuzz-embed").first.get_by_role("tooltip").wait_for()
    page.wait_for_timeout(250)  # the fade-in
    assert page.get_by_role("heading", level=1).inner_text() == hostile.PAYLOADS[1]
    assert page.locator("#xss-marker").count() == 0
    page.screenshot(path=f"{artifacts}/details-hostile.png")
    assert dialogs == [] and errors == []
    context.close()
