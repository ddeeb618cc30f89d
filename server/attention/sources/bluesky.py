"""Bluesky: posts naming a study, from the public Jetstream firehose and, with an account, from
Bluesky's search.

Search needs a login since January 2025; the firehose does not. Keyless, this source is a
stream: `trialbuzz stream bluesky` (or a worker, when BLUESKY_STREAM is on) reads every new post
and keeps those whose text, links or link card name an NCT ID or a study page (see
`trialbuzz.attention.stream`), and a trial's refresh asks it nothing. Given an account's handle
and app password (BLUESKY_HANDLE, BLUESKY_APP_PASSWORD), a trial's refresh also searches for
the trial, which finds the posts written before the stream ran; a post found both ways is one
mention, under the same identity.
"""

import re
import threading

from trialbuzz import nctid
from trialbuzz.attention.sources.base import (
    Found,
    Mention,
    Source,
    parse_datetime,
    safe_url,
)
from trialbuzz.attention.words import SOURCES
from trialbuzz.errors import TrialbuzzError, UpstreamBadResponse, UpstreamError
from trialbuzz.text import written_text
from trialbuzz.upstream import Upstream

POST = "app.bsky.feed.post"
LINK_FACET = "app.bsky.richtext.facet#link"
# A DID and a record key as they may appear in a bsky.app link.
DID = re.compile(r"did:(plc:[a-z2-7]{24}|web:[a-zA-Z0-9.\-]{1,253})")
RKEY = re.compile(r"[A-Za-z0-9._:~-]{1,512}")
HANDLE = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9.\-]{0,252}")
TITLE_LENGTH = 200
# What a trial's search asks: posts naming the ID, and posts linking its study page (the
# `url` parameter matches a post's links; not checked live). Newest first, 100 a page.
SEARCH_PAGE = 100
SEARCH_PAGES = 3
STUDY_PAGE = "https://clinicaltrials.gov/study/{id}"
# The XRPC errors of a session that must log in again.
EXPIRED = ("ExpiredToken", "InvalidToken", "AuthenticationRequired")


class Bluesky(Source):
    """Posts on Bluesky naming a study, from the public firehose."""

    id = "bluesky"
    name = SOURCES[id]
    about = "Posts on Bluesky naming the trial or linking its study page, read from the " \
            "public firehose as they are written, and searched for when the server has an " \
            "account."
    kinds = ("social",)
    # The AppView answers profile look-ups (a post's author handle) without a login.
    url_setting = "BLUESKY_APPVIEW_URL"
    switch_setting = "BLUESKY_STREAM"
    stream = True
    # Bluesky's services allow about 3,000 requests per 5 minutes per IP; a handle is looked up
    # once per matching post, which are few.
    rate = "2/second"

    def __init__(self, settings, storage=None):
        super().__init__(settings, storage=storage)
        # Log-ins and searches go to the account's own server, which hands searches on to the
        # AppView; createSession allows about 30 log-ins per 5 minutes, so the session is kept.
        self.pds = Upstream(self.name, settings["BLUESKY_PDS_URL"], settings, rate=self.pace,
                            storage=storage, key=f"{self.id}-pds")
        self._session_lock = threading.Lock()
        self._access = None

    @classmethod
    def searches(cls, settings):
        """A refresh asks Bluesky only when an account is given: search needs a login."""
        return bool(settings.get("BLUESKY_HANDLE") and settings.get("BLUESKY_APP_PASSWORD"))

    @classmethod
    def streams(cls, settings):
        """The firehose is read only when BLUESKY_STREAM is on, account or not."""
        return bool(settings.get(cls.switch_setting))

    @classmethod
    def available(cls, settings):
        """On as a stream (BLUESKY_STREAM) or as a search (an account), or both."""
        return super().available(settings) or cls.searches(settings)

    def find(self, trial, deadline=None):
        """Posts naming the trial or linking its study page, from Bluesky's search (with an
        account); without one, nothing: the stream files its posts as they arrive."""
        found = Found()
        if not self.searches(self.settings):
            return found
        seen = set()
        for query in ({"q": trial.nct_id},
                      {"q": "*", "url": STUDY_PAGE.format(id=trial.nct_id)}):
            for post in self._search(query, deadline):
                uri = post.get("uri") if isinstance(post, dict) else None
                if uri not in seen:
                    seen.add(uri)
                    found.read(_mention_of, post, trial.nct_id)
        return found

    def _search(self, query, deadline):
        """The posts of one search, page by page, at most SEARCH_PAGES pages."""
        cursor = None
        for _ in range(SEARCH_PAGES):
            params = {**query, "sort": "latest", "limit": SEARCH_PAGE}
            if cursor:
                params["cursor"] = cursor
            data = self._authorised_json("/xrpc/app.bsky.feed.searchPosts", params, deadline)
            posts = self.listed(data, "posts", what="a list of posts")
            yield from posts
            cursor = data.get("cursor")
            if not posts or not isinstance(cursor, str) or not cursor or len(cursor) > 512:
                return

    def _authorised_json(self, path, params, deadline):
        """A search call with the session's token; an expired token is renewed once."""
        def call(renew):
            return self.pds.get(path, params=params, deadline=deadline, headers={
                "Authorization": f"Bearer {self._token(deadline, renew=renew)}"})

        response = call(renew=False)
        if response.status_code in (400, 401) and _error_name(response) in EXPIRED:
            response = call(renew=True)
        return self.pds.json(response)

    def _token(self, deadline, renew=False):
        """The session's access token, logging in with the app password when there is none."""
        with self._session_lock:
            if self._access is None or renew:
                response = self.pds.post(
                    "/xrpc/com.atproto.server.createSession", deadline=deadline,
                    json={"identifier": self.settings["BLUESKY_HANDLE"],
                          "password": self.settings["BLUESKY_APP_PASSWORD"]})
                if response.status_code in (400, 401):
                    raise UpstreamError(
                        f"{self.name} refused the log-in of {self.settings['BLUESKY_HANDLE']}: "
                        "check BLUESKY_HANDLE and BLUESKY_APP_PASSWORD", code="upstream_refused")
                session = self.pds.json(response)
                token = session.get("accessJwt") if isinstance(session, dict) else None
                if not isinstance(token, str) or not token or len(token) > 8192 or \
                        not token.isascii() or not token.isprintable() or " " in token:
                    raise UpstreamBadResponse(f"{self.name} answered a log-in without a token")
                self._access = token
            return self._access

    def handle_of(self, did, deadline=None):
        """The author's handle from the public AppView, or None when it cannot be had."""
        try:
            response = self.upstream.get("/xrpc/app.bsky.actor.getProfile",
                                         params={"actor": did}, deadline=deadline)
            profile = self.upstream.json(response)
        except TrialbuzzError:
            return None
        handle = profile.get("handle") if isinstance(profile, dict) else None
        if isinstance(handle, str) and HANDLE.fullmatch(handle) and handle != "handle.invalid":
            return handle.lower()
        return None


def read_post(event):
    """The NCT IDs a Jetstream event's new post names and the post as a Mention (its author the
    DID until a handle is known); None for any other event or a post naming no study."""
    if not isinstance(event, dict) or event.get("kind") != "commit":
        return None
    commit = event.get("commit")
    if not isinstance(commit, dict) or commit.get("collection") != POST or \
            commit.get("operation") != "create":
        return None
    record, did, rkey = commit.get("record"), event.get("did"), commit.get("rkey")
    if not isinstance(record, dict) or not isinstance(did, str) or not DID.fullmatch(did) \
            or not isinstance(rkey, str) or not RKEY.fullmatch(rkey):
        return None
    text = record.get("text") if isinstance(record.get("text"), str) else ""
    links = _links(record)
    ids = nctid.find_all(" ".join([text, *links]))
    if not ids:
        return None
    published = parse_datetime(record.get("createdAt"))
    seen = _event_time(event)
    # A post cannot be written after the firehose carried it (clients set createdAt).
    if published is None or (seen is not None and published > seen):
        published = seen
    words = written_text(text)
    mention = Mention(
        source=Bluesky.id, kind="social", external_id=f"{did}/{rkey}",
        url=safe_url(f"https://bsky.app/profile/{did}/post/{rkey}"),
        title=(written_text(text, limit=TITLE_LENGTH) or "A post on Bluesky"),
        author=did, published_at=published, snippet=words or None,
        language=_language(record.get("langs")),
        extra={"did": did, "uri": f"at://{did}/{POST}/{rkey}",
               "links": [link for link in links if safe_url(link)][:10]},
    )
    return ids, mention


def _read_post_view(post):
    """The NCT IDs a search result (a postView) names and the post as a Mention, the same
    mention the stream makes of it, credited to the author's handle; None when it names none."""
    author = post.get("author") if isinstance(post, dict) else None
    uri = post.get("uri") if isinstance(post, dict) else None
    if not isinstance(author, dict) or not isinstance(uri, str):
        return None
    did, _, rest = uri.removeprefix("at://").partition("/")
    collection, _, rkey = rest.partition("/")
    if collection != POST or did != author.get("did"):
        return None
    indexed = parse_datetime(post.get("indexedAt"))
    event = {"kind": "commit", "did": did,
             "time_us": int(indexed.timestamp() * 1_000_000) if indexed else None,
             "commit": {"collection": POST, "operation": "create", "rkey": rkey,
                        "record": post.get("record")}}
    read = read_post(event)
    if read is None:
        return None
    handle = author.get("handle")
    if isinstance(handle, str) and HANDLE.fullmatch(handle) and handle != "handle.invalid":
        with_handle(read[1], handle.lower())
    return read


def _mention_of(post, nct_id):
    """A search result as a mention of the trial `nct_id`, or None when it does not name it
    (the search matched something else: a word, the alt text of an image)."""
    read = _read_post_view(post)
    return read[1] if read is not None and nct_id in read[0] else None


def _error_name(response):
    """The XRPC error name of a refused call ("ExpiredToken"), or None."""
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get("error") if isinstance(body, dict) else None


def with_handle(mention, handle):
    """The mention credited to `handle`, its link on the handle (as bsky.app shows posts)."""
    did, rkey = mention.external_id.split("/", 1)
    mention.author = "@" + handle
    mention.url = safe_url(f"https://bsky.app/profile/{handle}/post/{rkey}") or mention.url
    return mention


def event_cursor(event):
    """The Jetstream cursor of an event (its time in microseconds), or None."""
    value = event.get("time_us") if isinstance(event, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 \
        else None


def identity(event):
    """(did, handle) of an identity event, or None."""
    if not isinstance(event, dict) or event.get("kind") != "identity":
        return None
    body = event.get("identity")
    if not isinstance(body, dict):
        return None
    did, handle = body.get("did"), body.get("handle")
    if isinstance(did, str) and DID.fullmatch(did) and isinstance(handle, str) and \
            HANDLE.fullmatch(handle):
        return did, handle.lower()
    return None


def _links(record):
    """Every link of a post: its link facets and its link card (alone or beside media)."""
    links = []
    for facet in record.get("facets") if isinstance(record.get("facets"), list) else []:
        features = facet.get("features") if isinstance(facet, dict) else None
        for feature in features if isinstance(features, list) else []:
            if isinstance(feature, dict) and feature.get("$type") == LINK_FACET and \
                    isinstance(feature.get("uri"), str):
                links.append(feature["uri"][:2048])
    embed = record.get("embed") if isinstance(record.get("embed"), dict) else {}
    for holder in (embed, embed.get("media") if isinstance(embed.get("media"), dict) else {}):
        external = holder.get("external")
        if isinstance(external, dict) and isinstance(external.get("uri"), str):
            links.append(external["uri"][:2048])
    return links


def _event_time(event):
    """When the firehose carried the event, from its cursor."""
    cursor = event_cursor(event)
    return parse_datetime(cursor / 1_000_000) if cursor else None


def _language(langs):
    """The post's first declared language, if it looks like a language tag."""
    if isinstance(langs, list) and langs and isinstance(langs[0], str) and \
            re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*", langs[0]):
        return langs[0][:16]
    return None

