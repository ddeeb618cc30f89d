"""Registry citations read into authors, title, journal and date."""

import pytest

from trialbuzz.registry.citations import parse


@pytest.mark.parametrize("citation, authors, title, journal, date", [
    ("Beigel JH, Tomashek KM, Dodd LE, et al. Remdesivir for the Treatment of Covid-19 - Final "
     "Report. N Engl J Med. 2020 Nov 5;383(19):1813-1826. doi: 10.1056/NEJMoa2007764. Epub "
     "2020 Oct 8.", "Beigel JH, Tomashek KM, Dodd LE, et al.",
     "Remdesivir for the Treatment of Covid-19 - Final Report.", "N Engl J Med", "2020-11-05"),
    # From the registry samples: a month only, a journal with a parenthesis.
    ("Gil RJ, Bil J, Dzavik V. Regular Drug-Eluting Stent vs Dedicated Coronary Bifurcation "
     "BiOSS Expert Stent: Multicenter Open-Label Randomized Controlled POLBOS I Trial. Can J "
     "Cardiol. 2015 May;31(5):671-8. doi: 10.1016/j.cjca.2014.12.024. Epub 2014 Dec 24.",
     "Gil RJ, Bil J, Dzavik V", "Regular Drug-Eluting Stent vs Dedicated Coronary Bifurcation "
     "BiOSS Expert Stent: Multicenter Open-Label Randomized Controlled POLBOS I Trial.",
     "Can J Cardiol", "2015-05"),
    ("Lee EH. Review of the psychometric evidence of the perceived stress scale. Asian Nurs Res "
     "(Korean Soc Nurs Sci). 2012 Dec;6(4):121-7.", "Lee EH",
     "Review of the psychometric evidence of the perceived stress scale.",
     "Asian Nurs Res (Korean Soc Nurs Sci)", "2012-12"),
    ("Doe J. Does it work? Lancet. 2021;1:1.", "Doe J", "Does it work?", "Lancet", "2021"),
    ("Weisz JR, Hoagwood KE; Research Network on Youth Mental Health. Youth Top Problems. J "
     "Consult Clin Psychol. 2011 Jun;79(3):369-80.",
     "Weisz JR, Hoagwood KE; Research Network on Youth Mental Health", "Youth Top Problems.",
     "J Consult Clin Psychol", "2011-06"),
])
def test_vancouver_citations_are_read_into_parts(citation, authors, title, journal, date):
    parts = parse(citation)
    assert parts.parsed
    assert (parts.authors, parts.title, parts.journal, parts.date) == (authors, title, journal,
                                                                      date)


@pytest.mark.parametrize("citation", [
    "Results will be published after the study ends",
    "Smith. 2020.",
    "A conference abstract presented at ASCO 2019",
])
def test_citations_that_do_not_parse_are_kept_whole_as_the_title(citation):
    parts = parse(citation)
    assert not parts.parsed
    assert parts.title == citation and parts.authors is None and parts.date is None


def test_no_text_is_no_citation():
    assert parse(None) is None and parse("") is None


def test_first_author_with_et_al():
    assert parse("Beigel JH, Tomashek KM. A trial. Lancet. 2020;1:1.").first_author == \
        "Beigel JH et al."
    assert parse("Lee EH. A trial. Lancet. 2020;1:1.").first_author == "Lee EH"
