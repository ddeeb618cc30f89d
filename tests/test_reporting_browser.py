"""The details page's results reporting and estimated dates in a real Chromium, on a phone
(390 px) and a desktop, light and dark."""

import re

import pytest

from bookmarkletpages import body, chromium, site  # noqa: F401 - fixtures
from records import reference, study

pytestmark = pytest.mark.browser

OVERDUE = "NCT04280705"
PLANNED = "NCT05000001"
RESULT_CITATION = ("Beigel JH, Tomashek KM, Dodd LE, et al. Remdesivir for the Treatment of "
                   "Covid-19 - Final Report. N Engl J Med. 2020 Nov 5;383(19):1813-1826.")
COVERED = dict(fda_drug=True, fda_device=False, has_results=False,
               start=("2021-03-01", "ACTUAL"), primary_completion=("2022-06-15", "ACTUAL"),
               completion=("2022-09", "ACTUAL"))


@pytest.fixture
def trials(live_server, ctgov):
    ctgov.add(study(OVERDUE, **COVERED,
                    references=[reference("33052335", citation=RESULT_CITATION)]))
    ctgov.add(study(PLANNED, title="Planned trial", status="RECRUITING",
                    **dict(COVERED, start=("2025-01-10", "ACTUAL"),
                           primary_completion=("2027-03", "ESTIMATED"),
                           completion=("2027-09", "ESTIMATED"), enrollment=(250, "ESTIMATED"))))
    return live_server


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [390, 1280])
def test_reporting_section_reads_well_on_phone_and_desktop(browser, trials, artifacts, width,
                                                           scheme):
    context = browser.new_context(color_scheme=scheme, viewport={"width": width, "height": 900})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{trials}/trial/{OVERDUE}")
    section = page.locator("section", has=page.get_by_role("heading", name="Results reporting"))
    section.scroll_into_view_if_needed()
    assert section.is_visible()
    assert re.fullmatch(r"Results overdue: [\d,]+ days past the date they were probably due "
                        r"\(2023-06-15\)\.", section.locator(".reporting-status").inner_text())
    facts = dict(zip(section.locator("dt").all_inner_texts(),
                     section.locator("dd").all_inner_texts()))
    assert facts["Results due"] == "2023-06-15 (estimate)"
    assert facts["Primary completion"] == "2022-06-15"
    assert facts["Results posted"] == "not yet"
    paper = section.get_by_role("link", name="Remdesivir for the Treatment of Covid-19 - Final "
                                              "Report.")
    assert paper.get_attribute("href") == "https://pubmed.ncbi.nlm.nih.gov/33052335/"
    # Nothing in the section sticks out sideways on a phone; every fact sits inside it.
    outer = section.bounding_box()
    assert outer["x"] + outer["width"] <= width
    assert section.evaluate("n => n.scrollWidth <= n.clientWidth")
    for fact in section.locator(".facts > div").all():
        box = fact.bounding_box()
        assert box["x"] >= outer["x"] - 1 and box["x"] + box["width"] <= outer["x"] + \
            outer["width"] + 1
    colour = section.locator(".reporting-status").evaluate("n => getComputedStyle(n).color")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert (background == "rgb(20, 22, 26)") == (scheme == "dark")
    assert colour != background
    section.screenshot(path=f"{artifacts}/reporting-{width}-{scheme}.png")
    assert errors == []
    context.close()


@pytest.mark.parametrize("width", [390, 1280])
def test_estimated_dates_are_marked_in_the_header(browser, trials, artifacts, width):
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.goto(f"{trials}/trial/{PLANNED}")
    header = page.locator("header.trial-head")
    facts = dict(zip(header.locator("dt").all_inner_texts(),
                     header.locator("dd").all_inner_texts()))
    assert facts["Start"] == "2025-01-10"
    assert facts["Completion"] == "2027-09 (estimated)"
    assert facts["Enrollment"] == "250 (estimated)"
    section = page.locator("section", has=page.get_by_role("heading", name="Results reporting"))
    assert section.locator(".reporting-status").inner_text() == \
        "Results not due yet: probably due by 2028-03-31."
    for part in (header, section):
        box = part.bounding_box()
        assert box["x"] + box["width"] <= width
        assert part.evaluate("n => n.scrollWidth <= n.clientWidth")
    header.screenshot(path=f"{artifacts}/estimated-header-{width}.png")
    section.screenshot(path=f"{artifacts}/estimated-reporting-{width}.png")
    context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_overlay_has_a_reporting_line(site, body, chromium, artifacts, scheme):
    from bookmarkletpages import open_overlay_with

    session = chromium(color_scheme=scheme)
    page = session.page

    def overdue(payload):
        """The real payload, its trial overdue (and one string in it hostile)."""
        payload["trials"][0]["reporting"] = {
            "status": "overdue", "covered": "probably", "days_late": 1270,
            "primary_completion": {"date": "2022-06-15", "estimated": True},
            "due": '2023-06-15<img src=x onerror="window.pwned=1">',
            "results_submitted": None, "results_posted": None, "delay_requested": None,
            "publication": None, "note": "Probably covered."}
        payload["trials"][0]["mentions"][0]["notice"] = "correction"
        payload["trials"][0]["mentions"][1]["notice"] = "constructor"

    dialog = open_overlay_with(page, site, body, overdue)
    line = dialog.locator("dt", has_text="Reporting").locator("xpath=following-sibling::dd[1]")
    assert line.inner_text() == ('Overdue by 1,270 days · due 2023-06-15<img src=x '
                                 'onerror="window.pwned=1"> (estimate) · primary completion '
                                 "2022-06-15 (estimated)")
    assert page.evaluate("window.pwned") is None
    metas = dialog.locator(".mentions .meta").all_inner_texts()
    assert "Correction (not counted) · " in metas[0]
    assert "function" not in metas[1] and "not counted" not in metas[1]
    dialog.screenshot(path=f"{artifacts}/overlay-reporting-{scheme}.png")
    assert session.errors == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_reporting_badge_renders_readably(browser, trials, artifacts, scheme):
    context = browser.new_context(color_scheme=scheme, viewport={"width": 600, "height": 200})
    page = context.new_page()
    page.set_content(
        f'<body style="background:{"#14161a" if scheme == "dark" else "#fff"}">'
        f'<img id="flat" src="{trials}/badge/{OVERDUE}.svg?type=reporting" alt="">'
        f'<img id="big" src="{trials}/badge/{PLANNED}.svg?type=reporting&style=for-the-badge" '
        'alt=""></body>')
    page.wait_for_load_state("networkidle")
    sizes = page.evaluate("[...document.images].map(i => [i.naturalWidth, i.naturalHeight])")
    assert all(width > 100 for width, _ in sizes) and [h for _, h in sizes] == [20, 28]
    page.screenshot(path=f"{artifacts}/reporting-badges-{scheme}.png")
    context.close()
