"""The bookmarklet under strict CSP and Trusted Types in a real Chromium: the popup fallback."""

import pytest

from bookmarkletpages import PRIMARY, TITLE, overlay_shows_the_primary
from bookmarkletpages import body, chromium, site  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser


def test_window_open_from_evaluate_is_allowed_in_this_chromium(site, chromium):
    # The CSP tests below rely on it: Playwright's Chromium does not block these popups.
    session = chromium()
    session.page.goto(site.page(f"/fixtures/study/{PRIMARY}"))
    with session.context.expect_page() as opened:
        assert session.page.evaluate("!!window.open('about:blank', 'probe')")
    opened.value.close()


@pytest.mark.parametrize("policy", ["strict", "strict-tt"])
def test_strict_policy_opens_the_popup_with_the_same_data(site, body, chromium, artifacts,
                                                         policy):
    session = chromium()
    page = session.page
    page.goto(site.page(f"/fixtures/study/{PRIMARY}?csp={policy}"))
    with session.context.expect_page() as opened:
        page.evaluate(body)
    popup = opened.value
    session.watch(popup)
    popup.wait_for_load_state()
    assert popup.url.startswith(site.server + "/popup?")
    assert f"ids={PRIMARY}" in popup.url
    overlay_shows_the_primary(popup)
    assert popup.title() == f"{TITLE} · trialbuzz"
    popup.screenshot(path=f"{artifacts}/bookmarklet-popup-{policy}.png")
    assert not session.host_exists()
    # The page's refusals are the browser's CSP reports; nothing of ours failed or threw.
    unexpected = [e for e in session.errors
                  if "Content Security Policy" not in e and "TrustedScriptURL" not in e]
    assert unexpected == []
    assert len(session.context.pages) == 2


def test_blocked_request_with_an_allowed_script_opens_the_popup(site, body, chromium):
    # The script loads and the overlay opens, but connect-src refuses our API: the violation
    # report sends the reader to the popup, and the overlay goes away.
    session = chromium()
    page = session.page
    page.goto(site.page(f"/fixtures/study/{PRIMARY}?csp=connect"))
    with session.context.expect_page() as opened:
        page.evaluate(body)
    opened.value.wait_for_load_state()
    overlay_shows_the_primary(opened.value)
    assert not session.host_exists()


def test_blocked_popup_goes_to_the_details_page(site, body, chromium):
    session = chromium()
    page = session.page
    page.goto(site.page(f"/fixtures/study/{PRIMARY}?csp=strict"))
    page.evaluate("window.open = () => null")       # what a popup blocker answers
    page.evaluate(body)
    page.wait_for_url(f"{site.server}/trial/{PRIMARY}", timeout=10_000)


def test_trusted_types_alone_accept_our_policy_and_the_overlay_opens_in_place(site, body,
                                                                             chromium):
    session = chromium()
    page = session.page
    page.goto(site.page(f"/fixtures/study/{PRIMARY}?csp=tt"))
    page.evaluate(body)
    page.get_by_role("dialog", name=TITLE).wait_for(timeout=10_000)
    assert len(session.context.pages) == 1
    assert session.errors == []
