"""Every attention source played by the fake at once, in real shapes, for one trial."""

from fakeupstream import Reply

ROUTES = {
    "ctgov": "/api/v2/studies/{nct_id}",
    "europepmc": "/search",
    "pubmed_search": "/esearch.fcgi",
    "pubmed_summary": "/esummary.fcgi",
    "wikipedia": "/{lang}/w/api.php",
    "hackernews": "/hn/search",
    "gdelt": "/gdelt/doc",
    "reddit": "/reddit/search.json",
    "altmetric": "/nct_id/{nct_id}",
}


def europepmc(request, delay=0):
    """Europe PMC search: one page of results, then an empty page for the next cursor."""
    if request.arg("cursorMark", "*") != "*":
        return Reply.json({"hitCount": 2, "nextCursorMark": "AoIIP4AAACg=",
                           "resultList": {"result": []}}, delay=delay)
    return Reply.json({
        "version": "6.9", "hitCount": 2, "nextCursorMark": "AoIIP4AAACg=",
        "request": {"queryString": request.arg("query"), "cursorMark": "*"},
        "resultList": {"result": [
            {"id": "33052335", "source": "MED", "pmid": "33052335", "pmcid": "PMC7262788",
             "doi": "10.1056/NEJMoa2007764",
             "title": "Remdesivir for the Treatment of Covid-19 - Final Report.",
             "authorString": "Beigel JH, Tomashek KM, Dodd LE.",
             "journalTitle": "N Engl J Med", "pubYear": "2020", "pubType": "journal article",
             "isOpenAccess": "Y", "citedByCount": 5000, "hasTMAccessionNumbers": "Y",
             "firstPublicationDate": "2020-10-08", "firstIndexDate": "2020-10-09"},
            {"id": "PPR123456", "source": "PPR", "doi": "10.1101/2020.05.01.20087106",
             "title": "A preprint about the ACTT-1 trial", "authorString": "Doe J.",
             "journalTitle": "medRxiv", "pubYear": "2020", "pubType": "preprint",
             "isOpenAccess": "Y", "citedByCount": 3, "firstPublicationDate": "2020-05-05"},
        ]}}, delay=delay)


def pubmed_search(request, delay=0):
    """esearch: two PMIDs."""
    return Reply.json({"header": {"type": "esearch", "version": "0.3"}, "esearchresult": {
        "count": "2", "retmax": "2", "retstart": request.arg("retstart", "0"),
        "idlist": ["33052335", "32445440"] if request.arg("retstart", "0") == "0" else [],
        "translationset": [], "querytranslation": request.arg("term")}}, delay=delay)


def pubmed_summary(request, delay=0):
    """esummary for the PMIDs asked."""
    uids = [uid for uid in (request.arg("id") or "").split(",") if uid]
    result = {"uids": uids}
    for uid in uids:
        result[uid] = {
            "uid": uid, "pubdate": "2020 Nov 5", "epubdate": "2020 Oct 8",
            "source": "N Engl J Med", "sortpubdate": "2020/11/05 00:00",
            "authors": [{"name": "Beigel JH", "authtype": "Author"},
                        {"name": "Tomashek KM", "authtype": "Author"}],
            "sortfirstauthor": "Beigel JH", "fulljournalname": "The New England journal of "
                                                               "medicine",
            "title": f"Paper {uid} on remdesivir.", "pubtype": ["Journal Article"],
            "articleids": [{"idtype": "pubmed", "value": uid},
                           {"idtype": "doi", "value": "10.1056/NEJMoa2007764"
                            if uid == "33052335" else f"10.1000/{uid}"}],
        }
    return Reply.json({"header": {"type": "esummary", "version": "0.3"}, "result": result},
                      delay=delay)


def wikipedia(request, lang, delay=0):
    """exturlusage finds one article linking the study; the text search finds the same one."""
    if request.arg("list") == "search":
        return Reply.json({"batchcomplete": True, "query": {
            "searchinfo": {"totalhits": 1}, "search": [
                {"ns": 0, "title": "Remdesivir", "pageid": 63331,
                 "snippet": 'trial <span class="searchmatch">NCT04280705</span> reported',
                 "timestamp": "2026-11-01T10:00:00Z", "size": 1000, "wordcount": 100}]}},
            delay=delay)
    usage = []
    if request.arg("euquery", "").startswith("clinicaltrials.gov/study/"):
        usage = [{"pageid": 63331, "ns": 0, "title": "Remdesivir",
                  "url": "https://" + request.arg("euquery")}]
    return Reply.json({"batchcomplete": True, "query": {"exturlusage": usage}}, delay=delay)


def hackernews(request, delay=0):
    """Algolia HN search: one story and one comment."""
    hits = []
    if "restrictSearchableAttributes" not in request.query:
        hits = [
            {"objectID": "23456789", "title": "NIH trial of remdesivir", "author": "pg",
             "url": "https://clinicaltrials.gov/study/NCT04280705", "points": 120,
             "num_comments": 40, "created_at": "2026-11-20T10:00:00.000Z",
             "created_at_i": 1795168800, "_tags": ["story", "author_pg", "story_23456789"]},
            {"objectID": "23456999", "comment_text": "See NCT04280705 for the protocol",
             "author": "dang", "story_id": 23456789, "story_title": "NIH trial of remdesivir",
             "parent_id": 23456789, "created_at": "2026-11-21T10:00:00.000Z",
             "created_at_i": 1795255200, "_tags": ["comment", "author_dang", "story_23456789"]},
        ]
    return Reply.json({"hits": hits, "nbHits": len(hits), "page": 0, "nbPages": 1,
                       "hitsPerPage": 100, "processingTimeMS": 1, "query": request.arg("query"),
                       "params": ""}, delay=delay)


def reddit_post(post_id, title, *, created=1795341600.0, subreddit="medicine", author="a_doctor",
                url=None, selftext="", score=42, num_comments=7):
    """One `t3` child of a Reddit listing, in the shape Reddit sends (raw_json=1)."""
    permalink = f"/r/{subreddit}/comments/{post_id}/{title.lower().replace(' ', '_')[:40]}/"
    return {"kind": "t3", "data": {
        "approved_at_utc": None, "subreddit": subreddit, "selftext": selftext,
        "author_fullname": "t2_abc12", "saved": False, "gilded": 0, "clicked": False,
        "title": title, "subreddit_name_prefixed": f"r/{subreddit}", "hidden": False,
        "downs": 0, "name": f"t3_{post_id}", "upvote_ratio": 0.93, "ups": score,
        "score": score, "is_self": url is None, "created": created,
        "domain": "self." + subreddit if url is None else "clinicaltrials.gov",
        "selftext_html": None, "id": post_id, "author": author,
        "num_comments": num_comments, "permalink": permalink,
        "url": url or "https://www.reddit.com" + permalink, "created_utc": created,
        "subreddit_id": "t5_2qh1p", "over_18": False, "stickied": False,
        "num_crossposts": 0, "is_video": False}}


def reddit_listing(children, after=None):
    """A Reddit Listing around `children`."""
    return {"kind": "Listing", "data": {"after": after, "dist": len(children),
                                        "modhash": "", "geo_filter": "",
                                        "children": children, "before": None}}


def reddit(request, delay=0):
    """Reddit search: one loose match, a post about remdesivir that names no trial (Reddit's
    search matches loosely, and the source keeps only posts naming the ID); the posts that do
    name it are in tests/test_source_reddit.py."""
    children = [reddit_post("1abc2de", "Remdesivir approved for hospitalised patients",
                            url="https://www.nejm.org/doi/full/10.1056/NEJMoa2007764",
                            score=120, num_comments=40, created=1795082400.0)]
    return Reply.json(reddit_listing(children), delay=delay)


def reddit_naming(request, delay=0):
    """Reddit search finding the trial: a link post to its study page and a text post naming
    it, by a deleted author (for tests that want Reddit to find something)."""
    children = []
    if "NCT04280705" in request.arg("q", "") and not request.arg("q", "").startswith("url:"):
        children = [
            reddit_post("1abc2de", "NIH starts remdesivir trial",
                        url="https://clinicaltrials.gov/study/NCT04280705", score=120,
                        num_comments=40, created=1795082400.0),
            reddit_post("1abc3fg", "Anyone enrolled in NCT04280705?", subreddit="COVID19",
                        author="[deleted]", created=1795086000.0,
                        selftext="Looking for people in **NCT04280705** & others."),
        ]
    return Reply.json(reddit_listing(children), delay=delay)


def gdelt(request, delay=0):
    """GDELT artlist: one news article."""
    return Reply.json({"articles": [
        {"url": "https://news.example.org/2026/11/remdesivir-trial", "url_mobile": "",
         "title": "Remdesivir trial results discussed", "seendate": "20261122T080000Z",
         "socialimage": "", "domain": "news.example.org", "language": "English",
         "sourcecountry": "United States"}]}, delay=delay)


def install(fake, delay=0.0):
    """Route every source of the fake to its real-shaped answer, each `delay` seconds late."""
    def late(handler):
        return lambda request, **params: handler(request, delay=delay, **params)

    fake.route(ROUTES["europepmc"], late(europepmc))
    fake.route(ROUTES["pubmed_search"], late(pubmed_search))
    fake.route(ROUTES["pubmed_summary"], late(pubmed_summary))
    fake.route(ROUTES["wikipedia"], late(wikipedia))
    fake.route(ROUTES["hackernews"], late(hackernews))
    fake.route(ROUTES["gdelt"], late(gdelt))
    fake.route(ROUTES["reddit"], late(reddit))
    fake.route(ROUTES["altmetric"], Reply.text("Not Found", 404))
