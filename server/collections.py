"""Collections: named lists of trials (watchlists) without accounts. Anyone may read one at its
unguessable ID; changing or deleting it takes its edit token, shown once and stored as a hash."""

import hashlib
import hmac
import re
import secrets
from datetime import timedelta

from sqlalchemy import delete, func, or_, select, update

from trialbuzz import nctid
from trialbuzz.attention import bulk
from trialbuzz.attention.kinds import KINDS
from trialbuzz.clock import utcnow
from trialbuzz.errors import BadRequest, CollectionNotFound, Forbidden, Unauthorized
from trialbuzz.storage.models import Collection, CollectionTrial, Trial, TrialAlias, Work
from trialbuzz.text import clean

MAX_NAME = 200
# 16 random bytes: 22 URL-safe characters nobody guesses.
ID_BYTES = 16
# 32 random bytes for the edit token; its SHA-256 is what the store keeps (a token this long
# needs no slow hash: there is nothing to guess from the digest).
TOKEN_BYTES = 32
_ID = re.compile(r"[A-Za-z0-9_-]{16,32}")
_SPACE = re.compile(r"\s+")
# A collection read counts for the schedule at most this often.
VIEW_EVERY = timedelta(minutes=10)
# Collections read within this window have their trials kept fresh by the schedule.
VIEWED_WITHIN = timedelta(days=7)
# A read of a collection lists this many of its trials unless `limit` asks otherwise, up to
# MAX_LIMIT (as the Explorer's); its page's table shows as many. Its exports list them all.
PAGE_SIZE = 50
MAX_LIMIT = 100
# The largest offset a read takes (or COLLECTION_MAX_TRIALS, when larger): past a collection's
# end a read is an empty page, whatever the size limit was when the collection was made.
MAX_OFFSET = 10_000
ATTENTION_KINDS = tuple(kind for kind in KINDS if kind != "publication")


def token_hash(token):
    """The stored form of an edit token."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def clean_name(value):
    """A collection's name: a string of 1 to MAX_NAME characters, spaces folded; else 400."""
    if not isinstance(value, str):
        raise BadRequest("Give the collection a name (a string).", code="invalid_name")
    if len(value) > MAX_NAME:
        raise BadRequest(f"The name is longer than {MAX_NAME} characters.", code="invalid_name")
    name = _SPACE.sub(" ", clean(value)).strip()
    if not name:
        raise BadRequest("Give the collection a name.", code="invalid_name")
    return name


def ids_from_list(values, limit):
    """NCT IDs from a JSON list, each checked, repeats dropped, in order; at most `limit`."""
    if not isinstance(values, list) or not all(isinstance(value, str) for value in values):
        raise BadRequest("nct_ids must be a list of NCT IDs (strings).",
                         code="invalid_parameter")
    # Repeats are dropped, but a list far past the limit is refused before any is checked.
    if len(values) > 4 * limit:
        raise too_many(limit)
    return within(nctid.unique(nctid.require(value) for value in values), limit)


def ids_from_text(text, limit):
    """Every NCT ID named in a text (a CSV file, a list, a page), in order, without repeats."""
    return within(nctid.find_all(text), limit)


def within(ids, limit):
    """`ids`, unless there are more than `limit`."""
    if len(ids) > limit:
        raise too_many(limit)
    return ids


def too_many(limit):
    """The error for a collection over COLLECTION_MAX_TRIALS."""
    return BadRequest(f"A collection holds at most {limit} trials.",
                      code="collection_too_large")


def check_id(collection_id):
    """A collection ID of the shape this server makes; anything else cannot exist."""
    if not isinstance(collection_id, str) or not _ID.fullmatch(collection_id):
        raise CollectionNotFound()
    return collection_id


class CollectionBook:
    """Collections in the store: created, read, renamed, refilled and deleted."""

    def __init__(self, db, clock=utcnow):
        self.db = db
        self.clock = clock

    def create(self, name, nct_ids):
        """A new collection: its row and its edit token (the only time the token is known)."""
        token = secrets.token_urlsafe(TOKEN_BYTES)
        now = self.clock()
        collection = Collection(id=secrets.token_urlsafe(ID_BYTES), name=name,
                                token_hash=token_hash(token), created_at=now, updated_at=now,
                                viewed_at=now)
        with self.db.session() as session:
            session.add(collection)
            session.flush()
            _put_trials(session, collection.id, nct_ids)
        return collection, token

    def get(self, collection_id):
        """The collection and its trial IDs in order; CollectionNotFound when there is none."""
        with self.db.session() as session:
            collection = session.get(Collection, check_id(collection_id))
            if collection is None:
                raise CollectionNotFound()
            ids = list(session.scalars(
                select(CollectionTrial.nct_id).where(
                    CollectionTrial.collection_id == collection.id)
                .order_by(CollectionTrial.position)))
        return collection, ids

    def authorize(self, collection_id, header):
        """Check an Authorization header against the collection's token: 401 without a bearer
        token, 403 with a wrong one, CollectionNotFound when there is no such collection."""
        collection, _ = self.get(collection_id)
        scheme, _, token = (header or "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise Unauthorized()
        if not hmac.compare_digest(token_hash(token), collection.token_hash):
            raise Forbidden()
        return collection

    def update(self, collection_id, name=None, nct_ids=None):
        """Rename and/or replace the trials of a collection; the IDs new to it."""
        with self.db.session() as session:
            collection = session.get(Collection, check_id(collection_id))
            if collection is None:
                raise CollectionNotFound()
            before = set(session.scalars(select(CollectionTrial.nct_id).where(
                CollectionTrial.collection_id == collection.id)))
            if name is not None:
                collection.name = name
            if nct_ids is not None:
                session.execute(delete(CollectionTrial).where(
                    CollectionTrial.collection_id == collection.id))
                _put_trials(session, collection.id, nct_ids)
            collection.updated_at = self.clock()
        return [nct_id for nct_id in nct_ids or [] if nct_id not in before]

    def delete(self, collection_id):
        """Delete a collection and its list."""
        with self.db.session() as session:
            session.execute(delete(CollectionTrial).where(
                CollectionTrial.collection_id == check_id(collection_id)))
            session.execute(delete(Collection).where(Collection.id == collection_id))

    def viewed(self, collection_id):
        """Note that a reader asked for the collection, at most once per VIEW_EVERY."""
        now = self.clock()
        with self.db.session() as session:
            session.execute(update(Collection).where(
                Collection.id == collection_id,
                or_(Collection.viewed_at.is_(None), Collection.viewed_at < now - VIEW_EVERY))
                .values(viewed_at=now))

    def cold(self, nct_ids):
        """Those of `nct_ids` never harvested (no record yet, or never a refresh)."""
        if not nct_ids:
            return []
        canonical = dict(zip(nct_ids, bulk.canonical(self.db, nct_ids, keep_order=True)))
        warm = set()
        with self.db.session() as session:
            for part in bulk.chunks(set(canonical.values())):
                warm.update(session.scalars(select(Trial.nct_id).where(
                    Trial.nct_id.in_(part), Trial.harvested_at.is_not(None))))
        return [nct_id for nct_id in nct_ids if canonical[nct_id] not in warm]

    def due(self, harvested_before, limit):
        """Trial IDs of collections read within VIEWED_WITHIN whose attention was harvested
        before `harvested_before` (or never), with no refresh under way; never harvested first."""
        now = self.clock()
        with self.db.session() as session:
            query = (
                select(CollectionTrial.nct_id)
                .join(Collection, Collection.id == CollectionTrial.collection_id)
                .outerjoin(TrialAlias, TrialAlias.alias == CollectionTrial.nct_id)
                .outerjoin(Trial, Trial.nct_id == func.coalesce(TrialAlias.nct_id,
                                                               CollectionTrial.nct_id))
                .outerjoin(Work, Work.nct_id == CollectionTrial.nct_id)
                .where(Collection.viewed_at >= now - VIEWED_WITHIN,
                       or_(Trial.harvested_at.is_(None), Trial.harvested_at < harvested_before),
                       or_(Work.state.is_(None), Work.state == "done",
                           (Work.state == "failed") & or_(Work.error_status.is_(None),
                                                          Work.error_status != 404)))
                .group_by(CollectionTrial.nct_id)
                .order_by(func.min(Trial.harvested_at).is_not(None), func.min(Trial.harvested_at))
                .limit(limit))
            return list(session.scalars(query))


def _put_trials(session, collection_id, nct_ids):
    """The collection's list, in order."""
    session.add_all(CollectionTrial(collection_id=collection_id, nct_id=nct_id, position=index)
                    for index, nct_id in enumerate(nct_ids))


def totals(entries):
    """What a collection adds up to: trials, their scores, mentions by kind, trials with
    attention, and how many are still being looked up or collected."""
    kinds = dict.fromkeys(KINDS, 0)
    score = with_attention = pending = collecting = failed = 0
    for entry in entries:
        if entry.get("error"):
            failed += 1
            continue
        if entry.get("pending"):
            pending += 1
            continue
        collecting += entry.get("state") == "collecting"
        score += entry.get("score") or 0
        for kind, count in (entry.get("kinds") or {}).items():
            if kind in kinds and isinstance(count, int):
                kinds[kind] += count
        with_attention += any((entry.get("kinds") or {}).get(k) for k in ATTENTION_KINDS)
    return {"trials": len(entries), "score": score, "kinds": kinds,
            "mentions": sum(kinds[kind] for kind in ATTENTION_KINDS),
            "with_attention": with_attention, "pending": pending, "collecting": collecting,
            "errors": failed}


def payload(collection, nct_ids, entries, base_url, totals, offset, limit):
    """A collection as the API gives it: its fields, links, all its IDs, the `totals` of all
    its trials and the compact documents `entries` of `limit` of them from `offset`, with
    the address of the next such page (None on the last)."""
    url = f"{base_url}/collections/{collection.id}"
    api_url = f"{base_url}/api/v1/collections/{collection.id}"
    more = offset + limit < len(nct_ids)
    return {"id": collection.id, "name": collection.name, "url": url, "api_url": api_url,
            "feed_url": f"{url}/feed.atom",
            "created_at": collection.created_at.isoformat(),
            "updated_at": collection.updated_at.isoformat(),
            "nct_ids": nct_ids, "totals": totals, "offset": offset, "limit": limit,
            "next_url": f"{api_url}?offset={offset + limit}&limit={limit}" if more else None,
            "trials": entries}
