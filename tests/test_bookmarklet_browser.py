"""The bookmarklet's overlay in a real Chromium: trial view, list, states, keyboard, dark mode."""

import re
from urllib.parse import unquote

import pytest

from bookmarkletpages import (  # noqa: F401 - fixtures
    PRIMARY,
    TITLE,
    body,
    chromium,
    open_overlay_with,
    overlay_shows_the_primary,
    site,
)

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_study_page_shows_the_overlay_with_the_trials_attention(site, body, chromium, artifacts,
                                                               scheme):
    session = chromium(color_scheme=scheme)
    page = session.page
    page.goto(site.page(f"/fixtures/study/{PRIMARY}"))
    page.evaluate(body)
    dialog = page.get_by_role("dialog", name=TITLE)
    dialog.wait_for(timeout=10_000)
    overlay_shows_the_primary(page)
    # The page's hostile styles stay outside the shadow root.
    look = page.evaluate("""() => {
        const host = document.getElementById('trialbuzz-overlay-host');
        const panel = host.shadowRoot.querySelector('.panel');
        const box = panel.getBoundingClientRect();
        const style = getComputedStyle(panel);
        return {font: style.fontFamily, background: style.backgroundColor,
                spacing: style.letterSpacing, right: innerWidth - box.right, top: box.top,
                hostPadding: getComputedStyle(host).paddingTop,
                heading: getComputedStyle(host.shadowRoot.querySelector('h2')).fontSize};
    }""")
    assert look["font"].startswith("system-ui") and look["spacing"] == "normal"
    assert look["hostPadding"] == "0px" and look["heading"] == "17px"
    assert look["top"] == 12 and look["right"] == 12
    assert look["background"] == ("rgb(28, 31, 36)" if scheme == "dark" else "rgb(255, 255, 255)")
    page.screenshot(path=f"{artifacts}/bookmarklet-study-{scheme}.png")
    assert session.errors == []


def test_second_click_closes_and_clicks_never_inject_twice(site, body, chromium):
    session = chromium()
    page = session.page
    page.goto(site.page(f"/fixtures/study/{PRIMARY}"))
    page.evaluate(body)
    page.get_by_role("dialog", name=TITLE).wait_for(timeout=10_000)
    page.evaluate(body)
    assert not session.host_exists()
    page.evaluate(body)
    page.get_by_role("dialog", name=TITLE).wait_for(timeout=10_000)
    assert page.evaluate("document.querySelectorAll('#trialbuzz-overlay-host').length") == 1
    assert page.evaluate("document.querySelectorAll('script[src*=\"/bookmarklet/overlay.js\"]')"
                         ".length") == 1
    assert session.errors == []


def test_escape_closes_and_focus_returns(site, body, chromium):
    session = chromium()
    page = session.page
    page.goto(site.page(f"/fixtures/study/{PRIMARY}"))
    page.focus("#search")
    page.evaluate(body)
    page.get_by_role("dialog", name=TITLE).wait_for(timeout=10_000)
    focused = "(() => { const r = document.getElementById('trialbuzz-overlay-host');" \
              " return r && r.shadowRoot.activeElement && r.shadowRoot.activeElement.tagName })()"
    assert page.evaluate(focused) == "H2"
    # Every control is reachable by keyboard: Tab walks from the heading to the links.
    reached = []
    for _ in range(12):
        page.keyboard.press("Tab")
        reached.append(page.evaluate(
            "(() => { const a = document.getElementById('trialbuzz-overlay-host')"
            ".shadowRoot.activeElement; return a ? a.textContent : null })()"))
    assert "Remdesivir trial results discussed" in reached and "Study record" in reached
    page.keyboard.press("Escape")
    assert not session.host_exists()
    assert page.evaluate("document.activeElement.id") == "search"
    assert session.errors == []


def test_pubmed_page_lists_its_three_trials_and_opens_the_one_chosen(site, body, chromium,
                                                                   artifacts):
    session = chromium()
    page = session.page
    page.goto(site.page("/fixtures/pubmed/32445440"))
    page.evaluate(body)
    dialog = page.get_by_role("dialog", name="3 trials named on this page")
    dialog.wait_for(timeout=10_000)
    picks = dialog.locator("button.pick")
    assert [p.locator(".id").inner_text() for p in picks.all()] == \
        ["NCT04292899", PRIMARY, "NCT04368728"]
    # Trials not seen before are looked up in the background, then shown by a later poll.
    dialog.get_by_role("button", name=re.compile("Third trial")).wait_for(timeout=15_000)
    dialog.get_by_role("button", name=re.compile("Second trial")).wait_for(timeout=15_000)
    page.screenshot(path=f"{artifacts}/bookmarklet-list.png")
    dialog.get_by_role("button", name=re.compile("Second trial")).click()
    chosen = page.get_by_role("dialog", name="Second trial")
    chosen.wait_for(timeout=10_000)
    assert chosen.locator(".eyebrow").inner_text() == "NCT04292899 · ACTT"
    assert page.evaluate("document.getElementById('trialbuzz-overlay-host')"
                         ".shadowRoot.activeElement.tagName") == "H2"
    chosen.get_by_role("button", name="All 3 trials on this page").click()
    page.get_by_role("dialog", name="3 trials named on this page").wait_for()
    assert session.errors == []


def test_page_without_an_id_says_so_with_a_hint(site, body, chromium, artifacts):
    session = chromium(color_scheme="dark")
    page = session.page
    page.goto(site.page("/fixtures/empty"))
    page.evaluate(body)
    dialog = page.get_by_role("dialog", name="No trial found on this page")
    dialog.wait_for(timeout=10_000)
    assert "A page about nothing in particular" in dialog.inner_text()
    ask = dialog.get_by_role("link", name="Ask trialbuzz to read this page itself")
    assert ask.get_attribute("href").startswith(site.server + "/?q=http")
    assert dialog.get_by_role("status").inner_text() == "No NCT ID on this page."
    page.screenshot(path=f"{artifacts}/bookmarklet-no-id-dark.png")
    assert session.errors == []


def test_loading_state_shows_until_the_answer_comes(site, body, chromium):
    session = chromium()
    page = session.page
    held = []
    page.route(site.server + "/api/v1/badge?**", lambda route: held.append(route))
    page.goto(site.page(f"/fixtures/study/{PRIMARY}"))
    page.evaluate(body)
    loading = page.get_by_role("dialog", name=f"Looking up {PRIMARY}")
    loading.wait_for(timeout=10_000)
    assert loading.get_by_role("status").inner_text() == "Loading attention…"
    page.wait_for_function("() => true")           # let the held request reach the handler
    assert len(held) == 1
    held[0].continue_()
    page.get_by_role("dialog", name=TITLE).wait_for(timeout=10_000)
    assert session.errors == []


def test_unreachable_server_is_reported_with_a_retry(site, body, chromium):
    session = chromium()
    page = session.page
    page.goto(site.page(f"/fixtures/study/{PRIMARY}"))
    page.route(site.server + "/api/**", lambda route: route.abort())
    page.evaluate(body)
    dialog = page.get_by_role("dialog", name="Can't reach trialbuzz")
    dialog.wait_for(timeout=10_000)
    page.unroute(site.server + "/api/**")
    dialog.get_by_role("button", name="Try again").click()
    page.get_by_role("dialog", name=TITLE).wait_for(timeout=10_000)
    assert [e for e in session.errors if "ERR_FAILED" not in e] == []


def test_hostile_strings_stay_text_and_altmetric_and_refresh_show(site, body, chromium, artifacts):
    session = chromium(viewport={"width": 360, "height": 720})
    page = session.page

    def doctor(payload):
        """The real payload, marked stale, with Altmetric's figures and a hostile mention."""
        trial = payload["trials"][0]
        trial["stale"] = True
        trial["altmetric"] = {"score": 412.5, "attribution": "Data from Altmetric",
                              "details_url": "https://www.altmetric.com/details/80000001"}
        trial["mentions"][0].update(title='<img src=x onerror="window.pwned=1">',
                                    url="javascript:window.pwned=1")

    dialog = open_overlay_with(page, site, body, doctor)
    assert dialog.get_by_role("status").inner_text().startswith("Being refreshed")
    assert dialog.get_by_role("link", name="Data from Altmetric").get_attribute("href") == \
        "https://www.altmetric.com/details/80000001"
    assert "412.5" in dialog.inner_text()
    hostile = dialog.get_by_text('<img src=x onerror="window.pwned=1">')
    assert hostile.evaluate("node => node.tagName") == "SPAN"
    assert page.evaluate("window.pwned") is None
    width = page.evaluate("document.getElementById('trialbuzz-overlay-host').shadowRoot"
                          ".querySelector('.panel').getBoundingClientRect().width")
    assert width <= 360 - 16
    page.screenshot(path=f"{artifacts}/bookmarklet-narrow-stale.png")
    assert session.errors == []


def test_a_feed_entry_names_its_outlet_as_text(site, body, chromium, artifacts):
    session = chromium(viewport={"width": 390, "height": 800})
    page = session.page
    outlet = 'Science-Based <b onmouseover="window.pwned=1">Medicine</b>'

    def doctor(payload):
        """The real payload with its newest mention made a blog feed's entry."""
        payload["trials"][0]["mentions"][0].update(source="feeds", kind="blog", outlet=outlet,
                                                   author="Jane Doe")

    dialog = open_overlay_with(page, site, body, doctor)
    first = dialog.locator(".mentions li").first
    assert f"{outlet} · Jane Doe" in first.inner_text()
    assert first.locator("b").count() == 0 and page.evaluate("window.pwned") is None
    page.screenshot(path=f"{artifacts}/bookmarklet-feed-outlet.png")
    assert session.errors == []


def test_trial_without_attention_lists_the_sources_checked(site, body, chromium, artifacts):
    session = chromium()
    page = session.page

    def quiet(payload):
        """The real payload with every mention and count taken away."""
        trial = payload["trials"][0]
        trial.update(score=0, mentions=[], mentions_total=0,
                     kinds=dict.fromkeys(trial["kinds"], 0),
                     publications={"total": 0, "results": 0, "preprints": 0})

    dialog = open_overlay_with(page, site, body, quiet)
    assert dialog.get_by_text("No attention found yet. Sources checked:").is_visible()
    checked = dialog.locator(".sources li").all_inner_texts()
    assert "Europe PMC (checked)" in checked and "Hacker News (checked)" in checked
    assert not any(name.startswith("Altmetric") for name in checked)     # disabled: not checked
    assert dialog.get_by_role("img").get_attribute("aria-label") == \
        "Attention score 0, no mentions yet"
    page.screenshot(path=f"{artifacts}/bookmarklet-no-attention.png")
    assert session.errors == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_install_page_link_runs_on_the_demo_study_page(site, chromium, artifacts, scheme):
    session = chromium(color_scheme=scheme)
    page = session.page
    page.goto(site.server + "/")
    page.get_by_role("navigation").get_by_role("link", name="Bookmarklet").click()
    link = page.locator("a.bookmarklet-link")
    assert link.get_attribute("draggable") == "true"
    page.screenshot(path=f"{artifacts}/bookmarklet-install-{scheme}.png", full_page=True)
    code = unquote(link.get_attribute("href")[len("javascript:"):])
    page.get_by_role("link", name="demo study page").click()
    assert page.get_by_text("Demo page.").is_visible()
    page.evaluate(code)
    page.get_by_role("dialog", name=TITLE).wait_for(timeout=10_000)
    page.screenshot(path=f"{artifacts}/bookmarklet-demo-{scheme}.png")
    assert session.errors == []
