"""Bluesky, keyless: posts from the public Jetstream firehose that name a study.

Search needs a login since January 2025; the firehose does not. This source is a stream, not a
per-trial search: `trialbuzz stream bluesky` (or a worker, when BLUESKY_STREAM is on) reads
every new post and keeps those whose text, links or link card name an NCT ID or a study page
(see `trialbuzz.attention.stream`). A trial's refresh never asks it anything.
"""

import re

from trialbuzz import nctid
from trialbuzz.attention.sources.base import (
    Mention,
    Source,
    parse_datetime,
    safe_url,
)
from trialbuzz.attention.words import SOURCES
from trialbuzz.errors import TrialbuzzError
from trialbuzz.text import written_text

POST = "app.bsky.feed.post"
LINK_FACET = "app.bsky.richtext.facet#link"
# A DID and a record key as they may appear in a bsky.app link.
DID = re.compile(r"did:(plc:[a-z2-7]{24}|web:[a-zA-Z0-9.\-]{1,253})")
RKEY = re.compile(r"[A-Za-z0-9._:~-]{1,512}")
HANDLE = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9.\-]{0,252}")
TITLE_LENGTH = 200


class Bluesky(Source):
    """Posts on Bluesky naming a study, from the public firehose."""

    id = "bluesky"
    name = SOURCES[id]
    about = "Posts on Bluesky naming the trial or linking its study page, read from the " \
            "public firehose as they are written."
    kinds = ("social",)
    # The AppView answers profile look-ups (a post's author handle) without a login.
    url_setting = "BLUESKY_APPVIEW_URL"
    switch_setting = "BLUESKY_STREAM"
    stream = True
    # Bluesky's services allow about 3,000 requests per 5 minutes per IP; a handle is looked up
    # once per matching post, which are few.
    rate = "2/second"

    def find(self, trial, deadline=None):
        """A stream has nothing to search: its posts are filed as they arrive."""
        return []

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

