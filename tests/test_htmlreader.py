"""Tests for trialbuzz.resolution.htmlreader: NCT IDs from HTML pages, read in one bounded pass."""

import os
from pathlib import Path

import pytest

from trialbuzz.resolution.htmlreader import MAX_PAGE_CHARS, ids_from_html
from trialbuzz.resolution.resolve import MAX_SCAN_CHARS, UrlIds

# Real saved pages from the shared reference samples (the folder test_ctgov.py reads too);
# TRIALBUZZ_SAMPLES points elsewhere when the repository is checked out on its own.
_SAMPLE_DIRS = [
    Path(os.environ["TRIALBUZZ_SAMPLES"]) if os.environ.get("TRIALBUZZ_SAMPLES") else None,
    Path(__file__).resolve().parents[2] / "shared" / "reference" / "samples",
]

A, B, C = "NCT04280705", "NCT01492673", "NCT02422290"


def _sample(name):
    for folder in filter(None, _SAMPLE_DIRS):
        if (folder / name).is_file():
            return (folder / name).read_text(encoding="utf-8")
    pytest.skip(f"sample {name} not found; set TRIALBUZZ_SAMPLES to the samples folder")


# --- HTML ------------------------------------------------------------------------------------


def page(head="", body=""):
    return f"<!DOCTYPE html><html><head>{head}</head><body>{body}</body></html>"


def test_real_classic_study_page_names_its_study():
    html = _sample("classic-site-ct2-show-results-NCT02422290.html")
    base = "https://clinicaltrials.gov/ct2/show/results/NCT02422290"
    assert ids_from_html(html, base) == UrlIds([C], C)


def test_real_classic_study_page_without_base_url_still_names_its_study():
    html = _sample("classic-site-ct2-show-results-NCT02422290.html")
    assert ids_from_html(html) == UrlIds([C], C)


def test_real_classic_error_page_gives_no_ids():
    html = _sample("classic-site-error-page-show-invalid-nct-id.html")
    base = "https://clinicaltrials.gov/show/invalid-nct-id?resultsxml=true"
    assert ids_from_html(html, base) == UrlIds([], None)


def test_error_page_marker_discards_ids_echoed_in_the_page():
    html = page(
        '<meta name="ncbi_pdid" content="bad_url">',
        "<p>No such path: /ct2/show/NCT04280705xyz NCT04280705</p>",
    )
    assert ids_from_html(html) == UrlIds([], None)


# Each marker names B while the page also mentions A first, so only the marker can make B primary.
MENTION_A = f"<p>Earlier work (see {A}) showed little.</p>"

MARKER_CASES = [
    ("relative canonical", page(f'<link rel="canonical" href="/ct2/show/results/{B}">', MENTION_A)),
    ("absolute canonical", page(f'<link rel="Canonical" href="https://clinicaltrials.gov/study/{B}">', MENTION_A)),
    ("og:url", page(f'<meta property="og:url" content="https://clinicaltrials.gov/ct2/show/{B}">', MENTION_A)),
    ("ncbi_pcid", page(f'<meta name="ncbi_pcid" content="{B}">', MENTION_A)),
    ("ISRCTN dt", page(body=MENTION_A + f"<dl><dt>ClinicalTrials.gov number</dt><dd>{B}</dd></dl>")),
    ("ISRCTN heading", page(body=MENTION_A + f"<h3>ClinicalTrials.gov number</h3>\n<p>{B}</p>")),
    ("ISRCTN th", page(body=MENTION_A + f"<table><tr><th>ClinicalTrials.gov number:</th><td>{B}</td></tr></table>")),
    ("ISRCTN label", page(body=MENTION_A + f"<div><label>ClinicalTrials.gov number</label> <span>{B}</span></div>")),
    (
        "EU CTR row",
        page(body=MENTION_A + "<table><tr><td class='first'>A.5.2</td>"
             f"<td class='second'>US NCT (ClinicalTrials.gov registry) number</td><td class='third'>{B}</td></tr></table>"),
    ),
    ("NEJM line", page(body=MENTION_A + f"<p>(Funded by Acme; ClinicalTrials.gov number, {B}.)</p>")),
    ("ASCO line", page(body=MENTION_A + f"<p>Clinical trial information: {B}.</p>")),
    ("JCO line", page(body=MENTION_A + f"<p>ClinicalTrials.gov Identifier: {B}; EudraCT No.: 2015-001234-12</p>")),
    ("trial registration", page(body=MENTION_A + f"<p>Trial registration: ClinicalTrials.gov, {B}. Registered 3 March 2015.</p>")),
    ("registered at", page(body=MENTION_A + f"<p>This trial is registered at ClinicalTrials.gov ({B}).</p>")),
    ("line across elements", page(body=MENTION_A + f'<p>ClinicalTrials.gov number, <a href="#x"><b>{B}</b></a></p>')),
]


@pytest.mark.parametrize(("label", "html"), MARKER_CASES, ids=[label for label, _ in MARKER_CASES])
def test_page_identity_marker_gives_the_primary(label, html):
    result = ids_from_html(html, base_url="https://clinicaltrials.gov/ct2/show/results/" + B)
    assert result.primary == B
    assert set(result.nct_ids) == {A, B}


def test_relative_canonical_needs_a_base_url():
    html = page(f'<link rel="canonical" href="/ct2/show/results/{B}">', MENTION_A)
    assert ids_from_html(html) == UrlIds([A], A)


def test_canonical_on_another_host_names_ids_but_no_primary():
    html = page(f'<link rel="canonical" href="https://example.org/trials/{B}">', MENTION_A)
    assert ids_from_html(html) == UrlIds([B, A], None)


def test_isrctn_field_value_spanning_several_blocks_still_gives_the_primary():
    html = page(body=MENTION_A + "<dl><dt>ClinicalTrials.gov number</dt>"
                f"<dd><p>Registered on 2015-03-01</p><p>{B}</p></dd></dl>")
    assert ids_from_html(html) == UrlIds([A, B], B)


def test_isrctn_field_without_an_nct_number_gives_no_primary():
    html = page(body="<h3>ClinicalTrials.gov number</h3><p>Nil known</p>"
                     f"<h3>Results</h3><p>Compare {A} and {B}.</p>")
    assert ids_from_html(html) == UrlIds([A, B], None)


def test_links_to_study_pages_count_and_search_links_do_not():
    html = page(body=(
        f'<a href="/study/{A}">first</a>'
        f'<a href="https://clinicaltrials.gov/search?term={B}">search</a>'
        f'<a href="https://trialsearch.who.int/Trial2.aspx?TrialID={C}">ICTRP</a>'
        '<a href="https://identifiers.org/clinicaltrials:NCT02967965">identifiers</a>'
        '<a href="javascript:void(0)">nothing</a><a href="http://[::1">broken</a>'
    ))
    base = "https://clinicaltrials.gov/search?cond=x"
    assert ids_from_html(html, base) == UrlIds([A, C, "NCT02967965"], None)


def test_relative_link_is_resolved_against_the_page_host():
    html = page(body=f'<a href="/study/{A}">on this site</a><a href="/study/{B}">again</a>')
    assert ids_from_html(html, "https://classic.clinicaltrials.gov/ct2/home") == UrlIds([A, B], None)
    assert ids_from_html(html, "https://example.org/post") == UrlIds([], None)


def test_single_link_to_a_study_page_becomes_the_primary():
    link = '<a href="https://clinicaltrials.gov/study/NCT04280705?tab=results">the record</a>'
    html = page(body=f"<p>See {link}.</p>")
    assert ids_from_html(html) == UrlIds([A], A)


def test_ids_come_in_document_order_not_marker_order():
    html = page(
        '<meta name="description" content="about trials">',
        f"<p>Background: {C}.</p>"
        f'<p><a href="https://clinicaltrials.gov/study/{A}">a related study</a></p>'
        f"<dl><dt>ClinicalTrials.gov number</dt><dd>{B}</dd></dl>",
    )
    assert ids_from_html(html) == UrlIds([C, A, B], B)


def test_first_identity_marker_in_the_document_wins():
    html = page(f'<meta name="ncbi_pcid" content="{A}">', f"<p>ClinicalTrials.gov Identifier: {B}</p>")
    assert ids_from_html(html) == UrlIds([A, B], A)


def test_repeated_ids_are_listed_once_at_their_first_appearance():
    html = page(
        f'<link rel="canonical" href="https://clinicaltrials.gov/study/{A}">',
        f"<p>{B} and {A}</p><a href='https://clinicaltrials.gov/study/{B}'>{B}</a><p>{A.lower()}</p>",
    )
    assert ids_from_html(html) == UrlIds([A, B], A)


def test_ids_in_scripts_styles_templates_noscript_and_comments_are_ignored():
    html = page(
        f'<script>var id = "{B}";</script><style>/* {B} */</style>',
        f"<!-- {B} --><p>Only {A} is shown.</p><template><p>{C}</p>"
        f'<a href="https://clinicaltrials.gov/study/{C}">x</a></template>'
        f"<noscript>{B}</noscript><script type='application/ld+json'>{{\"id\": \"{C}\"}}</script>",
    )
    assert ids_from_html(html) == UrlIds([A], A)


def test_pubmed_like_page_with_three_ids_and_no_identity_marker():
    html = page(
        '<title>Three trials reviewed - PubMed</title><meta name="ncbi_pcid" content="31562798">',
        "<h1>Three trials reviewed</h1><div class='abstract'>"
        f"<p>We pooled {B}, {A} and {C}.</p></div>"
        f"<div class='associated-data'><a href='https://example.org/x'>{B}</a></div>",
    )
    assert ids_from_html(html, "https://pubmed.ncbi.nlm.nih.gov/31562798/") == UrlIds([B, A, C], None)


def test_synthetic_modern_page_title_names_the_study():
    # Synthetic: no real server HTML of a modern study page is known (reference section 7).
    html = page(
        f"<title>Study Details | {A} | Remdesivir in COVID-19 | ClinicalTrials.gov</title>",
        "<app-root></app-root><script src='/main.js'></script>",
    )
    assert ids_from_html(html, "https://clinicaltrials.gov/study/" + A) == UrlIds([A], A)


def test_synthetic_modern_page_shell_without_data_gives_no_ids():
    # Synthetic: the bootstrap HTML of the single-page app, as NLM describes it.
    html = page(
        "<title>ClinicalTrials.gov</title><base href='/'>",
        "<app-root></app-root><script src='main.js'></script>",
    )
    assert ids_from_html(html, "https://clinicaltrials.gov/study/" + A) == UrlIds([], None)


@pytest.mark.parametrize(
    "text",
    [f"x{A}", "NCT042807051", f"{A}x", "NCT0428070", "NCT00000000", "NCT 04280705", "NCT-04280705"],
)
def test_malformed_ids_in_page_text_are_not_ids(text):
    assert ids_from_html(page(body=f"<p>{text}</p>")) == UrlIds([], None)


def test_ids_split_by_markup_stay_apart():
    assert ids_from_html(f"<p>foo</p><p>{A}</p><p>bar</p><td>{B}</td>").nct_ids == [A, B]


@pytest.mark.parametrize(
    "html",
    [
        "<html><body><p>unclosed <b>bold <i>italic " + A,
        "</div></p><p>" + A + "</span></table>",
        "<a href='https://clinicaltrials.gov/study/" + A + "'>",
        "<![if !IE]><p>" + A + "<![endif]>",
        "<link rel=canonical href='javascript:x'><p>" + A,
        "\x00<p>" + A + "\ufffd</p>",
    ],
)
def test_broken_html_does_not_raise(html):
    assert A in ids_from_html(html, "https://example.org/").nct_ids


def test_text_inside_a_tag_cut_off_at_the_end_is_not_text():
    # A browser drops a tag the document ends inside; nothing of it is shown.
    assert ids_from_html("<p>x</p><p " + A) == UrlIds([], None)


def test_deeply_nested_html_does_not_raise():
    assert ids_from_html("<div>" * 50_000 + A) == UrlIds([A], A)


def test_visible_text_beyond_the_scan_cap_is_not_read_and_the_answer_says_so():
    filler = "<p>" + "x" * 1000 + "</p>"
    html = f"<p>{A}</p>" + filler * (MAX_SCAN_CHARS // 1000 + 10) + f"<p>{B}</p>"
    assert ids_from_html(html, budget=60) == UrlIds([A], A, complete=False)


def test_markup_beyond_the_page_cap_is_not_read():
    html = f"<p>{A}</p>" + "<b></b>" * (MAX_PAGE_CHARS // 7 + 1) + f"<p>{B}</p>"
    assert ids_from_html(html, budget=60) == UrlIds([A], A, complete=False)


def test_a_page_read_whole_says_so():
    assert ids_from_html(f"<p>{A}</p>" * 1000).complete is True


@pytest.mark.parametrize("value", [None, 42, 3.5, ["<p>NCT04280705</p>"], object()])
def test_non_string_html_gives_no_ids(value):
    assert ids_from_html(value) == UrlIds([], None)


def test_bytes_html_is_decoded_as_utf8():
    assert ids_from_html(f"<p>caf\u00e9 {A}</p>".encode()) == UrlIds([A], A)


def test_empty_html_gives_no_ids():
    assert ids_from_html("") == UrlIds([], None)


# --- cost -----------------------------------------------------------------------------------

PAGE_BYTES = 2 * 1024 * 1024  # FETCH_MAX_BYTES


def _hostile(unit):
    return f"<p>{A}</p>" + unit * (PAGE_BYTES // len(unit))


@pytest.mark.parametrize("unit", [
    "<table><tr><td>", "<td>", "<h1>", "<dt>", "<label>", "<a href='/study/NCT01492673'>",
    "<b></b>", "<i>x</i>", "<h3>ClinicalTrials.gov number",
    "<td>US NCT (ClinicalTrials.gov registry) number",
])
def test_a_hostile_page_is_read_without_building_a_tree(unit):
    # Python objects per tag made a 2 MB page of tiny tags cost hundreds of MB, and nesting
    # made reading quadratic; a streaming read holds a few MB whatever the page's shape.
    import tracemalloc

    tracemalloc.start()
    try:
        found = ids_from_html(_hostile(unit))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert A in found.nct_ids
    assert peak < 24 * 1024 * 1024


def test_reading_stops_at_the_budget_and_keeps_what_it_found():
    found = ids_from_html(_hostile("<dt>") + f"<p>{B}</p>", budget=0)
    assert found == UrlIds([A], A, complete=False)


def test_a_deeply_nested_label_is_read():
    html = "<div>" * 100 + "<h3>ClinicalTrials.gov number</h3>" + f"<p>{B}</p><p>{A}</p>"
    assert ids_from_html(html) == UrlIds([B, A], B)


def test_text_split_across_feeds_is_one_node():
    from trialbuzz.resolution.htmlreader import FEED_BYTES

    html = "<p>" + "x" * (FEED_BYTES - 9) + f" {A} and more</p>"
    assert html.index(A) < FEED_BYTES < html.index(A) + len(A)
    assert ids_from_html(html) == UrlIds([A], A)
