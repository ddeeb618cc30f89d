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
    "bluesky_session": "/xrpc/com.atproto.server.createSession",
    "bluesky_search": "/xrpc/app.bsky.feed.searchPosts",
    "feed_news": "/feeds/news.rss",
    "feed_blog": "/feeds/blog.atom",
    "crossref": "/crossref/works",
    "mastodon": "/mastodon/api/v2/search",
    "openalex": "/openalex/works",
}
# The account Bluesky's search logs in with, and the token its log-in hands out.
BLUESKY_ACCOUNT = {"BLUESKY_HANDLE": "trialbuzz.example.org",
                   "BLUESKY_APP_PASSWORD": "abcd-efgh-ijkl-mnop"}
BLUESKY_TOKEN = "eyJhbGciOiJFUzI1NksifQ.session.one"
# The validators the fake feeds send, and answer 304 to when they come back.
FEED_ETAG = '"5f3a-6d1b9c0e"'
FEED_MODIFIED = "Mon, 30 Nov 2026 14:05:11 GMT"


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


def bluesky_session(request, delay=0):
    """createSession: the account's tokens (real shape, shortened)."""
    return Reply.json({"did": "did:plc:z72i7hdynmk6r22z27h6tvur",
                       "handle": BLUESKY_ACCOUNT["BLUESKY_HANDLE"], "accessJwt": BLUESKY_TOKEN,
                       "refreshJwt": "eyJhbGciOiJFUzI1NksifQ.refresh.one", "active": True},
                      delay=delay)


def post_view(did, handle, rkey, text, indexed_at="2026-11-23T09:00:00.000Z", facets=None,
              embed=None):
    """A search result (postView) as searchPosts answers it."""
    record = {"$type": "app.bsky.feed.post", "createdAt": indexed_at, "langs": ["en"],
              "text": text}
    if facets:
        record["facets"] = facets
    if embed:
        record["embed"] = embed
    return {"uri": f"at://{did}/app.bsky.feed.post/{rkey}",
            "cid": "bafyreiaicb72bvulmvdafwzock4lsvarcx4bp54u4dri4jcrkjly5o5dla",
            "author": {"did": did, "handle": handle, "displayName": handle.split(".")[0],
                       "labels": [], "createdAt": "2023-07-29T01:17:56.883Z"},
            "record": record, "replyCount": 1, "repostCount": 2, "likeCount": 9,
            "quoteCount": 0, "indexedAt": indexed_at, "labels": []}


def bluesky_search(request, delay=0):
    """searchPosts: one post naming the trial in its text, for the ID's search only."""
    if request.headers.get("Authorization") != f"Bearer {BLUESKY_TOKEN}":
        return Reply.json({"error": "AuthenticationRequired",
                           "message": "Authentication Required"}, 401)
    posts = []
    if request.arg("q") == "NCT04280705":
        posts = [post_view("did:plc:niay7ajcptgklwrhknvnhk44", "theferrarilab.bsky.social",
                           "3lhjnkjle5s2o", "Remdesivir results: NCT04280705 is out")]
    return Reply.json({"posts": posts}, delay=delay)
def feed_list(base_url):
    """The operator's feed list (TOML) naming the fake's two feeds."""
    news, blog = base_url + ROUTES["feed_news"], base_url + ROUTES["feed_blog"]
    return (f'[[feed]]\nname = "Health news example"\nkind = "news"\n'
            f'url = "{news}"\n\n'
            f'[[feed]]\nname = "A medical blog"\nkind = "blog"\n'
            f'url = "{blog}"\n')


NEWS_RSS = """<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"
	xmlns:content="http://purl.org/rss/1.0/modules/content/"
	xmlns:wfw="http://wellformedweb.org/CommentAPI/"
	xmlns:dc="http://purl.org/dc/elements/1.1/"
	xmlns:atom="http://www.w3.org/2005/Atom"
	xmlns:sy="http://purl.org/rss/1.0/modules/syndication/"
	xmlns:slash="http://purl.org/rss/1.0/modules/slash/"
	>

<channel>
	<title>Health News Example</title>
	<atom:link href="https://news.example.org/feed/" rel="self" type="application/rss+xml" />
	<link>https://news.example.org</link>
	<description>Reporting on health, medicine and the life sciences</description>
	<lastBuildDate>Mon, 30 Nov 2026 14:05:11 +0000</lastBuildDate>
	<language>en-US</language>
	<sy:updatePeriod>
	hourly	</sy:updatePeriod>
	<sy:updateFrequency>
	1	</sy:updateFrequency>
	<generator>https://wordpress.org/?v=6.7.1</generator>
	<item>
		<title>Remdesivir trial&#8217;s final results hold up on a second look</title>
		<link>https://news.example.org/2026/11/30/remdesivir-actt-final-results/</link>
		<comments>https://news.example.org/2026/11/30/remdesivir-actt-final-results/#respond</comments>
		<dc:creator><![CDATA[Jane Reporter]]></dc:creator>
		<pubDate>Mon, 30 Nov 2026 13:00:00 +0000</pubDate>
		<category><![CDATA[Pharma]]></category>
		<guid isPermaLink="false">https://news.example.org/?p=912345</guid>
		<description><![CDATA[<p>A re-analysis of the ACTT-1 trial finds the recovery benefit intact.</p>
<p>The post <a href="https://news.example.org/2026/11/30/remdesivir-actt-final-results/">Remdesivir trial&#8217;s final results hold up on a second look</a> appeared first on <a href="https://news.example.org">Health News Example</a>.</p>
]]></description>
		<content:encoded><![CDATA[<p>The trial, registered as <a href="https://clinicaltrials.gov/study/NCT04280705">NCT04280705</a>, enrolled 1,062 patients.</p>
]]></content:encoded>
		<wfw:commentRss>https://news.example.org/2026/11/30/remdesivir-actt-final-results/feed/</wfw:commentRss>
		<slash:comments>0</slash:comments>
	</item>
	<item>
		<title>An old interferon study resurfaces</title>
		<link>https://news.example.org/2026/11/29/interferon-study/</link>
		<dc:creator><![CDATA[Sam Writer]]></dc:creator>
		<pubDate>Sun, 29 Nov 2026 08:15:00 +0000</pubDate>
		<guid isPermaLink="false">https://news.example.org/?p=912300</guid>
		<description><![CDATA[<p>Its <a href="http://www.clinicaltrials.gov/ct2/show/NCT00010647?term=interferon">registry record</a> is twenty-five years old.</p>]]></description>
	</item>
	<item>
		<title>Hospital budgets under strain</title>
		<link>https://news.example.org/2026/11/28/hospital-budgets/</link>
		<dc:creator><![CDATA[Jane Reporter]]></dc:creator>
		<pubDate>Sat, 28 Nov 2026 10:00:00 +0000</pubDate>
		<guid isPermaLink="false">https://news.example.org/?p=912200</guid>
		<description><![CDATA[<p>No trial is named here.</p>]]></description>
	</item>
	</channel>
</rss>
"""

BLOG_ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">
  <title type="text">A Medical Blog</title>
  <subtitle type="text">Notes on evidence</subtitle>
  <id>tag:blog.example.org,2026:feed</id>
  <updated>2026-11-28T09:30:00Z</updated>
  <link rel="alternate" type="text/html" href="https://blog.example.org/"/>
  <link rel="self" type="application/atom+xml" href="https://blog.example.org/feed.atom"/>
  <generator uri="https://gohugo.io/">Hugo</generator>
  <entry>
    <title type="html">Why &lt;em&gt;ACTT-1&lt;/em&gt; still matters</title>
    <id>tag:blog.example.org,2026:post-77</id>
    <link rel="alternate" type="text/html" href="https://blog.example.org/2026/11/why-actt-matters/"/>
    <published>2026-11-28T09:30:00Z</published>
    <updated>2026-11-28T10:00:00Z</updated>
    <author><name>Dr. Blogger</name><uri>https://blog.example.org/about/</uri></author>
    <summary type="html">&lt;p&gt;See &lt;a href="https://classic.clinicaltrials.gov/ct2/show/NCT04280705"&gt;the record&lt;/a&gt; first.&lt;/p&gt;</summary>
  </entry>
</feed>
"""


def feed_reply(body, content_type, request, delay=0, etag=FEED_ETAG, modified=FEED_MODIFIED):
    """A feed with its validators; 304 (no body) when the request sends them back."""
    headers = {"ETag": etag, "Last-Modified": modified}
    if request.headers.get("If-None-Match") == etag or (
            "If-None-Match" not in request.headers
            and request.headers.get("If-Modified-Since") == modified):
        return Reply(304, headers=headers, delay=delay)
    return Reply.text(body, content_type=content_type, headers=headers, delay=delay)


def news_feed(request, delay=0):
    """A news site's RSS 2.0 feed (WordPress's shape): two entries naming studies."""
    return feed_reply(NEWS_RSS, "application/rss+xml", request, delay)


def blog_feed(request, delay=0):
    """A blog's Atom feed: one entry linking a study's classic page."""
    return feed_reply(BLOG_ATOM, "application/atom+xml", request, delay)
def crossref_work(doi, *numbers, **fields):
    """A Crossref work (the fields of /works items) declaring the clinical trial `numbers`."""
    return {
        "DOI": doi, "type": "journal-article", "prefix": doi.split("/")[0],
        "title": [f"Paper {doi}"], "container-title": ["The New England Journal of Medicine"],
        "author": [{"given": "John H.", "family": "Beigel", "sequence": "first",
                    "affiliation": []},
                   {"given": "Kay M.", "family": "Tomashek", "sequence": "additional",
                    "affiliation": []}],
        "published-online": {"date-parts": [[2020, 10, 8]]},
        "published-print": {"date-parts": [[2020, 11, 5]]},
        "issued": {"date-parts": [[2020, 10, 8]]},
        "indexed": {"date-parts": [[2026, 11, 2]], "date-time": "2026-11-02T04:05:06Z",
                    "timestamp": 1793592306000},
        "clinical-trial-number": [{"clinical-trial-number": number,
                                   "registry": "10.18810/clinical-trials-gov"}
                                  for number in numbers],
        "URL": f"https://doi.org/{doi}", **fields,
    }


def crossref_list(items, cursor="DnF1ZXJ5VGhlbkZldGNo", total=None):
    """A Crossref /works answer holding `items`."""
    return {"status": "ok", "message-type": "work-list", "message-version": "1.0.0",
            "message": {"facets": {}, "next-cursor": cursor,
                        "total-results": len(items) if total is None else total,
                        "items": items, "items-per-page": 1000,
                        "query": {"start-index": 0, "search-terms": None}}}


def crossref(request, delay=0):
    """Crossref works of one trial: the NEJM paper, as its publisher deposited it."""
    wanted = (request.arg("filter") or "").removeprefix("clinical-trial-number:")
    items = [crossref_work("10.1056/NEJMoa2007764", wanted,
                           title=["Remdesivir for the Treatment of Covid-19 \u2014 Final Report"])]
    return Reply.json(crossref_list(items if request.arg("cursor") == "*" else []), delay=delay)


def mastodon(request, delay=0):
    """A Mastodon instance's v2 search: one public status naming the trial."""
    statuses = []
    if request.arg("q") == "NCT04280705":
        statuses = [{
            "id": "103270115826048975", "created_at": "2026-11-20T03:48:33.901Z",
            "in_reply_to_id": None, "sensitive": False, "spoiler_text": "",
            "visibility": "public", "language": "en",
            "uri": "https://mastodon.example/users/someone/statuses/103270115826048975",
            "url": "https://mastodon.example/@someone/103270115826048975",
            "replies_count": 5, "reblogs_count": 6, "favourites_count": 11,
            "content": "<p>Results of NCT04280705 are out</p>", "reblog": None,
            "account": {"id": "1", "username": "someone", "acct": "someone@mastodon.example",
                        "display_name": "Some One", "url": "https://mastodon.example/@someone"},
            "media_attachments": [], "mentions": [], "tags": [], "emojis": [], "card": None,
            "poll": None}]
    return Reply.json({"accounts": [], "statuses": statuses, "hashtags": []}, delay=delay)


def openalex(request, delay=0):
    """OpenAlex /works search: one work, the trial's results paper."""
    work = {"id": "https://openalex.org/W3000000001",
            "doi": "https://doi.org/10.1056/NEJMoa2007764",
            "title": "Remdesivir for the Treatment of Covid-19 — Final Report",
            "display_name": "Remdesivir for the Treatment of Covid-19 — Final Report",
            "publication_date": "2020-10-08",
            "primary_location": {
                "is_oa": True, "landing_page_url": "https://www.nejm.org/doi/10.1056/NEJMoa2007764",
                "pdf_url": None, "source": None},
            "ids": {"openalex": "https://openalex.org/W3000000001",
                    "doi": "https://doi.org/10.1056/NEJMoa2007764",
                    "pmid": "https://pubmed.ncbi.nlm.nih.gov/32445440"}}
    return Reply.json({"meta": {"count": 1, "db_response_time_ms": 20, "page": None,
                                "per_page": 100, "next_cursor": None, "groups_count": None},
                       "results": [work], "group_by": []}, delay=delay)


# The real-shaped answer of each route (Altmetric, keyless, answers 404).
ANSWERS = {"europepmc": europepmc, "pubmed_search": pubmed_search,
           "pubmed_summary": pubmed_summary, "wikipedia": wikipedia, "hackernews": hackernews,
           "gdelt": gdelt, "bluesky_session": bluesky_session, "bluesky_search": bluesky_search,
           "crossref": crossref, "mastodon": mastodon, "openalex": openalex, "reddit": reddit,
           "feed_news": news_feed, "feed_blog": blog_feed}


def install(fake, delay=0.0):
    """Route every source of the fake to its real-shaped answer, each `delay` seconds late."""
    def late(handler):
        return lambda request, **params: handler(request, delay=delay, **params)

    for name, handler in ANSWERS.items():
        fake.route(ROUTES[name], late(handler))
    fake.route(ROUTES["altmetric"], Reply.text("Not Found", 404))
