"""Tests for trialbuzz.resolution.resolve: NCT IDs from URLs, HTML pages and plain text."""

import dataclasses
import os
from pathlib import Path

import pytest

from trialbuzz.errors import InvalidUrl
from trialbuzz.resolution.resolve import (
    MAX_SCAN_CHARS,
    MAX_URL_LENGTH,
    UrlIds,
    ids_from_text,
    ids_from_url,
    needs_page,
)

# Real saved pages from the shared reference samples (the folder test_ctgov.py reads too);
# TRIALBUZZ_SAMPLES points elsewhere when the repository is checked out on its own.
_SAMPLE_DIRS = [
    Path(os.environ["TRIALBUZZ_SAMPLES"]) if os.environ.get("TRIALBUZZ_SAMPLES") else None,
    Path(__file__).resolve().parents[2] / "shared" / "reference" / "samples",
]


def _sample(name):
    for folder in filter(None, _SAMPLE_DIRS):
        if (folder / name).is_file():
            return (folder / name).read_text(encoding="utf-8")
    pytest.skip(f"sample {name} not found; set TRIALBUZZ_SAMPLES to the samples folder")


# --- URLs ------------------------------------------------------------------------------------

A, B, C = "NCT04280705", "NCT01492673", "NCT02422290"

URL_CASES = [
    # Section 11 of the ClinicalTrials.gov reference, rows 1-40.
    ("https://clinicaltrials.gov/study/NCT04292899", ["NCT04292899"], "NCT04292899"),
    ("https://clinicaltrials.gov/study/NCT04261517?recrs=e&cond=COVID&draw=2", ["NCT04261517"], "NCT04261517"),
    ("https://www.clinicaltrials.gov/study/NCT04619628", ["NCT04619628"], "NCT04619628"),
    ("https://clinicaltrials.gov/study/NCT02139397?tab=results#outcome-measures", ["NCT02139397"], "NCT02139397"),
    ("https://clinicaltrials.gov/study/NCT01467986#main-content", ["NCT01467986"], "NCT01467986"),
    ("https://clinicaltrials.gov/study/NCT04280705?tab=history", [A], A),
    ("https://clinicaltrials.gov/study/NCT04280705?term=NCT01234567", [A, "NCT01234567"], A),
    ("https://beta.clinicaltrials.gov/study/NCT04938648", ["NCT04938648"], "NCT04938648"),
    ("https://classic.clinicaltrials.gov/ct2/show/NCT04292899", ["NCT04292899"], "NCT04292899"),
    ("https://classic.clinicaltrials.gov/ct2/show/NCT01492673?cond=neuroblastoma", [B], B),
    ("https://clinicaltrials.gov/ct2/show/NCT01492673?cond=neuroblastoma", [B], B),
    ("https://www.clinicaltrials.gov/ct2/show/NCT02703272", ["NCT02703272"], "NCT02703272"),
    ("https://clinicaltrials.gov/ct2/show/NCT04261517?recrs=e&cond=COVID&draw=2&rank=8", ["NCT04261517"], "NCT04261517"),
    ("https://clinicaltrials.gov/ct2/show/record/NCT02422290", [C], C),
    ("https://clinicaltrials.gov/ct2/show/study/NCT02422290", [C], C),
    ("https://clinicaltrials.gov/ct2/show/results/NCT02422290", [C], C),
    ("http://clinicaltrials.gov/show/NCT00004451", ["NCT00004451"], "NCT00004451"),
    ("https://clinicaltrials.gov/show/invalid-nct-id?resultsxml=true", [], None),
    ("https://clinicaltrials.gov/api/v2/studies/NCT04437511", ["NCT04437511"], "NCT04437511"),
    ("https://clinicaltrials.gov/api/v2/studies/NCT02993146", ["NCT02993146"], "NCT02993146"),
    ("https://clinicaltrials.gov/api/v2/studies/nct04437511", ["NCT04437511"], "NCT04437511"),
    ("https://clinicaltrials.gov/study/NCT00009113", ["NCT00009113"], "NCT00009113"),
    ("https://clinicaltrials.gov/study/NCT99999999", ["NCT99999999"], "NCT99999999"),
    ("https://clinicaltrials.gov/study/04437511", [], None),
    ("https://clinicaltrials.gov/study/NCT00000000", [], None),
    ("https://clinicaltrials.gov/study/NCT044375111", [], None),
    ("https://clinicaltrials.gov/study/nct04280705", [A], A),
    ("https://clinicaltrials.gov/api/int/studies/NCT04292899", ["NCT04292899"], "NCT04292899"),
    ("https://cdn.clinicaltrials.gov/large-docs/71/NCT03630471/SAP_000.pdf", ["NCT03630471"], "NCT03630471"),
    ("https://classic.clinicaltrials.gov/ct2/results?term=NCT01492673", [B], None),
    ("https://clinicaltrials.gov/search?term=NCT01492673", [B], None),
    ("https://www.clinicaltrials.gov/search?term=NCT04412252,%20NCT04368728", ["NCT04412252", "NCT04368728"], None),
    ("https://www.clinicaltrials.gov/search?term=transgender%20care", [], None),
    ("https://clinicaltrials.gov/", [], None),
    ("https://identifiers.org/resolve?query=clinicaltrials:NCT02967965", ["NCT02967965"], "NCT02967965"),
    ("https://eutils.ncbi.nlm.nih.gov/entrez/eutils/esearch.fcgi?db=pubmed&term=NCT01874691[si]", ["NCT01874691"], None),
    ("https://www.isrctn.com/ISRCTN70039829", [], None),
    ("https://euclinicaltrials.eu/ctis-public/view/2022-500041-24-00", [], None),
    ("https://www.clinicaltrialsregister.eu/ctr-search/trial/2007-000371-42/results", [], None),
    ("https://example.org/study/NCT04280705", [A], None),
    # Host spelling.
    ("https://ClinicalTrials.gov/study/NCT04292899", ["NCT04292899"], "NCT04292899"),
    ("https://WWW.CLINICALTRIALS.GOV/ct2/show/NCT02703272", ["NCT02703272"], "NCT02703272"),
    ("http://ClinicalTrials.gov/show/NCT00004451", ["NCT00004451"], "NCT00004451"),
    ("https://clinicaltrials.gov./study/NCT04292899", ["NCT04292899"], "NCT04292899"),
    ("HTTPS://CLASSIC.CLINICALTRIALS.GOV/ct2/show/NCT04292899", ["NCT04292899"], "NCT04292899"),
    ("https://clinicaltrials.gov:443/study/NCT04292899", ["NCT04292899"], "NCT04292899"),
    # Scheme, trailing slashes, queries, fragments.
    ("http://clinicaltrials.gov/study/NCT04292899", ["NCT04292899"], "NCT04292899"),
    ("https://clinicaltrials.gov/study/NCT04292899/", ["NCT04292899"], "NCT04292899"),
    ("https://clinicaltrials.gov/ct2/show/NCT02703272/?term=lung", ["NCT02703272"], "NCT02703272"),
    ("https://clinicaltrials.gov/ct2/show/record/NCT02422290?view=results", [C], C),
    ("https://classic.clinicaltrials.gov/ct2/show/results/NCT02422290#wrapper", [C], C),
    ("https://clinicaltrials.gov/ct2/show/NCT02422290?resultsxml=true", [C], C),
    ("https://clinicaltrials.gov/study/NCT04280705?tab=history&a=1&b=3#version-content", [A], A),
    ("https://beta.clinicaltrials.gov/study/NCT04938648?locStr=Boston&country=United%20States&rank=1", ["NCT04938648"], "NCT04938648"),
    ("https://clinicaltrials.gov/study/NCT04280705#NCT01492673", [A, B], A),
    ("https://clinicaltrials.gov/study/%4ECT04280705", [A], A),
    # Documents and API paths.
    ("https://clinicaltrials.gov/ProvidedDocs/90/NCT02422290/Prot_SAP_000.pdf", [C], C),
    ("https://cdn.clinicaltrials.gov/large-docs/05/NCT04280705/Prot_000.pdf", [A], A),
    ("https://clinicaltrials.gov/api/int/studies/NCT04292899?history=true", ["NCT04292899"], "NCT04292899"),
    ("https://clinicaltrials.gov/api/int/studies/NCT04292899/history/3", ["NCT04292899"], "NCT04292899"),
    ("https://clinicaltrials.gov/api/v2/studies?filter.ids=NCT04412252,NCT04368728", ["NCT04412252", "NCT04368728"], None),
    ("https://clinicaltrials.gov/api/v2/studies/metadata", [], None),
    ("https://clinicaltrials.gov/api/rss?term=NCT04280705", [A], None),
    # Search pages.
    ("https://clinicaltrials.gov/expert-search?term=AREA[NCTId]NCT04412252", ["NCT04412252"], None),
    ("https://clinicaltrials.gov/ct2/results?cond=COVID&term=NCT04280705+OR+NCT01492673", [A, B], None),
    ("https://clinicaltrials.gov/search?term=nct04280705", [A], None),
    ("https://clinicaltrials.gov/search?term=NCT01492673%2C%20NCT04280705%2C%20NCT01492673", [B, A], None),
    # Malformed IDs.
    ("https://clinicaltrials.gov/study/NCT0428070", [], None),
    ("https://clinicaltrials.gov/study/NCT04280705x", [], None),
    ("https://clinicaltrials.gov/study/xNCT04280705", [], None),
    ("https://clinicaltrials.gov/study/NCT-04280705", [], None),
    ("https://clinicaltrials.gov/study/NCT\uff10\uff14\uff12\uff18\uff10\uff17\uff10\uff15", [], None),
    ("https://clinicaltrials.gov/api/v2/studies/NCT4280705", [], None),
    # WHO ICTRP.
    ("https://trialsearch.who.int/Trial2.aspx?TrialID=NCT04280705", [A], A),
    ("https://trialsearch.who.int/Trial2.aspx?trialid=nct04280705", [A], A),
    ("http://apps.who.int/trialsearch/Trial2.aspx?TrialID=NCT01492673", [B], B),
    ("https://trialsearch.who.int/Trial2.aspx?TrialID=ISRCTN70039829", [], None),
    ("https://trialsearch.who.int/Trial2.aspx?ref=NCT01492673&TrialID=NCT04280705", [A, B], A),
    ("https://trialsearch.who.int/Trial2.aspx?TrialID=EUCTR2007-000371-42-GB&x=NCT01492673", [B], None),
    ("https://apps.who.int/iris/NCT01492673", [B], None),
    # identifiers.org.
    ("https://identifiers.org/clinicaltrials:NCT02967965", ["NCT02967965"], "NCT02967965"),
    ("https://identifiers.org/clinicaltrials/NCT02967965", ["NCT02967965"], "NCT02967965"),
    ("http://identifiers.org/resolve?query=clinicaltrials%3Anct02967965", ["NCT02967965"], "NCT02967965"),
    ("https://identifiers.org/resolve?query=clinicaltrials:NCT0296796", [], None),
    # Other hosts: every ID anywhere in the URL, never a primary.
    ("https://pubmed.ncbi.nlm.nih.gov/?term=NCT04280705%5Bsi%5D", [A], None),
    ("https://example.org/news#NCT04280705", [A], None),
    ("https://example.org/a/NCT04280705/b?x=NCT01492673#c=nct02422290", [A, B, C], None),
    ("https://example.org/NCT04280705-results-published", [A], None),
    ("https://example.org/item?id=NCT000000001", [], None),
    ("https://example.org/item?id=NCT00000000", [], None),
    ("https://clinicaltrials.gov@example.org/study/NCT04280705", [A], None),
    ("https://clinicaltrials.gov.example.org/study/NCT04280705", [A], None),
    ("https://nct04280705.example.org/", [], None),
]


@pytest.mark.parametrize(("url", "nct_ids", "primary"), URL_CASES)
def test_ids_from_url_gives_the_named_ids_and_the_study_page_primary(url, nct_ids, primary):
    assert ids_from_url(url) == UrlIds(nct_ids, primary)


def test_url_table_is_large_and_has_no_repeats():
    urls = [url for url, _, _ in URL_CASES]
    assert len(urls) >= 70
    assert len(set(urls)) == len(urls)


def test_surrounding_whitespace_is_ignored():
    url = "  https://clinicaltrials.gov/study/NCT04292899\n"
    assert ids_from_url(url) == UrlIds(["NCT04292899"], "NCT04292899")


def test_url_of_exactly_the_maximum_length_is_accepted():
    url = "https://example.org/NCT04280705?pad="
    url += "a" * (MAX_URL_LENGTH - len(url))
    assert len(url) == MAX_URL_LENGTH
    assert ids_from_url(url) == UrlIds([A], None)


def test_url_one_character_over_the_maximum_length_is_refused():
    url = "https://example.org/NCT04280705?pad="
    url += "a" * (MAX_URL_LENGTH + 1 - len(url))
    with pytest.raises(InvalidUrl):
        ids_from_url(url)


INVALID_URLS = [
    "",
    "   ",
    "ftp://clinicaltrials.gov/study/NCT04280705",
    'javascript:alert("NCT04280705")',
    "mailto:trials@clinicaltrials.gov",
    "data:text/html,NCT04280705",
    "/study/NCT04280705",
    "clinicaltrials.gov/study/NCT04280705",
    "//clinicaltrials.gov/study/NCT04280705",
    "NCT04280705",
    "https://",
    "https:///study/NCT04280705",
    "http://./",
    "http://[::1/study/NCT04280705",
    "https://clinicaltrials.gov:99999/study/NCT04280705",
    "https://clinicaltrials.gov:port/study/NCT04280705",
    "https://clinicaltrials.gov/study/NCT04280705 extra",
    "https://clinicaltrials.gov/study/\tNCT04280705",
    "https://clinicaltrials.gov/study/NCT04280705\x00",
    "https://clinicaltrials.gov/study/\u200bNCT04280705",
    "https://evil.example\\@clinicaltrials.gov/study/NCT04280705",
    "https://example.org/" + "a" * MAX_URL_LENGTH,
    None,
    42,
    b"https://clinicaltrials.gov/study/NCT04280705",
]


@pytest.mark.parametrize("url", INVALID_URLS)
def test_unusable_url_raises_invalid_url_with_a_message(url):
    with pytest.raises(InvalidUrl) as caught:
        ids_from_url(url)
    assert caught.value.code == "invalid_url"
    assert caught.value.status == 400
    assert "URL" in caught.value.message


def test_non_http_scheme_message_names_the_accepted_schemes():
    with pytest.raises(InvalidUrl, match="http and https"):
        ids_from_url("ftp://clinicaltrials.gov/study/NCT04280705")


def test_too_long_message_gives_the_limit():
    with pytest.raises(InvalidUrl, match="4,096"):
        ids_from_url("https://example.org/" + "a" * MAX_URL_LENGTH)


def test_url_ids_is_frozen():
    ids = ids_from_url("https://clinicaltrials.gov/study/NCT04292899")
    with pytest.raises(dataclasses.FrozenInstanceError):
        ids.primary = None


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://clinicaltrials.gov/search?cond=lung%20cancer", False),
        ("https://clinicaltrials.gov/", False),
        ("https://WWW.CLINICALTRIALS.GOV/ct2/results?cond=asthma", False),
        ("https://classic.clinicaltrials.gov/ct2/home", False),
        ("https://clinicaltrials.gov/study/NCT04280705", False),
        ("https://example.org/study/NCT04280705", False),
        ("https://www.isrctn.com/ISRCTN70039829", True),
        ("https://www.clinicaltrialsregister.eu/ctr-search/trial/2007-000371-42/results", True),
        ("https://pubmed.ncbi.nlm.nih.gov/31562798/", True),
        ("https://trialsearch.who.int/Trial2.aspx?TrialID=ISRCTN70039829", True),
        ("http://example.org/news/2024/trial-results", True),
    ],
)
def test_needs_page_only_for_pages_off_the_registry_that_name_no_id(url, expected):
    assert needs_page(url) is expected


def test_needs_page_rejects_an_unusable_url():
    with pytest.raises(InvalidUrl):
        needs_page("ftp://example.org/")


# --- plain text ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        f"ClinicalTrials.gov number, {B}.",
        f"Clinical trial information: {B}",
        f"ClinicalTrials.gov Identifier: {B}",
        f"ClinicalTrials.gov identifier: {B}; EudraCT No.: 2015-001234-12",
        f"Trial registration ClinicalTrials.gov {B}. Registered 1 May 2016.",
        f"The trial was registered at ClinicalTrials.gov ({B}).",
    ],
)
def test_registration_line_in_text_gives_the_primary(line):
    text = f"Compared with {A}, the new trial enrolled more patients.\n{line}\n"
    assert ids_from_text(text) == UrlIds([A, B], B)


def test_registration_phrase_does_not_reach_past_the_sentence_end():
    text = f"Trial registration: not registered. An unrelated study, {A}, and {B} were cited."
    assert ids_from_text(text) == UrlIds([A, B], None)


def test_single_id_in_text_is_the_primary():
    assert ids_from_text(f"Results of {A.lower()} are out.") == UrlIds([A], A)


def test_several_ids_in_text_without_registration_give_no_primary():
    assert ids_from_text(f"{A}, {B} and {C} were pooled; {A} was the largest.") == UrlIds([A, B, C], None)


@pytest.mark.parametrize("value", ["", "no trials here", None, 7])
def test_text_without_ids_gives_none(value):
    assert ids_from_text(value) == UrlIds([], None)


def test_text_beyond_the_scan_cap_is_not_read_in_plain_text():
    text = f"{A} " + "x" * MAX_SCAN_CHARS + f" {B}"
    assert ids_from_text(text) == UrlIds([A], A, complete=False)
