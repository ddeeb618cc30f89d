"""The browser extension in a real Chromium: loaded unpacked (headless), it badges fixture pages
by itself with one request per page, opens the overlay from a badge, follows its options, and
never sends a page's address unless asked to resolve the page.

Its server is a recording proxy in front of the live server, so every request the extension
makes is seen. Debian's Chromium loads an unpacked extension headless from --load-extension
(with --disable-extensions-except): its headless mode is the new one, the whole browser, which
runs extensions (--headless=new says so explicitly). Branded Google Chrome ignores
--load-extension since version 137; unbranded Chromium and Chrome for Testing still take it.
Registry and PubMed addresses are answered inside the browser (Playwright routes), never fetched.
"""

import re
import sys
import zipfile

import pytest

from bookmarkletpages import OTHERS, PRIMARY, TITLE, overlay_shows_the_primary
from bookmarkletpages import site  # noqa: F401 - fixture
from conftest import LAUNCH_ARGS, app_config
from fakeupstream import Reply
from recordingproxy import RecordingProxy
from trialbuzz.web import extension_build

pytestmark = pytest.mark.browser

SECOND, THIRD = OTHERS
PUBMED_IDS = [SECOND, PRIMARY, THIRD]
# A page that names its trial only once it has drawn itself, as single-page apps do.
LATE_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Late</title>
<link rel="icon" href="data:,"></head><body><main><p>Registered as NCT04280705.</p></main>
<script>setTimeout(function () {
  var p = document.createElement("p");
  p.textContent = "See also NCT04292899 and NCT04280705.";
  document.querySelector("main").appendChild(p);
}, 300);</script></body></html>"""

DARK_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Dark</title>
<link rel="icon" href="data:,"><style>body { background: #121417; color: #e6e6e6;
font: 16px/1.5 Georgia, serif; margin: 16px; }</style></head><body><main>
<p>The ACTT trial (NCT04280705) tested remdesivir.</p></main></body></html>"""


CANONICAL_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>An article</title><link rel="icon" href="data:,">
<link rel="canonical" href="https://clinicaltrials.gov/study/NCT04280705"></head>
<body><main><p>The ACTT trial, told without its number.</p></main></body></html>"""


@pytest.fixture
def live_server(fake, ctgov, tmp_path):
    """The live server, as in conftest, allowed to read the fake's pages when asked to resolve
    one (it reads no loopback page otherwise)."""
    import upstreams
    from liveserver import as_environment, running_server

    upstreams.install(fake)
    env = as_environment(app_config(tmp_path, fake.url))
    env["TRIALBUZZ_FETCH_ALLOW_HOSTS"] = fake.url.split("//", 1)[1]
    with running_server([sys.executable, "-m", "trialbuzz.cli", "serve"], env=env) as base:
        yield base


@pytest.fixture
def proxy(site):  # noqa: F811 - fixture
    """The live server behind a proxy recording what the extension sends it."""
    server = RecordingProxy(site.server).start()
    yield server
    server.stop()


class Extension:
    """A Chromium profile with the extension loaded, and ways to reach its parts."""

    def __init__(self, context, worker, proxy, site):
        self.context = context
        self.worker = worker
        self.proxy = proxy
        self.site = site
        self.id = worker.url.split("/")[2]
        self.errors = []

    def open(self, path):
        """A new tab on a fixture page, its console errors collected."""
        page = self.context.new_page()
        page.on("console", lambda msg: self.errors.append(msg.text)
                if msg.type == "error" else None)
        page.on("pageerror", lambda exc: self.errors.append(f"uncaught: {exc}"))
        page.goto(self.site.page(path))
        return page

    def badges(self, page, count, timeout=20_000):
        """The page's badge buttons once `count` of them are drawn."""
        page.wait_for_function(
            "n => document.querySelectorAll('[data-trialbuzz=badge]').length === n",
            arg=count, timeout=timeout)
        return page.locator("[data-trialbuzz=badge] button")

    def action(self, what, *args):
        """Ask the service worker about the active tab's toolbar button: its title or text."""
        return self.worker.evaluate(
            """async ([what]) => {
                const [tab] = await chrome.tabs.query({active: true, lastFocusedWindow: true});
                return what === "title" ? chrome.action.getTitle({tabId: tab.id})
                     : what === "text" ? chrome.action.getBadgeText({tabId: tab.id})
                     : activateTab(tab);
            }""", [what, *args])

    def wait_for_action(self, what, expected):
        """Poll the toolbar button until its title or text is `expected` (the content script
        has decided what to do with the page)."""
        for _ in range(200):
            value = self.action(what)
            if (expected(value) if callable(expected) else value == expected):
                return value
            self.worker.evaluate("() => new Promise(r => setTimeout(r, 50))")
        raise AssertionError(f"the toolbar button's {what} stayed {value!r}")

    def options(self):
        """The options page in a new tab."""
        page = self.context.new_page()
        page.goto(f"chrome-extension://{self.id}/options.html")
        page.locator("#server").wait_for()
        page.wait_for_function("document.getElementById('server').value !== ''")
        return page

    def api_calls(self):
        """The requests that reached the server's API."""
        return self.proxy.requests_to("/api/")


@pytest.fixture
def extension(site, proxy, browser, chromium_executable, tmp_path):  # noqa: F811 - fixture
    """A factory: the extension built for the proxy's address, loaded in a fresh profile."""
    opened = []

    def launch(**options):
        folder = extension_build.write_folder(tmp_path / "extension", proxy.url)
        args = [arg for arg in LAUNCH_ARGS if arg != "--headless"]
        context = browser.browser_type.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=chromium_executable,
            headless=True,
            args=[*args, "--headless=new", f"--disable-extensions-except={folder}",
                  f"--load-extension={folder}"],
            **{"viewport": {"width": 1100, "height": 760}, **options})
        opened.append(context)
        worker = (context.service_workers[0] if context.service_workers
                  else context.wait_for_event("serviceworker", timeout=15_000))
        return Extension(context, worker, proxy, site)

    yield launch
    for context in opened:
        context.close()


def nothing_names_the_page(calls, url):
    """No request (path, query, headers, body) carries the page's address, or its path."""
    path = url.split("/", 3)[3]
    for call in calls:
        assert url not in call.text() and path not in call.text(), call


@pytest.mark.parametrize("width", [1100, 390])
def test_study_page_gets_its_badge_after_the_id_from_one_request(site, extension, artifacts,
                                                                 width):
    ext = extension(viewport={"width": width, "height": 760})
    page = ext.open(f"/fixtures/study/{PRIMARY}")
    badge = ext.badges(page, 1).first
    assert badge.inner_text().split() == ["13", "4", "mentions"]
    label = badge.get_attribute("aria-label")
    assert label.startswith(f"trialbuzz: attention score 13 for {PRIMARY}, {TITLE}: ")
    assert "1 news story" in label and "2 forum posts" in label
    # Right after the ID in the text, inside the paragraph that names it.
    assert page.evaluate("""() => {
        const host = document.querySelector('[data-trialbuzz=badge]');
        return [host.parentElement.tagName, host.previousSibling.nodeValue];
    }""") == ["P", f"ClinicalTrials.gov ID {PRIMARY}"]
    # The page's hostile styles stay outside the badge.
    look = badge.evaluate("b => [getComputedStyle(b).fontFamily, getComputedStyle(b).height]")
    assert look[0].startswith("system-ui") and look[1] == "18px"
    assert "dark" not in (badge.get_attribute("class") or "")
    page.screenshot(path=f"{artifacts}/extension-study-{width}.png")
    calls = ext.api_calls()
    assert [c.path for c in calls] == [f"/api/v1/badges?ids={PRIMARY}"]
    nothing_names_the_page(ext.proxy.seen, page.url)
    assert ext.action("text") == "1"
    assert ext.errors == []


def test_badges_on_a_dark_page_are_dark(site, fake, extension, artifacts):
    fake.route("/fixtures/dark", Reply.text(DARK_PAGE, content_type="text/html"))
    ext = extension(color_scheme="dark", viewport={"width": 390, "height": 500})
    page = ext.open("/fixtures/dark")
    badge = ext.badges(page, 1).first
    assert "dark" in badge.get_attribute("class")
    assert badge.evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(28, 31, 36)"
    page.screenshot(path=f"{artifacts}/extension-dark-page-390.png")
    assert ext.errors == []


def test_pubmed_page_badges_its_three_trials_with_one_request(site, extension, artifacts):
    ext = extension()
    page = ext.open("/fixtures/pubmed/32445440")
    badges = ext.badges(page, 3)
    order = page.evaluate("[...document.querySelectorAll('[data-trialbuzz=badge]')]"
                          ".map(b => b.dataset.nctId)")
    assert order == PUBMED_IDS
    # The linked ID's badge follows the link, never inside it; the lower-case ID is read too.
    assert page.evaluate("document.querySelector('[data-trialbuzz=badge]')"
                         ".previousElementSibling.tagName") == "A"
    assert page.evaluate("document.querySelectorAll('a [data-trialbuzz]').length") == 0
    for badge in badges.all():
        badge.locator(".s").wait_for()
    page.wait_for_function("[...document.querySelectorAll('[data-trialbuzz=badge]')].every("
                           "b => !b.shadowRoot.querySelector('.collecting'))", timeout=30_000)
    page.locator("main").screenshot(path=f"{artifacts}/extension-pubmed.png")
    calls = [c.path for c in ext.api_calls()]
    assert calls[0] == "/api/v1/badges?ids=" + ",".join(PUBMED_IDS)
    # Later calls are only rounds for trials still being collected, never a page's own.
    assert all(c.startswith("/api/v1/badges?ids=") for c in calls)
    nothing_names_the_page(ext.proxy.seen, page.url)
    assert ext.errors == []


def test_badge_opens_the_overlay_whose_requests_carry_ids_only(site, extension, artifacts):
    ext = extension()
    page = ext.open(f"/fixtures/study/{PRIMARY}")
    badge = ext.badges(page, 1).first
    badge.click()
    page.get_by_role("dialog", name=TITLE).wait_for(timeout=15_000)
    overlay_shows_the_primary(page)
    page.screenshot(path=f"{artifacts}/extension-overlay.png")
    overlay_calls = ext.proxy.requests_to("/api/v1/badge?")
    assert overlay_calls and all(re.fullmatch(rf"/api/v1/badge\?(url=&)?ids={PRIMARY}", c.path)
                                 for c in overlay_calls)
    nothing_names_the_page(ext.proxy.seen, page.url)
    # Escape closes it and gives the focus back to the badge.
    page.keyboard.press("Escape")
    page.wait_for_function("!document.getElementById('trialbuzz-overlay-host')")
    assert page.evaluate("document.activeElement.dataset.trialbuzz") == "badge"
    assert ext.errors == []


def test_options_turn_a_site_off_and_badge_only_on_click(site, extension, artifacts):
    ext = extension()
    options = ext.options()
    assert options.locator("#server").input_value() == ext.proxy.url
    options.screenshot(path=f"{artifacts}/extension-options.png", full_page=True)
    options.locator("#disabled-sites").fill("example.org\nhttp://127.0.0.1:8000/whatever")
    options.get_by_role("button", name="Save").click()
    options.get_by_role("status").filter(has_text="Saved.").wait_for()
    assert options.locator("#disabled-sites").input_value() == "example.org\n127.0.0.1"

    page = ext.open("/fixtures/pubmed/32445440")
    ext.wait_for_action("title", lambda t: "off on this site" in t)
    assert page.evaluate("document.querySelectorAll('[data-trialbuzz]').length") == 0
    assert ext.api_calls() == []

    options.bring_to_front()
    options.locator("#disabled-sites").fill("")
    options.get_by_label("Only on click").check()
    options.get_by_role("button", name="Save").click()
    options.get_by_role("status").filter(has_text="Saved.").wait_for()
    page.bring_to_front()
    page.reload()
    # Counted in the page and shown on the toolbar button; nothing sent, nothing drawn.
    assert ext.wait_for_action("text", "3") == "3"
    assert "click to show" in ext.action("title")
    assert page.evaluate("document.querySelectorAll('[data-trialbuzz]').length") == 0
    assert ext.api_calls() == []

    ext.action("activate")
    ext.badges(page, 3)
    panel = page.get_by_role("region", name="trialbuzz")
    panel.get_by_text("3 trials named on this page:").wait_for()
    page.screenshot(path=f"{artifacts}/extension-on-click.png")
    assert [c.path for c in ext.api_calls()][:1] == ["/api/v1/badges?ids=" + ",".join(PUBMED_IDS)]
    panel.get_by_role("button", name=re.compile(SECOND)).click()
    page.get_by_role("dialog", name="Second trial").wait_for(timeout=15_000)
    nothing_names_the_page(ext.proxy.seen, page.url)
    assert ext.errors == []


def test_turning_a_site_off_from_the_panel_removes_its_badges_and_keeps_it_off(site, extension,
                                                                               artifacts):
    ext = extension(color_scheme="dark", viewport={"width": 390, "height": 760})
    page = ext.open("/fixtures/pubmed/32445440")
    ext.badges(page, 3)
    ext.action("activate")
    panel = page.get_by_role("region", name="trialbuzz")
    panel.get_by_role("button", name="Turn off on 127.0.0.1").click()
    page.wait_for_function("document.querySelectorAll('[data-trialbuzz]').length === 0")
    options = ext.options()
    assert options.locator("#disabled-sites").input_value() == "127.0.0.1"
    assert options.evaluate("document.documentElement.scrollWidth") <= 390
    options.screenshot(path=f"{artifacts}/extension-options-dark-390.png", full_page=True)
    calls = len(ext.api_calls())
    again = ext.open("/fixtures/study/" + PRIMARY)
    ext.wait_for_action("title", lambda t: "off on this site" in t)
    assert again.evaluate("document.querySelectorAll('[data-trialbuzz]').length") == 0
    assert len(ext.api_calls()) == calls
    assert ext.errors == []


def test_resolve_this_page_sends_its_address_only_when_clicked(site, extension, artifacts):
    ext = extension(color_scheme="dark")
    page = ext.open("/fixtures/empty")
    ext.wait_for_action("title", lambda t: "attention badges" in t)
    ext.action("activate")
    panel = page.get_by_role("region", name="trialbuzz")
    panel.get_by_text("No NCT ID found on this page.").wait_for()
    page.screenshot(path=f"{artifacts}/extension-panel-dark.png")
    assert ext.api_calls() == []
    panel.get_by_role("button", name="Resolve this page").click()
    status = panel.get_by_role("status")
    page.wait_for_function(
        "() => { const s = document.querySelector('[data-trialbuzz=chip]').shadowRoot"
        ".querySelector('[role=status]'); return s && !/Sending/.test(s.textContent)"
        " && s.textContent.length > 0; }", timeout=30_000)
    calls = ext.api_calls()
    assert len(calls) == 1 and calls[0].path.startswith("/api/v1/resolve?url=http")
    assert "fixtures%2Fempty" in calls[0].path
    assert status.inner_text() == "trialbuzz read this page and found no NCT ID in it."
    assert ext.errors == []


def test_resolving_a_page_finds_the_trial_only_the_server_can_see(site, fake, extension,
                                                                  artifacts):
    fake.route("/fixtures/canonical", Reply.text(CANONICAL_PAGE, content_type="text/html"))
    ext = extension()
    page = ext.open("/fixtures/canonical")
    ext.action("activate")
    panel = page.get_by_role("region", name="trialbuzz")
    panel.get_by_text("No NCT ID found on this page.").wait_for()
    assert ext.api_calls() == []
    panel.get_by_role("button", name="Resolve this page").click()
    # The page names its trial in its canonical link, which the server reads.
    page.get_by_role("dialog", name=TITLE).wait_for(timeout=20_000)
    page.screenshot(path=f"{artifacts}/extension-resolved.png")
    paths = [c.path for c in ext.api_calls()]
    assert paths[0].startswith("/api/v1/resolve?url=http") and "fixtures%2Fcanonical" in paths[0]
    # The overlay of a resolved page sends the address the reader chose to send.
    assert any(p.startswith("/api/v1/badge?url=http") and p.endswith(f"ids={PRIMARY}")
               for p in paths[1:])
    assert ext.errors == []


def test_a_page_drawing_itself_later_asks_only_for_the_new_trial(site, fake, extension):
    fake.route("/fixtures/late", Reply.text(LATE_PAGE, content_type="text/html"))
    ext = extension()
    page = ext.open("/fixtures/late")
    ext.badges(page, 2)
    assert [c.path for c in ext.api_calls()] == [f"/api/v1/badges?ids={PRIMARY}",
                                                f"/api/v1/badges?ids={SECOND}"]
    # The second mention of a badged trial gets no second badge.
    assert page.evaluate("[...document.querySelectorAll('[data-trialbuzz=badge]')]"
                         ".map(b => b.dataset.nctId)") == [PRIMARY, SECOND]
    assert ext.errors == []


SCAN_PAGE = """<main>
<nav><a href="/search?term=NCT11111111">search</a></nav>
<div id="abstract"><p>Registered at ClinicalTrials.gov (NCT22222222) and
<a href="https://clinicaltrials.gov/ct2/show/NCT33333333">the extension</a>.</p>
<p>Repeated: NCT22222222; <code>nct44444444</code> in code;
<button>NCT55555555</button> in a control.</p></div>
<textarea>NCT66666666</textarea><script>var x = "NCT77777777";</script>
<div id="similar"><p>A similar article on NCT88888888.</p></div>
<div id="references"><a href="https://clinicaltrials.gov/study/NCT99999999">ref</a></div>
</main>"""


def test_scan_reads_study_addresses_of_every_generation_and_pubmed_abstracts(browser):
    """scan.js alone, in a plain page: which addresses are study pages, what a page names."""
    source = extension_build._source("scan.js")
    context = browser.new_context()
    try:
        page = context.new_page()
        page.set_content(SCAN_PAGE)
        page.add_script_tag(content=source)
        study = page.evaluate("""urls => urls.map(u => trialbuzzScan.studyId(u))""", [
            "https://clinicaltrials.gov/study/NCT04280705",
            "https://clinicaltrials.gov/study/nct04280705?tab=results#more",
            "https://www.clinicaltrials.gov/ct2/show/NCT04280705",
            "https://clinicaltrials.gov/ct2/show/record/NCT04280705?term=remdesivir",
            "https://classic.clinicaltrials.gov/ct2/show/results/NCT04280705",
            "https://clinicaltrials.gov/search?term=NCT04280705",
            "https://clinicaltrials.gov/ct2/results?cond=NCT04280705",
            "https://classic.clinicaltrials.gov/ct2/results?term=NCT04280705&cond=covid",
            "https://clinicaltrials.gov/study/NCT00000000",
            "https://clinicaltrials.gov.example.org/study/NCT04280705",
            "https://news.example.org/study/NCT04280705",
            "not a url",
        ])
        assert study == [PRIMARY] * 5 + [None] * 7
        kinds = page.evaluate("""urls => urls.map(u => trialbuzzScan.pageKind(u))""", [
            "https://pubmed.ncbi.nlm.nih.gov/32445440/", "https://pubmed.ncbi.nlm.nih.gov/32445440",
            "https://pubmed.ncbi.nlm.nih.gov/?term=NCT04280705",
            "https://classic.clinicaltrials.gov/ct2/show/NCT04280705"])
        assert kinds == ["pubmed", "pubmed", "page", "study"]
        scanned = page.evaluate("""href => {
            const found = trialbuzzScan.scan(document, href, 50);
            return [found.ids, found.mentions.map(m => [m.id, m.after ? m.after.tagName : 'text'])];
        }""", "https://pubmed.ncbi.nlm.nih.gov/32445440/")
        # Abstract, code and databank links in; similar articles, references, form fields and
        # scripts out.
        assert scanned == [
            ["NCT11111111", "NCT22222222", "NCT33333333", "NCT44444444", "NCT55555555"],
            [["NCT11111111", "A"], ["NCT22222222", "text"], ["NCT33333333", "A"],
             ["NCT44444444", "text"], ["NCT55555555", "BUTTON"]]]
        # Elsewhere every trial named counts; a study page's own trial comes first.
        elsewhere = page.evaluate("""href => trialbuzzScan.scan(document, href, 4).ids""",
                                  "https://clinicaltrials.gov/study/NCT04280705")
        assert elsewhere == [PRIMARY, "NCT11111111", "NCT22222222", "NCT33333333"]
        everything = page.evaluate("""() => trialbuzzScan.scan(document, 'https://a.example/',
                                                                 50).ids""")
        assert "NCT88888888" in everything and "NCT99999999" in everything
        assert "NCT66666666" not in everything and "NCT77777777" not in everything
    finally:
        context.close()


@pytest.mark.parametrize("scheme,width", [("light", 1100), ("dark", 390)])
def test_install_page_downloads_the_extension_built_for_its_server(site, browser, artifacts,
                                                                   scheme, width):
    context = browser.new_context(color_scheme=scheme, accept_downloads=True,
                                  viewport={"width": width, "height": 900})
    try:
        page = context.new_page()
        page.goto(site.server + "/bookmarklet")
        section = page.locator("section.extension")
        section.get_by_role("heading", name="Chrome, Edge, Brave").wait_for()
        section.scroll_into_view_if_needed()
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        section.screenshot(path=f"{artifacts}/extension-install-{scheme}-{width}.png")
        with page.expect_download() as download:
            section.get_by_role("link", name="Download the extension (zip)").click()
        assert download.value.suggested_filename == "trialbuzz-extension.zip"
        files = zipfile.ZipFile(download.value.path())
        config = files.read("config.js").decode()
        assert f'"server":"{site.server}"' in config
    finally:
        context.close()


REGISTRY_SHELL = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>ClinicalTrials.gov</title><link rel="icon" href="data:,"></head>
<body><main id="app"><p>Loading…</p></main></body></html>"""
DRAW_STUDY = f"""() => {{
    const main = document.getElementById('app');
    main.replaceChildren();
    const h1 = document.createElement('h1');
    h1.textContent = {TITLE!r};
    const id = document.createElement('p');
    id.textContent = 'ClinicalTrials.gov ID {PRIMARY}';
    main.append(h1, id);
}}"""
PUBMED_ABSTRACT = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Remdesivir for the Treatment of Covid-19 - PubMed</title><link rel="icon" href="data:,">
</head><body><main class="article-details">
<h1 class="heading-title">Remdesivir for the Treatment of Covid-19 - Final Report</h1>
<div class="abstract" id="abstract"><h2>Abstract</h2><div class="abstract-content selected">
<p>Background: … (Funded by the NIAID; ACTT-1 ClinicalTrials.gov number, {PRIMARY}.)</p>
</div></div>
<div class="associated-data" id="associated-data"><h2>Associated data</h2><ul>
<li><a href="https://clinicaltrials.gov/ct2/show/{SECOND}">ClinicalTrials.gov/{SECOND}</a></li>
<li><a href="https://clinicaltrials.gov/ct2/show/{THIRD}">ClinicalTrials.gov/{THIRD}</a></li>
</ul></div>
<div class="similar-articles" id="similar"><h2>Similar articles</h2>
<p>Another trial, NCT04315948, compared other drugs.</p></div>
<div id="references"><h2>References</h2><p>See NCT04321616.</p></div>
</main></body></html>"""


def fulfil(context, origin, body):
    """Answer every request to `origin` with `body`, inside the browser: nothing goes out."""
    context.route(origin + "/**", lambda route: route.fulfill(
        status=200, content_type="text/html; charset=utf-8", body=body))


def test_registry_study_page_drawing_itself_gets_a_chip_then_its_badge(site, extension,
                                                                      artifacts):
    ext = extension()
    fulfil(ext.context, "https://clinicaltrials.gov", REGISTRY_SHELL)
    page = ext.context.new_page()
    page.goto(f"https://clinicaltrials.gov/study/{PRIMARY}?tab=results")
    # The address names the trial before the page does: the corner chip lists it.
    chip = page.get_by_role("button", name=re.compile("trialbuzz · 1 trial"))
    chip.wait_for(timeout=20_000)
    assert page.evaluate("document.querySelectorAll('[data-trialbuzz=badge]').length") == 0
    page.screenshot(path=f"{artifacts}/extension-registry-chip.png")
    chip.click()
    page.get_by_role("region", name="trialbuzz").get_by_role(
        "button", name=re.compile(PRIMARY)).wait_for()
    page.keyboard.press("Escape")
    # Closed, the panel gives the focus back to the chip.
    assert page.evaluate("document.querySelector('[data-trialbuzz=chip]').shadowRoot"
                         ".activeElement.getAttribute('aria-expanded')") == "false"
    page.evaluate(DRAW_STUDY)
    badge = ext.badges(page, 1).first
    assert badge.get_attribute("aria-label").startswith(
        f"trialbuzz: attention score 13 for {PRIMARY}")
    page.wait_for_function("!document.querySelector('[data-trialbuzz=chip]')")
    page.screenshot(path=f"{artifacts}/extension-registry-study.png")
    assert [c.path for c in ext.api_calls()] == [f"/api/v1/badges?ids={PRIMARY}"]
    nothing_names_the_page(ext.proxy.seen, page.url)
    assert ext.errors == []


def test_registry_search_results_are_badged_as_a_list_not_as_a_study(site, extension):
    ext = extension()
    fulfil(ext.context, "https://clinicaltrials.gov",
           f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Search</title>
           <link rel="icon" href="data:,"></head><body><main><ol>
           <li><a href="/study/{SECOND}">{SECOND}</a> Second trial</li>
           <li><a href="/study/{THIRD}">{THIRD}</a> Third trial</li></ol></main></body></html>""")
    page = ext.context.new_page()
    page.goto(f"https://clinicaltrials.gov/search?term={PRIMARY}")
    ext.badges(page, 2)
    assert [c.path for c in ext.api_calls()] == [f"/api/v1/badges?ids={SECOND},{THIRD}"]


def test_pubmed_abstract_badges_its_trials_not_those_of_similar_articles(site, extension,
                                                                         artifacts):
    ext = extension()
    fulfil(ext.context, "https://pubmed.ncbi.nlm.nih.gov", PUBMED_ABSTRACT)
    page = ext.context.new_page()
    page.goto("https://pubmed.ncbi.nlm.nih.gov/32445440/")
    ext.badges(page, 3)
    assert page.evaluate("[...document.querySelectorAll('[data-trialbuzz=badge]')]"
                         ".map(b => b.dataset.nctId)") == PUBMED_IDS[1:2] + [SECOND, THIRD]
    page.wait_for_function("[...document.querySelectorAll('[data-trialbuzz=badge]')].every("
                           "b => !b.shadowRoot.querySelector('.collecting'))", timeout=30_000)
    page.screenshot(path=f"{artifacts}/extension-pubmed-abstract.png")
    calls = [c.path for c in ext.api_calls()]
    assert calls[0] == f"/api/v1/badges?ids={PRIMARY},{SECOND},{THIRD}"
    nothing_names_the_page(ext.proxy.seen, page.url)


def test_the_service_worker_drops_a_page_address_it_was_not_asked_to_send(site, extension):
    """Whatever a content script asks, only "Resolve this page" may carry a `url`."""
    ext = extension()
    page_url = site.page("/fixtures/pubmed/32445440")
    answers = ext.worker.evaluate("""async (url) => [
        await api("/api/v1/badge?url=" + encodeURIComponent(url) + "&ids=NCT04280705", false),
        await api("/api/v1/badge?ids=NCT04292899&url=" + encodeURIComponent(url), false),
        await api("/../../elsewhere?url=" + encodeURIComponent(url), false),
        await api("/api/v1/../../bookmarklet?url=" + encodeURIComponent(url), false),
        await api("/api/v1/%2e%2e/%2e%2e/bookmarklet?url=" + encodeURIComponent(url), false),
    ].map(a => a.status)""", page_url)
    assert answers == [200, 200, 0, 0, 0]
    assert [c.path for c in ext.api_calls()] == [f"/api/v1/badge?ids={PRIMARY}",
                                                f"/api/v1/badge?ids={SECOND}"]
    nothing_names_the_page(ext.proxy.seen, page_url)
