"""A corpus of hostile strings, and a fake upstream that serves them from every source."""

import json

from fakeupstream import Reply
from records import study

# Each payload, if it ever ran, would call alert() or leave an element with id "xss-marker".
PAYLOADS = [
    '<script>alert("xss-1")</script>',
    '<img src=x onerror=alert("xss-2") id=xss-marker>',
    '"><svg onload=alert("xss-3")>',
    "' onmouseover='alert(\"xss-4\")' x='",
    '</title><script>alert("xss-5")</script>',
    "{{7*7}} ${7*7} <%= 7*7 %>",
    "<iframe src=\"javascript:alert('xss-7')\"></iframe>",
    ']]><script>alert("xss-8")</script><![CDATA[',
    '=HYPERLINK("http://evil.example/","xss-9")',
    "<a href=\"javascript:alert('xss-10')\" id=xss-marker>click</a>",
    "<style>*{display:none!important}</style>",
    '<math><mtext><table><mglyph><style><img src=x onerror=alert("xss-12")>',
    '%3Cscript%3Ealert("xss-13")%3C/script%3E',
    '<details open ontoggle=alert("xss-14")>',
    "\u202egnp.exe<b>xss-15</b>",
    "<object data=\"data:text/html,<script>alert('xss-16')</script>\"></object>",
    "+cmd|' /C calc'!A0",
]
HOSTILE_URLS = [
    "javascript:alert('xss-url-1')",
    " JaVaScRiPt:alert('xss-url-2')",
    "data:text/html,<script>alert('xss-url-3')</script>",
    "vbscript:msgbox('xss-url-4')",
    "https://example.org/\"><script>alert('xss-url-5')</script>",
]


def hostile_study(nct_id="NCT04280705"):
    """A registry record whose every free-text field is a payload."""
    record = study(nct_id, title=PAYLOADS[1], acronym=PAYLOADS[2])
    protocol = record["protocolSection"]
    protocol["sponsorCollaboratorsModule"]["leadSponsor"]["name"] = PAYLOADS[3]
    protocol["conditionsModule"]["conditions"] = PAYLOADS[4:7]
    protocol["referencesModule"] = {
        "references": [{"pmid": "33052335", "type": "RESULT", "citation": PAYLOADS[7]}],
        "seeAlsoLinks": [{"label": PAYLOADS[0], "url": url} for url in HOSTILE_URLS]}
    return record


def _hn(request):
    hits = []
    for n, payload in enumerate(PAYLOADS):
        hits.append({"objectID": str(1000 + n), "title": payload, "author": PAYLOADS[-n - 1],
                     "url": HOSTILE_URLS[n % len(HOSTILE_URLS)], "points": 1,
                     "num_comments": 0, "created_at_i": 1795168800 + n,
                     "comment_text": payload, "_tags": ["story"]})
    if "restrictSearchableAttributes" in request.query:
        hits = []
    return Reply.json({"hits": hits, "nbHits": len(hits), "page": 0, "nbPages": 1})


def _gdelt(request):
    articles = [{"url": f"https://news.example.org/{n}?q={json.dumps(p)[:40]}", "title": p,
                 "seendate": "20261122T080000Z", "domain": PAYLOADS[-n - 1],
                 "language": "English"} for n, p in enumerate(PAYLOADS)]
    articles += [{"url": url, "title": "hostile link", "seendate": "20261122T080000Z",
                  "domain": "evil.example"} for url in HOSTILE_URLS]
    return Reply.json({"articles": articles})


def _europepmc(request):
    if request.arg("cursorMark", "*") != "*":
        return Reply.json({"hitCount": 1, "resultList": {"result": []}})
    return Reply.json({"hitCount": 1, "nextCursorMark": "x", "resultList": {"result": [
        {"id": "1", "source": "MED", "pmid": "1", "title": PAYLOADS[0],
         "authorString": PAYLOADS[1], "journalTitle": PAYLOADS[2], "pubYear": "2026",
         "firstPublicationDate": "2026-11-01"}]}})


def _wikipedia(request, lang):
    if request.arg("list") == "search":
        return Reply.json({"query": {"search": [
            {"ns": 0, "title": PAYLOADS[5], "pageid": 1, "snippet": PAYLOADS[6],
             "timestamp": "2026-11-01T00:00:00Z"}]}})
    return Reply.json({"query": {"exturlusage": []}})


def _reddit_listing(children):
    return Reply.json({"kind": "Listing", "data": {"after": None, "dist": len(children),
                                                   "children": children, "before": None}})


def _reddit(request):
    if request.arg("q", "").startswith("url:"):
        return _reddit_listing([])
    return _reddit_listing([{"kind": "t3", "data": {
        "id": f"1x{n:03d}", "title": f"{payload} NCT04280705", "selftext": payload,
        "subreddit": PAYLOADS[-n - 1], "author": payload,
        "permalink": f"/r/{PAYLOADS[n]}/comments/1x{n:03d}/{payload}/",
        "url": HOSTILE_URLS[n % len(HOSTILE_URLS)], "is_self": False, "score": 1,
        "num_comments": 0, "created_utc": 1795168800 + n}} for n, payload in enumerate(PAYLOADS)])


def install(fake, ctgov):
    """Make the fake serve payloads from the registry and every source."""
    ctgov.add(hostile_study())
    _route_sources(fake, _hn, _gdelt, _europepmc, _wikipedia, _reddit,
                   altmetric=Reply.text("Not Found", 404))


def _route_sources(fake, hn, gdelt, europepmc, wikipedia, reddit, altmetric):
    """Every source's route on the fake, PubMed finding nothing."""
    fake.route("/reddit/search.json", reddit)
    fake.route("/hn/search", hn)
    fake.route("/gdelt/doc", gdelt)
    fake.route("/search", europepmc)
    fake.route("/{lang}/w/api.php", wikipedia)
    fake.route("/esearch.fcgi", Reply.json({"esearchresult": {"count": "0", "idlist": []}}))
    fake.route("/nct_id/{nct_id}", altmetric)


# Values of the wrong type or shape, each beside a good item of the same source.
GOOD_TITLE = "Remdesivir trial discussed"
BAD_URL = "http://[x/"


def hostile_values_study(nct_id="NCT04280705"):
    """A registry record with numbers, lists, dicts and lone surrogates where text belongs."""
    record = study(nct_id, title=12345, acronym=["ACTT"], status={"deep": [1]})
    protocol = record["protocolSection"]
    protocol["identificationModule"]["officialTitle"] = "Official \ud800 title"
    protocol["sponsorCollaboratorsModule"]["leadSponsor"]["name"] = "Sponsor \udfff"
    protocol["designModule"]["enrollmentInfo"]["count"] = 1e999
    protocol["designModule"]["phases"] = ["PHASE3", 7, None]
    protocol["conditionsModule"]["conditions"] = "COVID-19"
    protocol["statusModule"]["startDateStruct"] = {"date": ["2020"]}
    protocol["referencesModule"] = {
        "references": [{"pmid": "33052335", "type": "RESULT", "citation": "Good \ud800 paper"},
                       {"pmid": 1, "type": ["RESULT"], "citation": {"a": 1}}, 5],
        "seeAlsoLinks": [{"label": "bad", "url": BAD_URL}]}
    return record


def _hn_values(request):
    hits = []
    if "restrictSearchableAttributes" not in request.query:
        hits = [{"objectID": "1", "title": GOOD_TITLE, "created_at_i": 1795168800,
                 "_tags": ["story"]},
                {"objectID": "2", "title": "\ud800", "author": {"a": 1}, "url": BAD_URL,
                 "created_at_i": 1e20, "points": 1e999, "_tags": "story"},
                {"objectID": "3", "title": 12345, "created_at": "9999-12-31T23:59:59-05:00",
                 "comment_text": "<" * 20000},
                {"objectID": {"a": 1}}, 5]
    # A number too large for a float, which a lenient encoder would send back as Infinity.
    body = json.dumps({"hits": hits, "nbPages": 1}).replace("Infinity", "1e999")
    return Reply(200, body, {"Content-Type": "application/json"})


def _gdelt_values(request):
    return Reply.json({"articles": [
        {"url": "https://news.example.org/good", "title": GOOD_TITLE,
         "seendate": "20261122T080000Z", "domain": "news.example.org"},
        {"url": "https://news.example.org/odd", "title": ["x"], "seendate": "0000-00-00",
         "domain": "\ud800", "language": {"a": 1}},
        {"url": BAD_URL, "title": "unparseable link"}]})


def _europepmc_values(request):
    if request.arg("cursorMark", "*") != "*" or "ACCESSION" in request.arg("query"):
        return Reply.json({"hitCount": 0, "resultList": {"result": []}})
    return Reply.json({"hitCount": 2, "resultList": {"result": [
        {"id": "1", "source": "MED", "title": GOOD_TITLE, "pubYear": "2026",
         "firstPublicationDate": "2026-11-01", "citedByCount": 3},
        {"id": "2", "source": "MED", "title": 7, "authorString": "\ud800",
         "firstPublicationDate": "9999-12-31T23:59:59-05:00", "pubYear": {"y": 1},
         "citedByCount": float("nan")}]}})


def _wikipedia_values(request, lang):
    if request.arg("list") == "search":
        return Reply.json({"query": {"search": [
            {"pageid": 1, "title": GOOD_TITLE, "timestamp": "2026-11-01T00:00:00Z"},
            {"pageid": 2, "title": "Bad \ud800 page", "snippet": ["x"], "timestamp": 1e20},
            {"pageid": "x"}]}})
    return Reply.json({"query": {"exturlusage": []}})


def _reddit_values(request):
    if request.arg("q", "").startswith("url:"):
        return _reddit_listing([])
    body = json.dumps({"kind": "Listing", "data": {"after": None, "children": [
        {"kind": "t3", "data": {"id": "1good", "title": GOOD_TITLE,
                                "selftext": "See NCT04280705.", "subreddit": "medicine", "author": "someone",
                                "permalink": "/r/medicine/comments/1good/post/",
                                "created_utc": 1795168800}},
        {"kind": "t3", "data": {"id": "1odd", "title": "\ud800 NCT04280705",
                                "selftext": ["x"], "subreddit": {"a": 1}, "author": 12,
                                "permalink": 5, "url": BAD_URL, "score": 1e999,
                                "num_comments": "7", "created_utc": 1e20}},
        {"kind": "t3", "data": {"id": {"a": 1}, "title": "NCT04280705"}},
        {"kind": "t3", "data": "NCT04280705"}, 5]}}).replace("Infinity", "1e999")
    return Reply(200, body, {"Content-Type": "application/json"})


# What each source skips of the answers above: the items without a usable identity.
SKIPPED = {"ctgov": 1, "hackernews": 2, "gdelt": 1, "europepmc": 0, "wikipedia": 1,
           "pubmed": 0, "reddit": 3}


def install_values(fake, ctgov):
    """Make the fake serve values of the wrong type or shape from the registry and every source;
    Altmetric (when a key is set) scores the trial 1e999."""
    ctgov.add(hostile_values_study())
    _route_sources(fake, _hn_values, _gdelt_values, _europepmc_values, _wikipedia_values,
                   _reddit_values, altmetric=Reply(
                       200, '{"score": 1e999, "cited_by_msm_count": NaN, '
                            '"cited_by_posts_count": "3", "details_url": "http://[x/", '
                            '"altmetric_id": [1]}',
                       {"Content-Type": "application/json"}))
