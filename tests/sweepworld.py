"""A world of mentions played by the fake upstream in real shapes, for sweeps and per-trial
searches alike: Wikipedia's external links, Hacker News items, Reddit posts, Europe PMC articles
with their text-mined accessions, PubMed records with their databank fields, and registry
studies.

Every answer comes from the same corpus, so a per-trial harvest and a sweep find the same items
under the same keys. The bulk endpoints page as the real ones do (eucontinue, cursorMark,
pageToken, retstart, after) and keep their caps (Algolia's 1,000 hits, esearch's 9,999 IDs,
a Reddit listing's 1,000 items); any route
can be made to fail for its next calls (`fail`). `per_trial` counts calls to the per-trial
endpoints, `bulk` those of the sweeps.
"""

import base64
import json
import math
import random
import re
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from xml.sax.saxutils import escape

from fakeupstream import Reply
from records import study

NCT = re.compile(r"NCT[0-9]{8}")
# The news and blog feeds of this world name no study.
EMPTY_FEED = ('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
              "<title>Quiet feed</title><link>https://quiet.example.org/</link>"
              "<description>Nothing about trials</description></channel></rss>")
HN_CAP = 1000
REDDIT_CAP = 1000
# The entries a feed holds (WordPress's default is 10).
FEED_ENTRIES = 20
ESEARCH_CAP = 9999


def nct(number):
    """The NCT ID of a number."""
    return f"NCT{number:08d}"


def unix(moment):
    return int(moment.timestamp())


class World:
    """A corpus of mentions of trials, and the fake upstream's answers from it."""

    def __init__(self, now=None, seed=7):
        self.now = now or datetime(2026, 12, 5, 12, 0, tzinfo=timezone.utc)
        self.random = random.Random(seed)
        self.wiki = {}          # lang -> [{"pageid", "title", "url"}]
        self.hn = []            # Algolia hits
        self.reddit = []        # the data of Reddit's t3 listing children
        self.articles = []      # Europe PMC core results + "_ids", "_indexed", "_annotated"
        self.pubmed = []        # {"pmid", "title", "abstract", "banks", "edat", "mhda"}
        self.crossref = []      # Crossref works + "_indexed" (the day Crossref indexed them)
        self.feeds = {}         # a feed's file name -> its entries, newest first
        self.studies = {}       # nct_id -> (v2 record, last update posted date)
        self.failures = {}      # route key -> [Reply, ...] served before the corpus answers
        self.per_trial = Counter()
        self.fetched = []       # IDs of the registry records fetched one by one
        self.aliases = {}       # an obsolete ID -> the study the registry redirects it to
        self.bulk = Counter()
        self.queries = []       # (route key, query parameters) of every bulk call

    # --- building the corpus ----------------------------------------------------------------

    def add_study(self, nct_id, updated, **kwargs):
        """A registry study last updated (posted) on `updated` (a date)."""
        record = study(nct_id, title=kwargs.pop("title", f"Study {nct_id}"), **kwargs)
        record["protocolSection"]["statusModule"]["lastUpdatePostDateStruct"] = {
            "date": updated.isoformat(), "type": "ACTUAL"}
        self.studies[nct_id] = (record, updated)
        return record

    def add_wiki_link(self, lang, pageid, title, url):
        self.wiki.setdefault(lang, []).append({"pageid": pageid, "ns": 0, "title": title,
                                               "url": url})

    def add_hn(self, object_id, created, *, story=True, url=None, text=None, title=None):
        """A story (with a link or text) or a comment created at `created`."""
        hit = {"objectID": str(object_id), "author": f"user{object_id % 97}",
               "created_at": created.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
               "created_at_i": unix(created), "_tags": ["story" if story else "comment",
                                                        f"story_{object_id}"]}
        if story:
            hit.update(title=title or f"Story {object_id}", url=url, story_text=text,
                       points=10 + object_id % 300, num_comments=object_id % 40)
        else:
            hit.update(comment_text=text, story_id=object_id - 1,
                       story_title=title or f"Story {object_id - 1}", parent_id=object_id - 1)
        self.hn.append(hit)
        return hit

    def add_reddit(self, post_id, created, *, url=None, text="", title=None,
                   subreddit="medicine"):
        """A Reddit post created at `created`: a link post to `url`, else a text post."""
        title = title or f"Post {post_id}"
        permalink = f"/r/{subreddit}/comments/{post_id}/post_{post_id}/"
        post = {"id": post_id, "name": f"t3_{post_id}", "title": title, "selftext": text,
                "subreddit": subreddit, "author": f"user_{post_id}", "score": len(post_id),
                "num_comments": 3, "permalink": permalink, "is_self": url is None,
                "url": url or "https://www.reddit.com" + permalink,
                "domain": re.sub(r"^https?://(www\.)?([^/]+).*", r"\2", url)
                if url else "self." + subreddit,
                "created_utc": float(unix(created)), "created": float(unix(created))}
        self.reddit.append(post)
        return post

    def add_article(self, ident, indexed, ids, *, in_abstract=(), source="MED", title=None):
        """A Europe PMC record indexed on `indexed` whose text names `ids` (annotated), of
        which `in_abstract` also appear in its abstract."""
        article = {
            "id": str(ident), "source": source, "pmid": str(ident) if source == "MED" else None,
            "doi": f"10.1000/epmc.{ident}", "title": title or f"Article {ident}",
            "authorString": "Doe J, Roe R.", "journalTitle": "J Trials", "pubYear": "2025",
            "pubType": "journal article", "isOpenAccess": "Y", "citedByCount": ident % 50,
            "hasTMAccessionNumbers": "Y", "firstIndexDate": indexed.isoformat(),
            "firstPublicationDate": "2025-06-01",
            "abstractText": "Background. " + " ".join(f"Registered as {i}." for i in in_abstract),
            "_ids": list(ids), "_indexed": indexed,
        }
        self.articles.append(article)
        return article

    def add_pubmed(self, pmid, edat, ids, *, mhda=None, in_abstract=(), title=None):
        """A PubMed record entered on `edat` whose databank field names `ids` from `mhda`."""
        self.pubmed.append({"pmid": str(pmid), "title": title or f"Paper {pmid}",
                            "abstract": " ".join(f"Trial {i}." for i in in_abstract),
                            "banks": list(ids), "edat": edat, "mhda": mhda or edat})

    def add_crossref(self, doi, indexed, numbers):
        """A Crossref work indexed on `indexed` declaring `numbers` ((number, registry) pairs)."""
        self.crossref.append({
            "DOI": doi, "type": "journal-article", "title": [f"Work {doi}"],
            "container-title": ["Trials"], "issued": {"date-parts": [[indexed.year]]},
            "clinical-trial-number": [{"clinical-trial-number": number, "registry": registry}
                                      for number, registry in numbers],
            "_indexed": indexed})

    def add_feed_entry(self, feed, serial, published, ids):
        """An entry of the feed `feed` (its file name under /feeds/) naming `ids`, newest first;
        a feed holds its latest FEED_ENTRIES entries."""
        entries = self.feeds.setdefault(feed, [])
        entries.insert(0, {"serial": serial, "published": published, "ids": list(ids)})
        del entries[FEED_ENTRIES:]

    def fail(self, key, *replies):
        """Serve `replies` to the next calls of route `key` before answering from the corpus
        (a None among them: that call is answered from the corpus)."""
        self.failures.setdefault(key, []).extend(replies)

    def _asked(self, source, bulk, query=None, failure=None):
        """Count a call of `source`, a sweep's (`bulk`) or a trial's, keep a sweep's `query`
        when given, and return the failure queued under `failure` (the source's own by
        default), or None."""
        (self.bulk if bulk else self.per_trial)[source] += 1
        if bulk and query is not None:
            self.queries.append((source, query))
        queue = self.failures.get(failure or source)
        return queue.pop(0) if queue else None

    # --- the routes --------------------------------------------------------------------------

    def install(self, fake):
        """Route every source of `fake` to this world (per-trial and bulk endpoints)."""
        fake.route("/api/v2/studies", self._ctgov_listing)
        fake.route("/api/v2/studies/{nct_id}", self._ctgov_study)
        fake.route("/{lang}/w/api.php", self._wikipedia)
        fake.route("/hn/search_by_date", self._hn_by_date)
        fake.route("/hn/search", self._hn_search)
        fake.route("/reddit/domain/{domain}/new.json", self._reddit_domain)
        fake.route("/reddit/search.json", self._reddit_search)
        fake.route("/search", self._epmc_search)
        fake.route("/annotations_api/annotationsByArticleIds", self._epmc_annotations)
        fake.route("/esearch.fcgi", self._esearch)
        fake.route("/efetch.fcgi", self._efetch)
        fake.route("/esummary.fcgi", self._esummary)
        fake.route("/gdelt/doc", lambda request: Reply.json({"articles": []}))
        fake.route("/crossref/works", self._crossref)
        fake.route("/nct_id/{nct_id}", Reply.text("Not Found", 404))
        fake.route("/feeds/{name}", self._feed)
        return self

    # Registry -----------------------------------------------------------------------------

    def _ctgov_study(self, request, nct_id):
        self.fetched.append(nct_id)
        failure = self._asked("ctgov", False)
        if failure:
            return failure
        if nct_id.upper() in self.aliases:
            return Reply(301, headers={"Location": "/api/v2/studies/"
                                                  + self.aliases[nct_id.upper()]})
        if nct_id.upper() in self.studies:
            return Reply.json(self.studies[nct_id.upper()][0])
        return Reply.text(f"NCT number {nct_id} not found", status=404)

    def _ctgov_listing(self, request):
        failure = self._asked("ctgov", True, dict(request.query), failure="ctgov_listing")
        if failure:
            return failure
        since = None
        match = re.search(r"RANGE\[(\d{4}-\d{2}-\d{2}),MAX\]", request.arg("filter.advanced", ""))
        if match:
            since = date.fromisoformat(match.group(1))
        chosen = sorted(nct_id for nct_id, (_, updated) in self.studies.items()
                        if since is None or updated >= since)
        size = min(int(request.arg("pageSize", "10")), 1000)
        token = request.arg("pageToken")
        offset = int(base64.b64decode(token).decode()) if token else 0
        body = {"studies": [self.studies[nct_id][0] for nct_id in
                            chosen[offset:offset + size]]}
        if offset + size < len(chosen):
            body["nextPageToken"] = base64.b64encode(str(offset + size).encode()).decode()
        if request.arg("countTotal") == "true":
            body["totalCount"] = len(chosen)
        return Reply.json(body)

    # Wikipedia ----------------------------------------------------------------------------

    def _wikipedia(self, request, lang):
        listing = request.arg("list")
        query = request.arg("euquery", "")
        bulk = listing == "exturlusage" and query.startswith("*.")
        failure = self._asked("wikipedia", bulk, dict(request.query))
        if failure:
            return failure
        rows = self.wiki.get(lang, [])
        if listing == "search":
            wanted = re.search(r'insource:"(NCT\d{8})"', request.arg("srsearch", ""))
            hits = [{"ns": 0, "title": row["title"], "pageid": row["pageid"],
                     "snippet": wanted.group(1), "timestamp": "2026-11-01T10:00:00Z"}
                    for row in rows if wanted and wanted.group(1) in row["url"]]
            return Reply.json({"batchcomplete": True, "query": {"search": hits}})
        if bulk:
            host = query[2:]
            chosen = [row for row in rows
                      if re.match(rf"https?://([a-z0-9-]+\.)*{re.escape(host)}(/|$)", row["url"])]
        else:
            chosen = [row for row in rows
                      if re.sub(r"^https?://", "", row["url"]).startswith(query)]
        size = min(int(request.arg("eulimit", "10")), 500)
        offset = int(request.arg("eucontinue", "0"))
        body = {"batchcomplete": True,
                "query": {"exturlusage": chosen[offset:offset + size]}}
        if offset + size < len(chosen):
            body["continue"] = {"eucontinue": str(offset + size), "continue": "-||"}
        return Reply.json(body)

    # Hacker News --------------------------------------------------------------------------

    def _hn_matches(self, hit, query, tags, url_only):
        kinds = re.findall(r"story|comment", tags or "story,comment")
        if not any(kind in hit["_tags"] for kind in kinds):
            return False
        if url_only:
            return query.lower() in (hit.get("url") or "").lower()
        text = " ".join(str(hit.get(name) or "") for name in
                        ("title", "url", "story_text", "comment_text"))
        if query == "NCT":
            return re.search(r"\bNCT", text, re.IGNORECASE) is not None
        return query.lower() in text.lower()

    def _hn_answer(self, request, hits):
        per_page = min(int(request.arg("hitsPerPage", "20")), 1000)
        page = int(request.arg("page", "0"))
        served = hits[:HN_CAP]
        pages = math.ceil(len(served) / per_page) if served else 0
        return Reply.json({"hits": served[page * per_page:(page + 1) * per_page],
                           "nbHits": len(hits), "page": page, "nbPages": pages,
                           "hitsPerPage": per_page, "processingTimeMS": 3,
                           "query": request.arg("query"), "params": ""})

    def _hn_by_date(self, request):
        failure = self._asked("hackernews", True, dict(request.query))
        if failure:
            return failure
        low, high = -math.inf, math.inf
        for name, op, value in re.findall(r"(created_at_i)(>=|<|>|<=)(\d+)",
                                          request.arg("numericFilters", "")):
            value = int(value)
            if op in (">=", ">"):
                low = value + (op == ">")
            else:
                high = value + (op == "<=")
        url_only = request.arg("restrictSearchableAttributes") == "url"
        hits = [hit for hit in self.hn if low <= hit["created_at_i"] < high
                and self._hn_matches(hit, request.arg("query", ""), request.arg("tags"),
                                     url_only)]
        hits.sort(key=lambda hit: -hit["created_at_i"])
        return self._hn_answer(request, hits)

    def _hn_search(self, request):
        failure = self._asked("hackernews", False)
        if failure:
            return failure
        url_only = request.arg("restrictSearchableAttributes") == "url"
        query = request.arg("query", "")
        wanted = NCT.search(query)
        hits = [hit for hit in self.hn if wanted and self._hn_matches(
            hit, wanted.group(0) if not url_only else query, request.arg("tags"), url_only)]
        return self._hn_answer(request, hits)

    # News and blog feeds ------------------------------------------------------------------

    def _feed(self, request, name):
        """A feed of the world (an empty one unless entries were added), with an ETag of its
        content: 304 when the reader's copy is current."""
        failure = self._asked("feeds", True)
        if failure:
            return failure
        items = "".join(
            f"<item><title>Entry {e['serial']}</title>"
            f"<link>https://news.example.org/{name}/{e['serial']}</link>"
            f"<guid>https://news.example.org/{name}/{e['serial']}</guid>"
            f"<pubDate>{e['published'].strftime('%a, %d %b %Y %H:%M:%S +0000')}</pubDate>"
            f"<description>{escape(' and '.join(e['ids']))} in the news</description></item>"
            for e in self.feeds.get(name, []))
        body = EMPTY_FEED.replace("</channel>", items + "</channel>")
        etag = '"%08x"' % (hash(body) & 0xFFFFFFFF)
        if request.headers.get("If-None-Match") == etag:
            return Reply(304, headers={"ETag": etag})
        return Reply.text(body, content_type="application/rss+xml", headers={"ETag": etag})

    # Reddit -------------------------------------------------------------------------------

    def _reddit_listing(self, request, posts):
        """Newest first, `limit` at a time after the post `after` names, within the cap."""
        posts = sorted(posts, key=lambda post: -post["created"])[:REDDIT_CAP]
        size = min(int(request.arg("limit", "25")), 100)
        after = request.arg("after")
        names = [post["name"] for post in posts]
        start = names.index(after) + 1 if after in names else 0
        page = posts[start:start + size]
        following = page[-1]["name"] if page and start + size < len(posts) else None
        return Reply.json({"kind": "Listing", "data": {
            "after": following, "dist": len(page), "modhash": "", "geo_filter": "",
            "children": [{"kind": "t3", "data": post} for post in page], "before": None}})

    def _reddit_domain(self, request, domain):
        failure = self._asked("reddit", True, {"domain": domain, **dict(request.query)})
        if failure:
            return failure
        return self._reddit_listing(request, [post for post in self.reddit
                                              if post["domain"] == domain])

    def _reddit_search(self, request):
        query = request.arg("q", "")
        wanted = NCT.search(query)
        failure = self._asked("reddit", not wanted, dict(request.query))
        if failure:
            return failure

        def text(post):
            return " ".join((post["title"], post["selftext"]))

        if query.startswith("url:"):
            chosen = [p for p in self.reddit if wanted and wanted.group(0) in p["url"]]
        elif wanted:
            chosen = [p for p in self.reddit if wanted.group(0) in text(p) + " " + p["url"]]
        elif query == "NCT*":
            chosen = [p for p in self.reddit if re.search(r"\bNCT", text(p))]
        else:
            phrase = query.strip('"').lower()
            chosen = [p for p in self.reddit if phrase in (text(p) + " " + p["url"]).lower()]
        return self._reddit_listing(request, chosen)

    # Europe PMC ---------------------------------------------------------------------------

    def _epmc_search(self, request):
        query = request.arg("query", "")
        window = re.search(r"FIRST_IDATE:\[(\S+) TO (\S+)\]", query)
        failure = self._asked("europepmc", bool(window), dict(request.query))
        if failure:
            return failure
        if window:
            low, high = (date.fromisoformat(value) for value in window.groups())
            chosen = [a for a in self.articles if low <= a["_indexed"] <= high]
        else:
            wanted = NCT.search(query)
            chosen = [a for a in self.articles if wanted and wanted.group(0) in a["_ids"]]
        size = min(int(request.arg("pageSize", "25")), 1000)
        cursor = request.arg("cursorMark", "*")
        offset = 0 if cursor == "*" else int(base64.b64decode(cursor).decode())
        page = [{key: value for key, value in article.items()
                 if not key.startswith("_") and value is not None}
                for article in chosen[offset:offset + size]]
        following = base64.b64encode(str(offset + len(page)).encode()).decode()
        return Reply.json({"version": "6.9", "hitCount": len(chosen),
                           "nextCursorMark": following if page else cursor,
                           "request": {"queryString": query, "cursorMark": cursor},
                           "resultList": {"result": page}})

    def _crossref(self, request):
        filters = dict(part.split(":", 1) for part in (request.arg("filter") or "").split(","))
        swept = "from-index-date" in filters
        failure = self._asked("crossref", swept, dict(request.query))
        if failure:
            return failure
        if swept:
            low = date.fromisoformat(filters["from-index-date"])
            high = date.fromisoformat(filters["until-index-date"])
            chosen = [w for w in self.crossref if low <= w["_indexed"] <= high
                      and w["clinical-trial-number"]]
        else:
            wanted = filters.get("clinical-trial-number", "").upper()
            chosen = [w for w in self.crossref if any(
                entry["clinical-trial-number"].strip().upper() == wanted
                for entry in w["clinical-trial-number"])]
        rows = int(request.arg("rows", "20"))
        cursor = request.arg("cursor", "*")
        offset = 0 if cursor == "*" else int(base64.b64decode(cursor).decode())
        page = [{key: value for key, value in work.items() if not key.startswith("_")}
                for work in chosen[offset:offset + rows]]
        following = base64.b64encode(str(offset + len(page)).encode()).decode()
        return Reply.json({"status": "ok", "message-type": "work-list",
                           "message-version": "1.0.0",
                           "message": {"facets": {}, "next-cursor": following,
                                       "total-results": len(chosen), "items": page,
                                       "items-per-page": rows,
                                       "query": {"start-index": 0, "search-terms": None}}})

    def _epmc_annotations(self, request):
        failure = self._asked("europepmc_annotations", True)
        if failure:
            return failure
        asked = (request.arg("articleIds") or "").split(",")
        if len(asked) > 8:
            return Reply.json({"error": "at most 8 articles"}, status=400)
        by_key = {f"{a['source']}:{a['id']}": a for a in self.articles}
        answer = []
        for key in asked:
            article = by_key.get(key)
            if article is None:
                continue
            answer.append({"source": article["source"], "extId": article["id"],
                           "pmcid": None, "annotations": [
                               {"exact": nct_id, "prefix": "registered as ", "postfix": ".",
                                "type": "Accession Numbers", "section": "Methods",
                                "provider": "Europe PMC",
                                "tags": [{"name": nct_id, "uri":
                                          f"https://identifiers.org/clinicaltrials/{nct_id}"}]}
                               for nct_id in article["_ids"]]})
        return Reply.json(answer)

    # PubMed -------------------------------------------------------------------------------

    def _esearch(self, request):
        term = request.arg("term", "")
        wanted = NCT.search(term)
        failure = self._asked("pubmed", not wanted, dict(request.query))
        if failure:
            return failure
        if wanted:
            chosen = [r["pmid"] for r in self.pubmed
                      if wanted.group(0) in r["banks"] or wanted.group(0) in r["abstract"]]
        else:
            kind = request.arg("datetype")
            low, high = (datetime.strptime(request.arg(name), "%Y/%m/%d").date()
                         for name in ("mindate", "maxdate"))
            chosen = [r["pmid"] for r in self.pubmed if low <= r[kind] <= high]
        start = int(request.arg("retstart", "0"))
        size = min(int(request.arg("retmax", "20")), ESEARCH_CAP)
        return Reply.json({"header": {"type": "esearch", "version": "0.3"}, "esearchresult": {
            "count": str(len(chosen)), "retmax": str(size), "retstart": str(start),
            "idlist": chosen[start:min(start + size, ESEARCH_CAP)],
            "translationset": [], "querytranslation": term}})

    def _efetch(self, request):
        failure = self._asked("pubmed_efetch", True)
        if failure:
            return failure
        wanted = set((request.arg("id") or "").split(","))
        parts = ['<?xml version="1.0" ?>',
                 '<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January '
                 '2025//EN" "https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">',
                 "<PubmedArticleSet>"]
        for record in self.pubmed:
            if record["pmid"] in wanted:
                parts.append(pubmed_xml(record))
        parts.append("</PubmedArticleSet>")
        return Reply.text("\n".join(parts), content_type="text/xml")

    def _esummary(self, request):
        self.per_trial["pubmed"] += 1
        uids = [uid for uid in (request.arg("id") or "").split(",") if uid]
        result = {"uids": uids}
        for record in self.pubmed:
            if record["pmid"] in uids:
                result[record["pmid"]] = {
                    "uid": record["pmid"], "title": record["title"], "pubdate": "2025 Jun 1",
                    "sortpubdate": "2025/06/01 00:00", "source": "J Trials",
                    "fulljournalname": "Journal of Trials",
                    "authors": [{"name": "Doe J"}, {"name": "Roe R"}],
                    "sortfirstauthor": "Doe J", "pubtype": ["Journal Article"],
                    "articleids": [{"idtype": "pubmed", "value": record["pmid"]}]}
        return Reply.json({"header": {"type": "esummary"}, "result": result})


def pubmed_xml(record):
    """One PubmedArticle as efetch writes it (the parts the sweep reads, and some it skips)."""
    banks = "".join(f"<AccessionNumber>{escape(i)}</AccessionNumber>" for i in record["banks"])
    databank = (f"<DataBankList CompleteYN=\"Y\"><DataBank><DataBankName>ClinicalTrials.gov"
                f"</DataBankName><AccessionNumberList>{banks}</AccessionNumberList></DataBank>"
                f"</DataBankList>") if record["banks"] else ""
    return (
        f'<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM">'
        f'<PMID Version="1">{record["pmid"]}</PMID><Article PubModel="Print">'
        f'<Journal><JournalIssue CitedMedium="Internet"><PubDate><Year>2025</Year>'
        f'<Month>Jun</Month><Day>01</Day></PubDate></JournalIssue>'
        f'<Title>Journal of Trials</Title></Journal>'
        f'<ArticleTitle>{escape(record["title"])} <i>in vivo</i></ArticleTitle>'
        f'<Abstract><AbstractText>{escape(record["abstract"])}</AbstractText></Abstract>'
        f'<AuthorList CompleteYN="Y"><Author ValidYN="Y"><LastName>Doe</LastName>'
        f'<Initials>J</Initials></Author><Author ValidYN="Y"><LastName>Roe</LastName>'
        f'<Initials>R</Initials></Author></AuthorList>{databank}'
        f'<PublicationTypeList><PublicationType UI="D016428">Journal Article</PublicationType>'
        f'</PublicationTypeList></Article></MedlineCitation><PubmedData><ArticleIdList>'
        f'<ArticleId IdType="pubmed">{record["pmid"]}</ArticleId>'
        f'<ArticleId IdType="doi">10.1000/pm.{record["pmid"]}</ArticleId>'
        f'</ArticleIdList></PubmedData></PubmedArticle>')


def populate(world, *, trials=300, start=None, days=30, wiki_links=1200, hn_items=2500,
             articles=1200, pubmed=450, crossref=400, reddit_posts=300, first_id=4000000,
             unknown=0.02):
    """A corpus spread over `days` up to the world's now: `trials` registry studies, each
    source's items naming one to three of them (and, for a share `unknown` of them, an ID the
    registry does not hold yet), a few items naming none."""
    rng = world.random
    now = world.now
    start = start or now - timedelta(days=days)
    span = (now - start).total_seconds()
    ids = [nct(first_id + n) for n in range(trials)]
    for n, nct_id in enumerate(ids):
        world.add_study(nct_id, (start + timedelta(seconds=span * n / trials)).date())

    def some():
        chosen = rng.sample(ids, rng.choice((1, 1, 1, 2, 3)))
        if rng.random() < unknown:
            chosen.append(nct(first_id + trials + rng.randrange(50)))  # not in the registry yet
        return chosen

    def moment():
        return start + timedelta(seconds=rng.random() * span)

    hosts = ("https://clinicaltrials.gov/study/", "http://www.clinicaltrials.gov/ct2/show/",
             "https://classic.clinicaltrials.gov/ct2/show/", "https://clinicaltrials.gov/show/")
    for n in range(wiki_links):
        pageid = 1000 + n // 2                                  # pages link one or two trials
        if n % 40 == 39:
            url = "https://clinicaltrials.gov/search?cond=asthma"    # a link naming no trial
        else:
            url = rng.choice(hosts) + rng.choice(ids)
        world.add_wiki_link("en", pageid, f"Article {pageid}", url)
    for n in range(hn_items):
        created = moment()
        chosen = some()
        object_id = 30_000_000 + 2 * n
        if n % 3 == 0:
            world.add_hn(object_id, created, url="https://clinicaltrials.gov/study/" + chosen[0])
        elif n % 3 == 1:
            world.add_hn(object_id + 1, created, story=False,
                         text=f"See https://clinicaltrials.gov/study/{chosen[0]} and "
                              + " ".join(chosen[1:]))
        else:
            world.add_hn(object_id + 1, created, story=False,
                         text="The protocol is " + ", ".join(chosen))
    for n in range(reddit_posts):
        chosen = some()
        post_id = f"1r{n:05d}"
        if n % 3 == 0:
            world.add_reddit(post_id, moment(), url=rng.choice(hosts[:2]) + chosen[0],
                             title=f"A trial to watch ({' '.join(chosen[1:])})")
        elif n % 3 == 1:
            world.add_reddit(post_id, moment(), text="Has anyone joined " + ", ".join(chosen))
        else:
            world.add_reddit(post_id, moment(), title="Protocol at clinicaltrials.gov",
                             text="https://clinicaltrials.gov/study/" + " and ".join(chosen))
    for n in range(articles):
        chosen = some()
        world.add_article(20_000_000 + n, moment().date(), chosen,
                          in_abstract=chosen[:1] if n % 2 else ())
    for n in range(pubmed):
        chosen = some()
        entered = moment().date()
        late = n % 4 == 0    # MEDLINE indexing adds the databank field days after entry
        world.add_pubmed(38_000_000 + n, entered, chosen,
                         mhda=min(entered + timedelta(days=5), now.date()) if late else entered)
    for n in range(crossref):
        chosen = some()
        numbers = [(nct_id if n % 5 else f" {nct_id.lower()}", "10.18810/clinical-trials-gov")
                   for nct_id in chosen]
        if n % 7 == 0:
            numbers.append((f"ISRCTN{10_000_000 + n}", "10.18810/isrctn"))
        if n % 50 == 49:
            numbers = [(f"ISRCTN{10_000_000 + n}", "10.18810/isrctn")]   # names no NCT ID
        world.add_crossref(f"10.5555/Trial.{n}", moment().date(), numbers)
    return ids


def mentions_named(world):
    """{(source, external id): set of NCT IDs} each item of the corpus should be filed under."""
    expected = {}
    for rows in world.wiki.values():
        for row in rows:
            for nct_id in NCT.findall(row["url"]):
                expected.setdefault(("wikipedia", f"en:{row['pageid']}"), set()).add(nct_id)
    for hit in world.hn:
        text = " ".join(str(hit.get(n) or "") for n in ("url", "title", "story_text",
                                                        "comment_text"))
        if NCT.findall(text):
            expected[("hackernews", hit["objectID"])] = set(NCT.findall(text))
    for post in world.reddit:
        named = NCT.findall(" ".join((post["url"], post["title"], post["selftext"])))
        if named:
            expected[("reddit", post["id"])] = set(named)
    for article in world.articles:
        expected[("europepmc", f"{article['source']}:{article['id']}")] = set(article["_ids"])
    for record in world.pubmed:
        expected[("pubmed", record["pmid"])] = set(record["banks"]) | set(
            NCT.findall(record["abstract"]))
    for work in world.crossref:
        named = set(NCT.findall(" ".join(entry["clinical-trial-number"].upper()
                                         for entry in work["clinical-trial-number"])))
        if named:
            expected[("crossref", work["DOI"].lower())] = named
    return expected


def dumps(data):
    return json.dumps(data)
