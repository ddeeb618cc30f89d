"""A collection page in a real Chromium, at phone and desktop widths, light and dark: the name
stays text, the table sorts by its header links, badges, totals and the timeline show, a long
collection pages through its table, nothing comes from elsewhere, nothing overflows the
phone's width, and axe finds no WCAG violation on the page, the form or what it answers."""

import time

import pytest
import requests

import quiet
from accessibility import assert_accessible, assert_fits_a_phone
from hostile import PAYLOADS
from records import study
from trialbuzz.collections import PAGE_SIZE

pytestmark = pytest.mark.browser

A, QUIET, MERGED, UNKNOWN = "NCT04280705", "NCT04292899", "NCT00010647", "NCT09999999"
NAME = "Oncology watchlist " + PAYLOADS[1]


@pytest.fixture
def collection(live_server, fake, ctgov):
    ctgov.add(study(QUIET, title="Quiet trial"))
    ctgov.add(study(MERGED, title="Merged study"))
    quiet.install(fake, QUIET, MERGED)
    for nct_id in (A, QUIET, MERGED, UNKNOWN):        # harvested before the page is shown
        requests.get(f"{live_server}/api/v1/trials/{nct_id}", timeout=60)
    made = requests.post(f"{live_server}/api/v1/collections", timeout=30, json={
        "name": NAME, "nct_ids": [QUIET, UNKNOWN, A, MERGED]})
    assert made.status_code == 201
    return made.json()


@pytest.mark.parametrize("scheme, width", [("light", 390), ("dark", 390), ("light", 1100),
                                           ("dark", 1100)])
def test_collection_page_at_phone_and_desktop_widths(browser, live_server, collection,
                                                    artifacts, scheme, width):
    context = browser.new_context(color_scheme=scheme, viewport={"width": width, "height": 900})
    page = context.new_page()
    errors, dialogs, asked = [], [], []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("request", lambda r: asked.append(r.url))
    page.goto(collection["url"])
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("heading", level=1).inner_text() == NAME
    assert page.locator("#xss-marker").count() == 0

    def order():
        return page.locator("table.collection-trials td.id a").all_inner_texts()

    assert order() == [A, QUIET, MERGED, UNKNOWN]     # by score; the unknown one last
    assert "no study" in page.locator("table.collection-trials tbody tr").nth(3).inner_text() \
        .lower() or "not found" in page.locator("table.collection-trials tbody tr").nth(3) \
        .inner_text().lower()
    assert page.locator("dl.totals").inner_text().split("\n")[:2] == ["Total score", "13"]
    assert page.get_by_role("img", name="Mentions per month").is_visible()
    assert page.locator("link[rel=alternate][type='application/atom+xml']").count() == 1
    page.screenshot(path=f"{artifacts}/collection-{width}-{scheme}.png", full_page=True)
    overflow = page.evaluate("document.documentElement.scrollWidth")
    assert overflow <= width, f"the page is {overflow} px wide at {width}"
    assert_accessible(page, f"a collection page ({width} px, {scheme})")

    page.locator("thead").get_by_role("link", name="Title").click()
    page.wait_for_load_state("networkidle")
    assert order() == [A, MERGED, QUIET, UNKNOWN]
    assert page.locator("th[aria-sort=ascending]").inner_text().startswith("Title")
    page.locator("thead").get_by_role("link", name="Title").click()
    assert order() == [QUIET, MERGED, A, UNKNOWN]
    badge = page.locator("table.collection-trials td.badge-cell svg").first
    if width > 640:
        assert badge.is_visible()
        page.locator("thead").get_by_role("link", name="Latest mention").click()
    else:
        # The phone's table has no date column: its order is a link above the table.
        assert not badge.is_visible()
        page.locator(".sort-by").get_by_role("link", name="Latest mention").click()
        assert page.get_by_text("Latest mention 2026-11-22").is_visible()
    assert order()[0] == A
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert (background == "rgb(20, 22, 26)") == (scheme == "dark")
    assert all(url.startswith(live_server) for url in asked)
    assert errors == [] and dialogs == []
    context.close()


@pytest.mark.parametrize("scheme, width", [("dark", 390), ("light", 1100)])
def test_the_form_makes_a_collection_from_an_uploaded_file(browser, live_server, tmp_path,
                                                           artifacts, scheme, width):
    upload = tmp_path / "trials.csv"
    upload.write_text(f"id,title\n{A},ACTT\nnct04292899,quiet\n{A},again\n", encoding="utf-8")
    context = browser.new_context(color_scheme=scheme, viewport={"width": width, "height": 900})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(live_server + "/")
    page.get_by_role("link", name="Collections").click()
    page.get_by_label("Name").fill("From a file")
    page.get_by_label("Or a CSV or text file").set_input_files(str(upload))
    page.screenshot(path=f"{artifacts}/collection-new-{width}-{scheme}.png", full_page=True)
    assert_accessible(page, f"the new collection form ({width} px, {scheme})")
    page.get_by_role("button", name="Create the collection").click()
    page.get_by_role("heading", name="Collection created").wait_for()
    token = page.locator("#edit-token").inner_text()
    assert len(token) >= 40
    page.screenshot(path=f"{artifacts}/collection-created-{width}-{scheme}.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert_accessible(page, f"the created collection's page ({width} px, {scheme})")
    page.locator("main a[href*='/collections/']").first.click()
    assert page.get_by_role("heading", level=1).inner_text() == "From a file"
    assert page.locator("table.collection-trials td.id a").all_inner_texts() in (
        [A, QUIET], [QUIET, A])
    assert errors == []
    context.close()


@pytest.mark.parametrize("scheme, width", [("dark", 390), ("light", 1100)])
def test_a_long_collection_pages_through_its_table(browser, live_server, collection, artifacts,
                                                   scheme, width):
    """Five trials more than a page: a page of rows in the order of them all, then the rest;
    the totals of them all on each."""
    size = PAGE_SIZE + 5
    unknown = [f"NCT0{n:07d}" for n in range(1, PAGE_SIZE + 2)]
    half = PAGE_SIZE // 2
    made = requests.post(f"{live_server}/api/v1/collections", timeout=30, json={
        "name": "A long list", "nct_ids": [*unknown[:half], A, QUIET, MERGED, UNKNOWN,
                                           *unknown[half:]]}).json()
    deadline = time.monotonic() + 30          # the registry's 404s for the unknown ones
    while requests.get(made["api_url"] + "?limit=1", timeout=30).json()["totals"]["pending"] \
            and time.monotonic() < deadline:
        time.sleep(0.2)
    context = browser.new_context(color_scheme=scheme, viewport={"width": width, "height": 900})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(made["url"] + "?sort=nct_id&order=desc")
    page.wait_for_load_state("networkidle")
    ids = page.locator("table.collection-trials td.id a")
    # The trials the registry knows in the order asked; those it does not after them, as listed.
    assert ids.all_inner_texts()[:5] == [QUIET, A, MERGED, unknown[0], unknown[1]]
    assert ids.count() == PAGE_SIZE
    assert page.locator("#trials-shown").inner_text() == \
        f"Trials 1–{PAGE_SIZE} of {size}, in this order."
    assert f"{size - 3} of {size} trials could not be looked up on ClinicalTrials.gov" in \
        page.locator(".notice").inner_text()
    assert page.locator("dl.totals").inner_text().split("\n")[:2] == ["Total score", "13"]
    pager = page.get_by_role("navigation", name="Pages of trials")
    assert pager.get_by_role("link").all_inner_texts() == [f"Next {PAGE_SIZE}"]
    assert_accessible(page, f"a long collection's first page ({width} px, {scheme})")
    if width < 640:
        assert_fits_a_phone(page, "a long collection's first page")
    pager.get_by_role("link", name=f"Next {PAGE_SIZE}").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("#trials-shown").inner_text() == \
        f"Trials {PAGE_SIZE + 1}–{size} of {size}, in this order."
    assert ids.all_inner_texts() == unknown[-5:]
    assert page.locator("dl.totals").inner_text().split("\n")[:2] == ["Total score", "13"]
    assert pager.get_by_role("link").all_inner_texts() == [f"Previous {PAGE_SIZE}"]
    page.screenshot(path=f"{artifacts}/collection-long-{width}-{scheme}.png", full_page=True)
    assert_accessible(page, f"a long collection's last page ({width} px, {scheme})")
    if width < 640:
        assert_fits_a_phone(page, "a long collection's last page")
    # The sort links start again from the first page; the newest mention's day still shows.
    page.locator("thead" if width > 640 else ".sort-by").get_by_role("link", name="Score").click()
    page.wait_for_load_state("networkidle")
    assert ids.first.inner_text() == A
    assert page.locator("#trials-shown").inner_text().startswith(f"Trials 1–{PAGE_SIZE} ")
    assert "2026-11-22" in page.locator("table.collection-trials tbody tr").first.inner_text()
    assert errors == []
    context.close()
