"""Wikipedia: articles linking to a trial's study page or quoting its NCT ID, on each wiki."""

import logging
import re
from urllib.parse import quote

from trialbuzz.attention.sources.base import (
    ITEM_ERRORS,
    STUDY_URL_FORMS,
    Found,
    Mention,
    Source,
    clean,
    parse_datetime,
    plain_text,
    safe_url,
)
from trialbuzz.attention.sources.sweeping import ORIGIN, SweptPage, ids_in
from trialbuzz.attention.words import SOURCES
from trialbuzz.errors import UpstreamBadResponse, UpstreamError, UpstreamUnavailable

log = logging.getLogger(__name__)

# Wikimedia's etiquette: ask the API to refuse us while its replicas lag more than this (seconds).
MAXLAG = 5
LINK_LIMIT = 500
SEARCH_LIMIT = 50
# Page caps: 5,000 links per study-URL form and 200 search hits per wiki are far beyond any trial.
LINK_PAGES = 10
SEARCH_PAGES = 4
# What a sweep asks each wiki for: every link to the registry's host and its subdomains (www.,
# classic., beta.), whatever the path. A `*.` query matching the bare host too is documented
# (Help:Linksearch) but has not been checked live.
SWEEP_QUERIES = ("*.clinicaltrials.gov",)
# Wiki subdomains such as en, ja, simple, zh-yue, be-tarask; anything else is a misconfiguration.
_LANG = re.compile(r"^[a-z][a-z0-9-]{0,24}$")
# Characters MediaWiki itself leaves unescaped in article paths, so our links read like its own.
_TITLE_SAFE = "/:(),;@!$*'"


class Wikipedia(Source):
    """Pages on each configured wiki: `list=exturlusage` for links, `list=search` for text."""

    id = "wikipedia"
    name = SOURCES[id]
    about = "Articles linking the study page or naming the ID in their source."
    kinds = ("wikipedia",)
    url_setting = "WIKIPEDIA_URL"
    # Wikimedia asks for requests in series at a modest pace; 5/s keeps one trial within seconds.
    rate = "5/second"

    def languages(self):
        """The wiki language codes to search, from WIKIPEDIA_LANGUAGES (default English)."""
        codes = []
        for code in self.settings.get("WIKIPEDIA_LANGUAGES") or ["en"]:
            code = str(code).strip().lower()
            if not _LANG.match(code):
                log.warning("ignoring WIKIPEDIA_LANGUAGES entry %r: not a wiki language code", code)
            elif code not in codes:
                codes.append(code)
        return codes

    def api_url(self, lang):
        """The Action API address of one language wiki (WIKIPEDIA_URL is a `{lang}` template)."""
        return self.settings[self.url_setting].format(lang=lang)

    def find(self, trial, deadline=None):
        """Pages on every configured wiki that link to or quote the trial, one mention per page."""
        found = Found()
        for lang in self.languages():
            found.extend(self._find_on(lang, trial.nct_id, deadline, found))
        return found

    def _find_on(self, lang, nct_id, deadline, found):
        """Linking pages first, then text matches; a page found both ways is counted once.
        Rows that cannot be read are counted as skipped in `found`."""
        api = self.api_url(lang)
        pages = {}
        for form in STUDY_URL_FORMS:
            # No euprotocol: MediaWiki then matches both http:// and https:// links.
            params = {"list": "exturlusage", "euquery": form.format(id=nct_id), "eunamespace": 0,
                      "eulimit": LINK_LIMIT, "euprop": "ids|title|url"}
            for row in self._rows(api, params, "exturlusage", "eucontinue", LINK_PAGES, deadline):
                pageid = _page_id(row)
                if pageid is None:
                    found.skipped += 1
                elif pageid not in pages:
                    try:
                        pages[pageid] = _mention(self.id, lang, pageid, row, linked=True,
                                                 snippet=safe_url(row.get("url")))
                    except ITEM_ERRORS:
                        found.skipped += 1
        params = {"list": "search", "srsearch": f'insource:"{nct_id}"', "srnamespace": 0,
                  "srlimit": SEARCH_LIMIT, "srprop": "snippet|timestamp"}
        for hit in self._rows(api, params, "search", "sroffset", SEARCH_PAGES, deadline):
            pageid = _page_id(hit)
            if pageid is None:
                found.skipped += 1
                continue
            # Search snippets mark matches with inline spans, which plain text joins up.
            snippet = plain_text(hit.get("snippet"))
            # The search reports the page's last edit: the best date the API gives for a page.
            edited = parse_datetime(_text(hit.get("timestamp")))
            if pageid in pages:
                pages[pageid].published_at = edited
                pages[pageid].snippet = snippet or pages[pageid].snippet
            else:
                try:
                    pages[pageid] = _mention(self.id, lang, pageid, hit, linked=False,
                                             snippet=snippet, published_at=edited)
                except ITEM_ERRORS:
                    found.skipped += 1
        return list(pages.values())

    def _rows(self, api, params, key, continue_key, max_pages, deadline):
        """Yield the rows of `query[key]` page by page, following `continue` up to `max_pages`."""
        carry = {}
        for _ in range(max_pages):
            rows, carry = self._page(api, params, key, continue_key, carry, deadline)
            yield from rows
            if carry is None:
                return

    def _page(self, api, params, key, continue_key, carry, deadline):
        """One page of `query[key]` and the continuation to send next (None after the last)."""
        params = {"action": "query", **params, "maxlag": MAXLAG, "format": "json",
                  "formatversion": 2}
        response = self.upstream.get(api, params={**params, **carry}, deadline=deadline)
        data = self._json(response)
        rows = self.listed(data, "query", key, what=f"a {key} list", missing_ok=True)
        more = data.get("continue")
        # Only the continuation keys go back: the answer must not rewrite our query.
        following = ({name: more[name] for name in (continue_key, "continue")
                      if isinstance(more.get(name), (str, int))}
                     if isinstance(more, dict) else {})
        if continue_key not in following or following == carry:
            return rows, None
        return rows, following

    # Sweeps: every article of each wiki linking to any study.
    sweep_origin = ORIGIN

    def sweep_scopes(self):
        """One sweep per configured wiki."""
        return self.languages()

    def sweep_pages(self, scope, run, deadline=None):
        """Every external link of `scope`'s articles to the registry, 500 a call, each filed
        under the NCT IDs its URL names. The listing has no dates: each run is a full pass."""
        api = self.api_url(scope)
        run = dict(run)
        while run.setdefault("query", 0) < len(SWEEP_QUERIES):
            params = {"list": "exturlusage", "euquery": SWEEP_QUERIES[run["query"]],
                      "eunamespace": 0, "eulimit": LINK_LIMIT, "euprop": "ids|title|url"}
            rows, carry = self._page(api, params, "exturlusage", "eucontinue",
                                     run.get("carry") or {}, deadline)
            page = SweptPage()
            for row in rows:
                url = safe_url(row.get("url")) if isinstance(row, dict) else None
                pageid = _page_id(row)
                ids = ids_in(url)
                if pageid is None or not ids:
                    page.skipped += 1
                    continue
                try:
                    mention = _mention(self.id, scope, pageid, row, linked=True, snippet=url)
                except ITEM_ERRORS:
                    page.skipped += 1
                    continue
                page.found.append((ids, mention))
            if carry is None:
                run = {**run, "query": run["query"] + 1, "carry": None,
                       "done": run["query"] + 1 >= len(SWEEP_QUERIES)}
            else:
                run = {**run, "carry": carry}
            page.run = run
            yield page

    def _json(self, response):
        """The decoded answer; MediaWiki reports errors (maxlag among them) inside a 200 body."""
        data = self.upstream.json(response)
        if not isinstance(data, dict):
            raise UpstreamBadResponse(f"{self.name} answered with something other than an object")
        error = data.get("error")
        if error is None:
            return data
        code = plain_text(error.get("code") if isinstance(error, dict) else None, limit=40)
        if code in ("maxlag", "ratelimited"):
            retry = response.headers.get("Retry-After", "").strip()
            raise UpstreamUnavailable(
                f"{self.name} asks us to wait ({code})",
                code="upstream_rate_limited" if code == "ratelimited" else None,
                retry_after=int(retry) if re.fullmatch(r"[0-9]+", retry) else None)
        raise UpstreamError(f"{self.name} refused the query ({code or 'unknown error'})")


def _text(value):
    """`value` if it is a string, else None."""
    return value if isinstance(value, str) else None


def _page_id(row):
    """A row's page ID as an int, or None when missing or not a positive whole number."""
    if not isinstance(row, dict):
        return None
    pageid = row.get("pageid")
    if isinstance(pageid, bool) or not isinstance(pageid, (int, str)):
        return None
    return int(pageid) if re.fullmatch(r"[0-9]{1,15}", str(pageid)) and int(pageid) > 0 else None


def article_url(lang, pageid, title):
    """The reader's address of a page; by page ID when the title is missing."""
    title = clean(title)
    if title and title.strip():
        path = quote(title.strip().replace(" ", "_"), safe=_TITLE_SAFE)
        return safe_url(f"https://{lang}.wikipedia.org/wiki/{path}")
    return safe_url(f"https://{lang}.wikipedia.org/?curid={pageid}")


def _mention(source, lang, pageid, row, linked, snippet, published_at=None):
    """One wiki page as a Mention."""
    return Mention(source=source, kind="wikipedia", external_id=f"{lang}:{pageid}",
                   url=article_url(lang, pageid, row.get("title")),
                   title=plain_text(row.get("title")), published_at=published_at,
                   snippet=snippet, language=lang, extra={"linked": linked})
