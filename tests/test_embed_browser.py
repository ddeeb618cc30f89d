"""embed.js in a real Chromium on another site's page: one request, every badge type, popovers,
hiding, re-scans, the Altmetric switch, a strict CSP, light and dark."""

import re

import pytest

import quiet
from fakeupstream import Reply
from records import study

pytestmark = pytest.mark.browser

QUIET = "NCT04292899"
LATER = "NCT04368728"
# Page CSS that would wreck badges if it reached them.
HOSTILE_CSS = """
body { font-family: Georgia, serif; margin: 24px; color: #222; background: #fff; }
li { margin: 14px 0; list-style: none; }
a { color: hotpink !important; font-size: 30px !important; }
svg, span { display: none; }
@media (prefers-color-scheme: dark) { body { color: #e6e6e6; background: #15171b; } }
"""
BADGES = [
    ("donut", 'data-badge-type="donut" data-badge-popover="right"'),
    ("medium", 'data-badge-type="medium-donut" data-badge-details="right"'),
    ("large", 'data-badge-type="large-donut" data-badge-popover="bottom" '
              'data-link-target="_blank"'),
    ("one", 'data-badge-type="1"'),
    ("two", 'data-badge-type="2" data-badge-popover="top"'),
    ("four", 'data-badge-type="4"'),
    ("bar", 'data-badge-type="bar" data-badge-popover="left" data-condensed="true"'),
    ("noscore", 'data-badge-type="medium-donut" data-no-score="true"'),
    ("mono", 'data-badge-type="medium-donut" data-monochrome="true"'),
]


def host_page(live, script_attrs="", extra="", css=HOSTILE_CSS):
    rows = "".join(
        f'<li>{name}: <div class="trialbuzz-embed" id="{name}" data-nct-id="NCT04280705" '
        f'{attrs}></div></li>' for name, attrs in BADGES)
    rows += (f'<li>quiet, hidden: <div class="trialbuzz-embed" id="hidden" data-nct-id="{QUIET}" '
             'data-hide-no-mentions="true"></div></li>'
             f'<li>quiet, ghost: <div class="trialbuzz-embed" id="ghost" data-nct-id="{QUIET}" '
             'data-badge-popover="right"></div></li>'
             '<li>below 20: <div class="trialbuzz-embed" id="below" data-nct-id="NCT04280705" '
             'data-hide-less-than="20"></div></li>')
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>Our trials</title>"
            f"{f'<style>{css}</style>' if css else ''}</head><body><h1>Trials at our hospital</h1>"
            f"<ul>{rows}{extra}</ul><div id='later'></div>"
            f"<script async src='{live}/embed.js' {script_attrs}></script></body></html>")


EVENTS = """
window.tbEvents = [];
for (const name of ["trialbuzz:show", "trialbuzz:hide", "altmetric:show", "altmetric:hide"]) {
  document.addEventListener(name, (event) => window.tbEvents.push(
    [name, event.target.id, event.detail && event.detail.nctId,
     event.detail && event.detail.reason]));
}
"""


@pytest.fixture
def site(live_server, fake, ctgov):
    """Another site (the fake's origin) serving pages that embed badges from the live server."""
    for nct_id, title in ((QUIET, "Quiet trial"), (LATER, "Later trial")):
        ctgov.add(study(nct_id, title=title))
    quiet.install(fake, QUIET)
    fake.route("/favicon.ico", Reply(204))

    def serve(path, html, csp=None):
        headers = {"Content-Security-Policy": csp} if csp else {}
        fake.route(path, Reply.text(html, content_type="text/html", headers=headers))
        return fake.url + path

    return serve


def open_page(browser, url, live, scheme="light"):
    context = browser.new_context(color_scheme=scheme, viewport={"width": 900, "height": 1300})
    page = context.new_page()
    page.errors, page.ours = [], []
    page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.on("request", lambda r: page.ours.append(r.url) if r.url.startswith(live) else None)
    page.add_init_script(EVENTS)
    page.goto(url)
    return context, page


def wait_for_events(page, count):
    page.wait_for_function("n => window.tbEvents.length >= n", arg=count, timeout=30000)
    return page.evaluate("window.tbEvents")


def api_calls(page):
    return [url for url in page.ours if "/api/" in url]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_badge_of_a_page_comes_from_one_request(browser, live_server, site, artifacts,
                                                      scheme):
    context, page = open_page(browser, site("/trials.html", host_page(live_server)), live_server,
                              scheme)
    events = wait_for_events(page, len(BADGES) + 3)
    shown = sorted(target for name, target, _, _ in events if name == "trialbuzz:show")
    assert shown == sorted([name for name, _ in BADGES] + ["ghost"])
    assert ("trialbuzz:hide", "hidden", QUIET, "no_mentions") in map(tuple, events)
    assert ("trialbuzz:hide", "below", "NCT04280705", "less_than") in map(tuple, events)
    assert api_calls(page) == [f"{live_server}/api/v1/badges?ids=NCT04280705,{QUIET}"]
    # The fixed URL pages name redirects to the script under its content hash.
    assert page.ours[0] == f"{live_server}/embed.js"
    assert re.fullmatch(re.escape(live_server) + r"/embed\.js\?v=[0-9a-f]{12}", page.ours[1])
    assert page.ours[2:] == api_calls(page)
    assert page.locator("#hidden").is_hidden() and page.locator("#below").is_hidden()
    assert page.locator("#donut svg.donut text").text_content() == "13"
    assert page.locator("#one .flat-msg").inner_text() == "13"
    assert page.locator("#medium .list li").all_inner_texts() == [
        "1 news story", "1 Wikipedia page", "2 forum posts", "3 publications"]
    assert page.locator("#noscore svg.donut text").count() == 0
    assert page.locator("#large a.badge").get_attribute("target") == "_blank"
    assert page.locator("#donut a.badge").get_attribute("href") == \
        f"{live_server}/trial/NCT04280705"
    page.screenshot(path=f"{artifacts}/embed-{scheme}.png", full_page=True)
    assert page.errors == []
    context.close()


def test_page_css_does_not_reach_the_badges(browser, live_server, site):
    context, page = open_page(browser, site("/trials.html", host_page(live_server)), live_server)
    wait_for_events(page, len(BADGES) + 3)
    link = page.locator("#medium .more a")
    assert link.is_visible()
    assert link.evaluate("a => getComputedStyle(a).fontSize") == "12px"
    assert link.evaluate("a => getComputedStyle(a).color") != "rgb(255, 105, 180)"
    assert page.locator("#donut svg.donut").is_visible()
    context.close()


def test_popover_shows_on_hover_and_on_focus(browser, live_server, site, artifacts):
    context, page = open_page(browser, site("/trials.html", host_page(live_server)), live_server)
    wait_for_events(page, len(BADGES) + 3)
    tooltip = page.locator("#donut").get_by_role("tooltip")
    assert tooltip.is_hidden()
    page.locator("#donut a.badge").hover()
    tooltip.wait_for(state="visible")
    assert "Adaptive COVID-19 Treatment Trial (ACTT)" in tooltip.inner_text()
    assert "Attention score 13" in tooltip.inner_text()
    page.wait_for_timeout(250)  # the fade-in
    page.screenshot(path=f"{artifacts}/embed-popover-hover.png",
                    clip={"x": 0, "y": 0, "width": 900, "height": 420})
    page.mouse.move(880, 1250)
    tooltip.wait_for(state="hidden")

    bar_tip = page.locator("#bar").get_by_role("tooltip")
    page.locator("#bar a.badge").focus()
    bar_tip.wait_for(state="visible")
    # Condensed: each kind by its heading and count.
    assert "News: 1" in bar_tip.inner_text() and "Forums: 2" in bar_tip.inner_text()
    page.keyboard.press("Escape")
    bar_tip.wait_for(state="hidden")
    assert page.errors == []
    context.close()


def test_a_badge_inserted_later_is_rendered_by_embed(browser, live_server, site):
    context, page = open_page(browser, site("/trials.html", host_page(live_server)), live_server)
    wait_for_events(page, len(BADGES) + 3)
    page.evaluate(f"""() => {{
        const el = document.createElement("div");
        el.className = "trialbuzz-embed"; el.id = "inserted"; el.dataset.nctId = "{LATER}";
        document.getElementById("later").appendChild(el);
        return window.trialbuzz.embed("#later");
    }}""")
    assert page.locator("#inserted svg.donut text").text_content() == "13"
    assert api_calls(page)[1:] == [f"{live_server}/api/v1/badges?ids={LATER}"]
    # A re-scan of the whole page asks for nothing it already has.
    page.evaluate("() => window.trialbuzz.embed()")
    assert len(api_calls(page)) == 2
    assert page.errors == []
    context.close()


def test_watching_renders_new_badges_without_a_call(browser, live_server, site):
    context, page = open_page(browser, site("/trials.html", host_page(live_server)), live_server)
    wait_for_events(page, len(BADGES) + 3)
    page.evaluate("() => window.trialbuzz.embed('#later', {watch: true})")
    page.evaluate("""() => {
        const el = document.createElement("div");
        el.className = "trialbuzz-embed"; el.id = "watched"; el.dataset.nctId = "NCT04280705";
        el.dataset.badgeType = "1";
        document.getElementById("later").appendChild(el);
    }""")
    page.locator("#watched .flat-msg").wait_for()
    assert page.locator("#watched .flat-msg").inner_text() == "13"
    # Its trial was known already: no new request.
    assert len(api_calls(page)) == 1
    context.close()


def test_altmetric_embeds_switch_with_one_script_url(browser, live_server, site):
    extra = ('<li><div class="altmetric-embed" id="alt" data-badge-type="donut" '
             'data-nct-id="NCT04280705"></div></li>'
             '<li><div class="altmetric-embed" id="doi" data-doi="10.1056/x"></div></li>')
    url = site("/alt.html", host_page(live_server, "data-trialbuzz", extra))
    context, page = open_page(browser, url, live_server)
    events = wait_for_events(page, len(BADGES) + 5)
    assert ["altmetric:show", "alt", "NCT04280705", None] in events
    assert page.locator("#alt svg.donut text").text_content() == "13"
    assert page.locator("#doi").evaluate("el => el.shadowRoot") is None
    assert page.evaluate("typeof window._altmetric_embed_init") == "function"
    assert len(api_calls(page)) == 1
    context.close()


def test_altmetric_embeds_are_left_alone_without_the_opt_in(browser, live_server, site):
    extra = ('<li><div class="altmetric-embed" id="alt" data-nct-id="NCT04280705">'
             '</div></li>')
    context, page = open_page(browser, site("/plain.html", host_page(live_server, "", extra)),
                              live_server)
    wait_for_events(page, len(BADGES) + 3)
    assert page.locator("#alt").evaluate("el => el.shadowRoot") is None
    assert page.evaluate("typeof window._altmetric_embed_init") == "undefined"
    context.close()


def test_badges_render_under_a_strict_content_security_policy(browser, live_server, site):
    # No inline style allowed at all: the badges' constructable stylesheets still apply.
    csp = f"default-src 'none'; script-src {live_server}; connect-src {live_server}"
    url = site("/strict.html", host_page(live_server, css=None), csp=csp)
    context, page = open_page(browser, url, live_server)
    wait_for_events(page, len(BADGES) + 3)
    assert page.locator("#donut svg.donut text").text_content() == "13"
    assert page.locator("#one .flat").evaluate("el => getComputedStyle(el).borderRadius") == "3px"
    assert page.locator("#large .popover").evaluate("el => getComputedStyle(el).position") == \
        "absolute"
    assert page.errors == []
    context.close()


def test_hostile_titles_stay_text_in_badges_and_popovers(browser, live_server, site, fake,
                                                         ctgov):
    import hostile

    hostile.install(fake, ctgov)
    context, page = open_page(browser, site("/trials.html", host_page(live_server)), live_server)
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    wait_for_events(page, len(BADGES) + 3)
    page.locator("#donut a.badge").hover()
    tooltip = page.locator("#donut").get_by_role("tooltip")
    tooltip.wait_for(state="visible")
    assert hostile.PAYLOADS[1] in tooltip.inner_text()
    assert page.locator("#xss-marker").count() == 0
    assert page.locator("#donut img, #donut script, #donut iframe").count() == 0
    assert dialogs == [] and page.errors == []
    context.close()
