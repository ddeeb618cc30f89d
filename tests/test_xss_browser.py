"""Every view, in a real browser, fed the hostile corpus from every source: no script runs."""

from urllib.parse import quote

import pytest
import requests

import hostile
from fakeupstream import Reply
from bookmarkletpages import body, chromium, page_html, site  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser

# Finds an element left by a payload anywhere, shadow roots included.
FIND_MARKERS = """() => {
  const found = [];
  const walk = (root) => {
    root.querySelectorAll('*').forEach((el) => {
      if (el.id === 'xss-marker' || /^on/i.test([...el.attributes].map(a => a.name).join(' ')
          .split(' ').find(n => /^on/i.test(n)) || '')) found.push(el.outerHTML.slice(0, 80));
      if (['IFRAME', 'OBJECT', 'EMBED', 'MATH'].includes(el.tagName))
        found.push(el.tagName);
      if (el.shadowRoot) walk(el.shadowRoot);
    });
  };
  walk(document);
  return found;
}"""


@pytest.fixture
def hostile_site(site, fake, ctgov):
    """The live server and fixture pages, with every upstream string hostile."""
    hostile.install(fake, ctgov)
    study_page = page_html("A hostile study page", "<main><p>Study NCT04280705</p></main>")
    fake.route("/fixtures/xss-study", Reply.text(study_page, content_type="text/html"))
    embed_page = page_html("Embeds", (
        f'<div class="trialbuzz-embed" data-nct-id="NCT04280705" data-badge-type="donut" '
        f'data-badge-popover="right"></div>'
        f'<div class="trialbuzz-embed" data-nct-id="NCT04280705" data-badge-type="medium-donut" '
        f'data-badge-details="right"></div>'
        f'<script src="{site.server}/embed.js" async></script>'))
    fake.route("/fixtures/xss-embed", Reply.text(embed_page, content_type="text/html"))
    # Harvest once, so that every view shows the hostile data at once.
    requests.get(site.server + "/api/v1/trials/NCT04280705", timeout=30).raise_for_status()
    return site


def watch(session):
    """Record every dialog (an alert() means a payload ran) and dismiss it."""
    dialogs = []
    session.page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    return dialogs


def assert_clean(session, dialogs):
    """No dialog, no element or attribute from a payload, no console error."""
    session.page.wait_for_timeout(300)
    assert dialogs == []
    assert session.page.evaluate(FIND_MARKERS) == []
    assert [e for e in session.errors if "xss" in e.lower() or "uncaught" in e] == []


def views(server):
    """The pages of our own origin that show upstream strings."""
    return {
        "details": f"{server}/trial/NCT04280705",
        "home": f"{server}/?q=NCT04280705",
        "popup": f"{server}/popup?ids=NCT04280705&url="
                 + quote("https://clinicaltrials.gov/study/NCT04280705", safe=""),
        "demo": f"{server}/demo/study/NCT04280705",
        "svg-flat": f"{server}/badge/NCT04280705.svg?label=" + quote(hostile.PAYLOADS[0]),
        "svg-donut": f"{server}/badge/NCT04280705.svg?style=donut&size=180",
    }


@pytest.mark.parametrize("view", list(views("x")))
def test_our_pages_show_hostile_strings_as_text(hostile_site, chromium, view, artifacts):
    session = chromium()
    dialogs = watch(session)
    session.page.goto(views(hostile_site.server)[view])
    session.page.wait_for_load_state("networkidle")
    assert_clean(session, dialogs)
    if not view.startswith("svg"):
        # An SVG opened as a document never reports its fonts loaded to the screenshot.
        session.page.screenshot(path=f"{artifacts}/xss-{view}.png", full_page=True)


def test_the_overlay_shows_hostile_strings_as_text(hostile_site, chromium, body, artifacts):
    session = chromium()
    dialogs = watch(session)
    session.page.goto(hostile_site.page("/fixtures/xss-study"))
    session.page.evaluate(body)
    panel = session.page.locator(".panel")
    panel.get_by_role("heading", name=hostile.PAYLOADS[1]).wait_for(timeout=10_000)
    assert panel.get_by_text(hostile.PAYLOADS[1]).count() >= 1   # shown, as text
    assert_clean(session, dialogs)
    session.page.screenshot(path=f"{artifacts}/xss-overlay.png")


def test_embeds_show_hostile_strings_as_text(hostile_site, chromium, artifacts):
    session = chromium()
    dialogs = watch(session)
    session.page.goto(hostile_site.page("/fixtures/xss-embed"))
    session.page.wait_for_load_state("networkidle")
    session.page.locator(".trialbuzz-embed").first.hover()
    assert_clean(session, dialogs)
    session.page.screenshot(path=f"{artifacts}/xss-embed.png")


def test_the_checks_catch_a_payload_that_runs(chromium):
    session = chromium()
    dialogs = watch(session)
    session.page.set_content("<p>page</p>")
    session.page.evaluate("""() => {
      const host = document.createElement('div');
      document.body.appendChild(host);
      host.attachShadow({mode: 'open'}).innerHTML = '<img id="xss-marker" src="x">';
      alert('xss-test');
    }""")
    assert dialogs == ["xss-test"]
    assert session.page.evaluate(FIND_MARKERS) != []
