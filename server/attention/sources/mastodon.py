"""Mastodon, opt-in: the public statuses one instance's search finds naming the trial."""

from trialbuzz.attention.sources.base import (
    Found,
    Mention,
    Source,
    count,
    parse_datetime,
    plain_text,
    safe_url,
)
from trialbuzz.attention.sources.sweeping import ids_in
from trialbuzz.attention.words import SOURCES
from trialbuzz.errors import UpstreamError

# Mastodon's largest page of search results.
LIMIT = 40
# Pages one trial's search may take: 200 statuses is far beyond any trial.
MAX_PAGES = 5
TITLE_LENGTH = 200
TOKEN_MESSAGE = ("Mastodon refused the access token: check TRIALBUZZ_MASTODON_TOKEN (a user "
                 "token with the read:search scope on TRIALBUZZ_MASTODON_URL)")


class Mastodon(Source):
    """Statuses an instance's full-text search finds for the ID, kept when their text, links or
    link card name it; runs only when MASTODON_URL and MASTODON_TOKEN are set."""

    id = "mastodon"
    name = SOURCES[id]
    about = "Public posts naming the trial that one Mastodon instance's search finds."
    kinds = ("social",)
    url_setting = "MASTODON_URL"
    config_settings = ("MASTODON_URL",)
    key_setting = "MASTODON_TOKEN"
    # Mastodon allows about 300 requests per 5 minutes per token (it varies by instance).
    rate = "1/second"

    def find(self, trial, deadline=None):
        """Every public status naming the trial once, paged by offset up to MAX_PAGES."""
        found = Found()
        for page in range(MAX_PAGES):
            statuses = self._search(trial.nct_id, page * LIMIT, deadline)
            for status in statuses:
                if not isinstance(status, dict) or trial.nct_id not in _ids_of(status):
                    found.skipped += 1
                    continue
                found.read_once(self._mention, status)
            if len(statuses) < LIMIT:
                break
        return found

    def _search(self, nct_id, offset, deadline):
        """One page of the instance's status search."""
        params = {"q": nct_id, "type": "statuses", "resolve": "false", "limit": LIMIT}
        if offset:
            params["offset"] = offset
        response = self.upstream.get(
            "/api/v2/search", params=params, deadline=deadline,
            headers={"Authorization": f"Bearer {self.settings['MASTODON_TOKEN'].strip()}"})
        if response.status_code in (401, 403):
            raise UpstreamError(TOKEN_MESSAGE, code="mastodon_token")
        body = self.upstream.json(response)
        return self.listed(body, "statuses", what="a list of statuses")

    def _mention(self, status):
        """One public status as a social Mention; None for a status not public or without a
        link of its own."""
        if status.get("visibility") != "public":
            return None
        uri = safe_url(status.get("uri"))
        link = safe_url(status.get("url")) or uri
        if uri is None or link is None:
            return None
        account = status.get("account") if isinstance(status.get("account"), dict) else {}
        acct = plain_text(account.get("acct"), limit=200) if isinstance(
            account.get("acct"), str) else None
        text = plain_text(status.get("content"), limit=2000) if isinstance(
            status.get("content"), str) else None
        language = status.get("language")
        return Mention(
            source=self.id, kind="social", external_id=uri, url=link,
            title=(text[:TITLE_LENGTH] if text else None) or "A post on Mastodon",
            author=f"@{acct}" if acct else None,
            published_at=parse_datetime(status.get("created_at")),
            snippet=text, language=language if isinstance(language, str) else None,
            extra={"replies": count(status.get("replies_count")),
                   "reblogs": count(status.get("reblogs_count")),
                   "favourites": count(status.get("favourites_count")),
                   "links": _links(status)},
        )


def _links(status):
    """The safe links a status carries: its link card and the addresses in its text."""
    card = status.get("card") if isinstance(status.get("card"), dict) else {}
    found = [card.get("url")] + _hrefs(status.get("content"))
    return [link for link in dict.fromkeys(filter(safe_url, found))][:10]


def _hrefs(content):
    """The href values of the links in a status's HTML."""
    if not isinstance(content, str) or not content.strip():
        return []
    from lxml import html

    try:
        tree = html.fromstring(content)
    except (ValueError, TypeError, html.etree.ParserError):
        return []
    return [href for href in tree.xpath("//a/@href") if isinstance(href, str)]


def _ids_of(status):
    """The NCT IDs a status names: in its text (as the reader sees it), its links' addresses,
    its content warning and its link card."""
    card = status.get("card") if isinstance(status.get("card"), dict) else {}
    content = status.get("content") if isinstance(status.get("content"), str) else None
    return ids_in(plain_text(content, limit=5000) if content else None, *_hrefs(content),
                  status.get("spoiler_text"), card.get("url"), card.get("title"),
                  card.get("description"))
