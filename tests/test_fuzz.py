"""Property-based tests: every parser of outside input, driven by generated input.

A few hundred examples each by default; `TRIALBUZZ_FUZZ_EXAMPLES=20000` runs a long session
by hand. The properties: no exception but the ones a parser documents, and answers of the
promised shape (well-formed IDs, strict JSON, inert CSV).
"""

import csv
import io
import json
import os
import re
import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trialbuzz.errors import InvalidUrl
from trialbuzz.resolution import htmlreader, resolve
from trialbuzz.web import exports

EXAMPLES = int(os.environ.get("TRIALBUZZ_FUZZ_EXAMPLES", "300"))
fuzz = settings(max_examples=EXAMPLES, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

WELL_FORMED = re.compile(r"NCT(?!00000000)[0-9]{8}")
A = "NCT04280705"

# --- generators -----------------------------------------------------------------------------

ids = st.one_of(
    st.just(A), st.just("nct01492673"), st.just("NCT00000000"), st.just("NCT0428070"),
    st.from_regex(r"NCT[0-9]{7,9}", fullmatch=True),
)
words = st.one_of(ids, st.text(max_size=12),
                  st.sampled_from(["ClinicalTrials.gov number", "Trial registration:",
                                   "US NCT (ClinicalTrials.gov registry) number", "&amp;",
                                   "&lt;", "&#x0;", "&#99999999;", "\ud800", "\x00"]))
hosts = st.sampled_from(["clinicaltrials.gov", "www.clinicaltrials.gov",
                         "classic.clinicaltrials.gov", "trialsearch.who.int", "identifiers.org",
                         "example.org", "[::1]", "127.0.0.1", "xn--nxasmq6b.example", "", "a..b",
                         "clinicaltrials.gov.", "ClinicalTrials.GOV:443", "h:99999", "[x"])
paths = st.lists(st.one_of(ids, st.sampled_from(
    ["study", "ct2", "show", "results", "api", "v2", "studies", "%4E", "..", "", "%"]),
    st.text(string.printable, max_size=6)), max_size=5).map("/".join)
urls = st.one_of(
    st.text(max_size=80),
    st.builds(lambda scheme, host, path, query, fragment:
              f"{scheme}://{host}/{path}{query}{fragment}",
              st.sampled_from(["http", "https", "HTTPS", "ftp", "javascript", ""]), hosts, paths,
              st.one_of(st.just(""), paths.map(lambda p: "?term=" + p),
                        st.just("?TrialID=NCT04280705"), st.just("?query=clinicaltrials:" + A)),
              st.one_of(st.just(""), paths.map(lambda p: "#" + p))),
)

tags = st.sampled_from(["p", "div", "td", "th", "tr", "table", "h1", "h3", "dt", "dd", "label",
                        "a", "link", "meta", "script", "style", "template", "noscript", "br",
                        "b", "svg", "math", "select", "option", "title", "iframe", "textarea"])
attributes = st.lists(st.tuples(
    st.sampled_from(["href", "rel", "name", "content", "property", "class", "x"]),
    st.one_of(words, urls, st.sampled_from(["canonical", "og:url", "ncbi_pcid", "ncbi_pdid",
                                            "bad_url", "/study/" + A]))), max_size=3)


def _element(children):
    return st.builds(
        lambda tag, attrs, inner, close: (
            f"<{tag}" + "".join(f' {k}="{v}"' for k, v in attrs) + ">" + "".join(inner)
            + (f"</{tag}>" if close else "")),
        tags, attributes, st.lists(children, max_size=4), st.booleans())


fragments = st.recursive(
    st.one_of(words, st.sampled_from(["<!--", "-->", "<![CDATA[", "]]>", "<", ">", "</", "&",
                                      "<!DOCTYPE html>", "<?xml?>", "\n", " "])),
    _element, max_leaves=40)
pages = st.one_of(st.lists(fragments, max_size=8).map("".join), st.text(max_size=400),
                  st.binary(max_size=400))

json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=20),
              ids),
    lambda children: st.one_of(st.lists(children, max_size=4),
                               st.dictionaries(st.text(max_size=8), children, max_size=4)),
    max_leaves=30)


def _check_ids(found):
    assert all(WELL_FORMED.fullmatch(nct) for nct in found.nct_ids)
    assert len(set(found.nct_ids)) == len(found.nct_ids)
    assert found.primary is None or found.primary in found.nct_ids


# --- resolution -----------------------------------------------------------------------------


@fuzz
@given(urls)
def test_url_resolution_gives_ids_or_an_invalid_url_error(url):
    try:
        found = resolve.ids_from_url(url)
    except InvalidUrl as error:
        assert error.status == 400 and error.message
        return
    _check_ids(found)
    assert isinstance(resolve.needs_page(url), bool)


@fuzz
@given(pages, st.one_of(st.none(), urls))
def test_html_resolution_never_raises_and_gives_well_formed_ids(page, base_url):
    _check_ids(htmlreader.ids_from_html(page, base_url=base_url))


@fuzz
@given(st.one_of(st.text(), st.lists(words, max_size=30).map(" ".join), st.binary()))
def test_text_resolution_never_raises_and_gives_well_formed_ids(text):
    _check_ids(resolve.ids_from_text(text))


# --- exports --------------------------------------------------------------------------------

mentions = st.fixed_dictionaries({
    name: st.one_of(st.none(), st.text(max_size=30), st.integers(), st.floats(allow_nan=False,
                                                                             allow_infinity=False))
    for name in exports.COLUMNS[1:]})


@fuzz
@given(st.lists(mentions, max_size=6), st.one_of(st.none(), st.text(max_size=30)))
def test_csv_export_keeps_every_row_and_no_cell_is_a_formula(listed, title):
    document = {"nct_id": A, "title": title, "mentions": listed}
    text = exports.to_csv(document)
    assert text.startswith(exports.BOM)
    parsed = list(csv.reader(io.StringIO(text[1:], newline="")))
    assert parsed[0] == list(exports.COLUMNS)
    assert len(parsed) == len(listed) + 1
    for row in parsed[1:]:
        assert not any(cell.startswith(exports.FORMULA_STARTS) for cell in row)


@fuzz
@given(st.lists(mentions, max_size=6), st.one_of(st.none(), st.text(max_size=30)))
def test_json_export_is_strict_json(listed, title):
    document = {"nct_id": A, "title": title, "mentions": listed}

    def refuse(constant):
        raise ValueError(f"{constant} is not JSON")

    body = json.loads(exports.to_json(document), parse_constant=refuse)
    assert len(body["mentions"]) == len(listed)


# --- upstream answers -----------------------------------------------------------------------

HOSTILE_LEAVES = [None, True, 0, -1, 10 ** 30, 1e308, "", " ", "\ud800", "x\udfffy", "\x00",
                  "<script>alert(1)</script>", "&lt;b&gt;", "http://[x/", "javascript:alert(1)",
                  "9999-12-31", "0000-00-00", "NaN", "1e999", [], {}, [None], {"": None},
                  "A" * 5000, "NCT04280705", "https://a.example:99999/"]


def mutate(value, rng, rate):
    """`value` with some of its leaves, lists and objects replaced by hostile ones."""
    if rng.random() < rate:
        return rng.choice(HOSTILE_LEAVES)
    if isinstance(value, dict):
        mutated = {key: mutate(item, rng, rate) for key, item in value.items()}
        if rng.random() < rate / 2 and mutated:
            mutated.pop(rng.choice(list(mutated)))
        return mutated
    if isinstance(value, list):
        mutated = [mutate(item, rng, rate) for item in value]
        if rng.random() < rate / 2:
            mutated.append(rng.choice(HOSTILE_LEAVES))
        return mutated
    return value


def _check_mention(mention):
    from datetime import datetime

    from trialbuzz.attention.sources.base import KINDS, safe_url

    assert mention.kind in KINDS
    assert mention.url is None or safe_url(mention.url) == mention.url
    for name in ("title", "author", "snippet", "language"):
        value = getattr(mention, name)
        assert value is None or isinstance(value, str)
        if value is not None:
            value.encode("utf-8")  # no lone surrogate can reach a page
    assert mention.published_at is None or (
        isinstance(mention.published_at, datetime) and 1800 <= mention.published_at.year <= 2200)


@fuzz
@given(seed=st.integers(0, 2 ** 32), rate=st.sampled_from([0.05, 0.2, 0.5]))
def test_registry_records_of_any_shape_parse_to_clean_fields(seed, rate):
    import random

    from records import study
    from trialbuzz.registry.ctgov import parse_study

    record = mutate(study(A, references=[
        {"pmid": "33052335", "type": "RESULT", "citation": "Beigel JH. Remdesivir. 2020."}]),
        random.Random(seed), rate)
    fields = parse_study(record)
    for name in ("title", "official_title", "acronym", "status", "study_type", "sponsor"):
        assert fields[name] is None or isinstance(fields[name], str)
    for name in ("phases", "conditions", "aliases"):
        assert all(isinstance(item, str) for item in fields[name])
    assert fields["enrollment"] is None or (isinstance(fields["enrollment"], int)
                                            and not isinstance(fields["enrollment"], bool))
    json.dumps(fields, allow_nan=False).encode("utf-8")


def test_sources_read_mutated_answers_without_failing(make_app, fake):
    """Every source, its upstream answers mutated at random: mentions or a clean error."""
    import random

    import upstreams
    from fakeupstream import Reply
    from records import trial_record
    from trialbuzz.errors import TrialbuzzError

    current = {"seed": 0, "rate": 0.0}

    def mutating(handler):
        def answer(request, **params):
            reply = handler(request, **params)
            body = json.loads(reply.body)
            rng = random.Random(f"{current['seed']}:{request.path}:{sorted(request.query)}")
            return Reply.json(mutate(body, rng, current["rate"]))
        return answer

    altmetric = {"score": 12.5, "cited_by_msm_count": 2, "cited_by_tweeters_count": 10,
                 "details_url": "https://www.altmetric.com/details/1", "altmetric_id": 1}
    for name, handler in (("europepmc", upstreams.europepmc),
                          ("pubmed_search", upstreams.pubmed_search),
                          ("pubmed_summary", upstreams.pubmed_summary),
                          ("wikipedia", upstreams.wikipedia),
                          ("hackernews", upstreams.hackernews), ("gdelt", upstreams.gdelt),
                          ("altmetric", lambda request, **params: Reply.json(altmetric))):
        fake.route(upstreams.ROUTES[name], mutating(handler))
    app = make_app(ALTMETRIC_KEY="fuzz-key", UPSTREAM_RETRIES=0)
    sources = app.extensions["trialbuzz"].harvester.sources
    trial = trial_record(A)
    kept = []

    @settings(max_examples=max(20, EXAMPLES // 5), deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(seed=st.integers(0, 2 ** 32), rate=st.sampled_from([0.05, 0.2, 0.5]))
    def run(seed, rate):
        current.update(seed=seed, rate=rate)
        for source in sources:
            try:
                mentions = source.find(trial)
                summary = source.summary(trial) if hasattr(source, "summary") else None
            except TrialbuzzError:
                continue
            for mention in mentions:
                _check_mention(mention)
            kept.extend(mentions)
            json.dumps(summary, allow_nan=False, default=str).encode("utf-8")

    run()
    assert kept, "no mention survived any mutation: the fake is not reaching the parsers"
