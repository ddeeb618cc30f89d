"""Fixture pages, fixtures and checks shared by the bookmarklet's browser tests.

The bookmarks bar is emulated by evaluating the decoded `javascript:` body in the page, as
Chrome runs a bookmarklet: the body itself is not bound by the page's CSP, what it loads is.
Fixture pages come from the fake upstream, an origin other than the live server's. Test modules
import the fixtures `site`, `body` and `chromium` from here.
"""

import html
import json
import re
from urllib.parse import unquote

import pytest
import requests

from fakeupstream import Reply
from records import reference, study

PRIMARY = "NCT04280705"
TITLE = "Adaptive COVID-19 Treatment Trial (ACTT)"
OTHERS = {"NCT04292899": "Second trial", "NCT04368728": "Third trial"}
STRICT = "script-src 'self'; connect-src 'self'; style-src 'self'"
POLICIES = {
    "none": None,
    "strict": STRICT,
    "strict-tt": STRICT + "; require-trusted-types-for 'script'",
    "tt": "require-trusted-types-for 'script'",
    "connect": "connect-src 'self'",
}
# The page's own styles try hard to reach into the overlay; none may.
HOSTILE_CSS = """
* { font-family: "Comic Sans MS", cursive !important; color: #0a0 !important;
    letter-spacing: 3px !important; }
div { background: #ff0 !important; padding: 30px !important; border: 5px dashed red !important; }
h2, button, a { font-size: 40px !important; text-transform: uppercase !important; }
body { margin: 0; }
"""


def page_html(title, body):
    """A fixture page styled by a CSS file only, so `style-src 'self'` refuses none of it."""
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
            f'<link rel="icon" href="data:,"><link rel="stylesheet" href="/fixtures/page.css">'
            f'</head><body>{body}</body></html>')


STUDY_PAGE = page_html(f"{TITLE} | ClinicalTrials.gov", f"""
<header><input id="search" aria-label="Search studies" value="remdesivir"></header>
<main><h1>{TITLE}</h1><p>ClinicalTrials.gov ID {PRIMARY}</p>
<p>Sponsor: National Institute of Allergy and Infectious Diseases (NIAID)</p>
<p>Lorem ipsum dolor sit amet, the study record as the registry shows it.</p></main>""")

PUBMED_PAGE = page_html("Remdesivir trials - PubMed", f"""
<main><h1>Remdesivir for COVID-19: a review</h1>
<p>Trials: <a href="https://clinicaltrials.gov/study/NCT04292899">NCT04292899</a>,
 the ACTT trial (nct04280705) and NCT04368728.</p>
<p>Not IDs: NCT0428070512, XNCT04280705, NCT00000000.</p></main>""")

EMPTY_PAGE = page_html("A page about nothing in particular", "<main><p>No trial here.</p></main>")


@pytest.fixture
def site(fake, ctgov, live_server):
    """The live server, plus fixture pages on the fake: `site.page(path)` gives their URL."""
    ctgov.add(study(references=[reference("33052335")]))    # a paper reporting results
    for nct_id, title in OTHERS.items():
        ctgov.add(study(nct_id, title=title))

    def html_reply(text, policy=None):
        headers = {"Cache-Control": "no-store"}
        if policy:
            headers["Content-Security-Policy"] = policy
        return Reply.text(text, content_type="text/html", headers=headers)

    fake.route("/fixtures/page.css", Reply.text(HOSTILE_CSS, content_type="text/css"))
    fake.route("/fixtures/study/{nct_id}",
               lambda request, nct_id: html_reply(STUDY_PAGE, POLICIES[request.arg("csp", "none")]))
    fake.route("/fixtures/pubmed/{pmid}", lambda request, pmid: html_reply(PUBMED_PAGE))
    fake.route("/fixtures/empty", lambda request: html_reply(EMPTY_PAGE))

    class Site:
        server = live_server
        origin = fake.url

        @staticmethod
        def page(path):
            return fake.url + path

    return Site


@pytest.fixture
def body(site):
    """The bookmarklet body, taken from the install page's link as a user would drag it."""
    return body_from(site.server)


def body_from(server):
    """The bookmarklet body of the install page of `server`, as a user would drag it."""
    install = requests.get(server + "/bookmarklet", timeout=10).text
    href = html.unescape(re.search(r'class="bookmarklet-link" href="([^"]+)"', install).group(1))
    assert href.startswith("javascript:") and len(href) <= 2000
    return unquote(href[len("javascript:"):])


class Browser:
    """One context and page, collecting console errors and uncaught exceptions."""

    def __init__(self, browser, **options):
        self.context = browser.new_context(**{"viewport": {"width": 1100, "height": 760},
                                              **options})
        self.page = self.context.new_page()
        self.errors = []
        self.watch(self.page)

    def watch(self, page):
        """Collect `page`'s console errors and uncaught exceptions."""
        page.on("console", lambda msg: self.errors.append(msg.text)
                if msg.type == "error" else None)
        page.on("pageerror", lambda exc: self.errors.append(f"uncaught: {exc}"))

    def host_exists(self):
        """Whether the overlay's host element is in the page."""
        return self.page.evaluate("!!document.getElementById('trialbuzz-overlay-host')")


@pytest.fixture
def chromium(browser):
    """A factory of Browser sessions, all closed at the end of the test."""
    opened = []

    def make(**options):
        session = Browser(browser, **options)
        opened.append(session)
        return session

    yield make
    for session in opened:
        session.context.close()


def open_overlay_with(page, site, body, change):
    """Open the overlay on the study page with the server's real payload changed by
    `change(payload)` on its way; the overlay's dialog, drawn."""
    def doctor(route):
        payload = route.fetch().json()
        change(payload)
        route.fulfill(status=200, content_type="application/json", body=json.dumps(payload),
                      headers={"Access-Control-Allow-Origin": "*"})

    page.route(site.server + "/api/v1/badge?**", doctor)
    page.goto(site.page(f"/fixtures/study/{PRIMARY}"))
    page.evaluate(body)
    dialog = page.get_by_role("dialog", name=TITLE)
    dialog.wait_for(timeout=10_000)
    return dialog


def overlay_shows_the_primary(scope):
    """The trial view of NCT04280705 with the fake's attention, in a page or popup `scope`."""
    panel = scope.locator(".panel")
    panel.get_by_role("heading", name=TITLE).wait_for(timeout=10_000)
    assert panel.locator(".score-label strong").inner_text() == "13"
    legend = [li.inner_text().split("\n") for li in panel.locator(".kinds li").all()]
    assert legend == [["News", "1"], ["Wikipedia", "1"], ["Forums", "2"]]
    donut = panel.get_by_role("img")
    assert donut.get_attribute("aria-label") == (
        "Attention score 13: 1 news story, 1 Wikipedia page, 2 forum posts")
    assert panel.get_by_text("Completed · Phase 3").is_visible()
    assert panel.get_by_text("Posted on ClinicalTrials.gov").is_visible()
    assert panel.get_by_text("3 papers, 1 reporting results, 1 preprint").is_visible()
    mention = panel.get_by_role("link", name="Remdesivir trial results discussed")
    assert mention.get_attribute("href") == "https://news.example.org/2026/11/remdesivir-trial"
    assert mention.get_attribute("rel") == "noopener noreferrer nofollow"
    assert "GDELT news" in panel.locator(".mentions li").first.inner_text()
    assert panel.get_by_role("heading", name="Latest mentions (5 of 7)").is_visible()
    assert panel.get_by_role("link", name="Study record").get_attribute("href") == \
        f"https://clinicaltrials.gov/study/{PRIMARY}"
    assert panel.get_by_role("link", name="Details on trialbuzz").get_attribute(
        "href").endswith(f"/trial/{PRIMARY}")
