"""Registry references: results and derived papers are attention, background references are not."""

from records import reference, study, trial_record
from trialbuzz.attention.sources.ctgov import CtGovReferences


def test_results_and_derived_papers_become_publications(source_settings):
    trial = trial_record(references=[
        reference("33052335", "RESULT"),
        reference("32445440", "DERIVED"),
        reference("11102329", "BACKGROUND"),
        reference(None, "RESULT", citation="Doe J. A results paper. Lancet. 2021;1:1. "
                                           "doi: 10.1016/S0140-6736(21)00001-1."),
    ])
    mentions = CtGovReferences(source_settings).find(trial)
    assert [m.external_id for m in mentions[:2]] == ["33052335", "32445440"]
    assert len(mentions) == 3
    first, _, third = mentions
    assert first.url == "https://pubmed.ncbi.nlm.nih.gov/33052335/"
    assert first.extra["result"] is True and mentions[1].extra["result"] is False
    assert third.extra["doi"] == "10.1016/s0140-6736(21)00001-1"
    assert third.url == "https://doi.org/10.1016/s0140-6736(21)00001-1"
    assert third.external_id.startswith("citation:")
    assert third.extra["year"] == 2021


def test_see_also_links_are_listed_as_links_and_hostile_ones_dropped(source_settings):
    record = study()
    record["protocolSection"]["referencesModule"] = {"seeAlsoLinks": [
        {"label": "Trial website", "url": "https://actt.example.org/"},
        {"label": "<b>evil</b>", "url": "javascript:alert(1)"},
    ]}
    from trialbuzz.registry.ctgov import parse_study
    from trialbuzz.registry.trials import TrialRecord
    parsed = parse_study(record)
    trial = TrialRecord("NCT04280705", parsed, None, None, "NCT04280705")
    mentions = CtGovReferences(source_settings).find(trial)
    assert [(m.kind, m.url, m.title) for m in mentions] == [
        ("link", "https://actt.example.org/", "Trial website")]


def test_no_references_no_mentions(source_settings, fake):
    assert CtGovReferences(source_settings).find(trial_record()) == []
    assert fake.requests == []


def test_a_reference_is_read_into_title_author_journal_and_date(source_settings):
    trial = trial_record(references=[reference(
        "33052335", "RESULT", citation="Beigel JH, Tomashek KM, Dodd LE, et al. Remdesivir for "
        "the Treatment of Covid-19 - Final Report. N Engl J Med. 2020 Nov 5;383(19):1813-1826. "
        "doi: 10.1056/NEJMoa2007764. Epub 2020 Oct 8.")])
    from datetime import datetime, timezone

    mention = CtGovReferences(source_settings).find(trial)[0]
    assert mention.title == "Remdesivir for the Treatment of Covid-19 - Final Report."
    assert mention.author == "Beigel JH et al."
    # Dated by its e-publication, earlier than the issue.
    assert mention.published_at == datetime(2020, 10, 8, tzinfo=timezone.utc)
    assert mention.snippet == ("Results publication, listed in the registry record; "
                               "N Engl J Med, 2020-11-05")
    assert mention.extra["journal"] == "N Engl J Med"


def test_a_citation_that_does_not_parse_stays_whole_and_undated(source_settings):
    trial = trial_record(references=[reference(None, "RESULT",
                                               citation="Results presented at ASCO 2019")])
    mention = CtGovReferences(source_settings).find(trial)[0]
    assert mention.title == "Results presented at ASCO 2019"
    assert mention.author is None and mention.published_at is None
    assert mention.snippet == "Results publication, listed in the registry record"


def test_a_correction_listed_by_the_registry_is_a_notice(source_settings):
    trial = trial_record(references=[reference("900", "DERIVED", citation=(
        "Erratum: Remdesivir for the Treatment of Covid-19 - Final Report. N Engl J Med. 2020 "
        "Dec 10;383(24):2398."))])
    mention = CtGovReferences(source_settings).find(trial)[0]
    assert mention.extra["notice"] == "correction"
    assert mention.extra["notice_for"] == {
        "title_key": "remdesivir for the treatment of covid 19 final report"}
