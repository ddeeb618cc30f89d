"""Reddit: posts naming a trial or linking its study page, asked per trial by search and swept
for the whole registry through the listing of links to ClinicalTrials.gov.

Keyless calls go to www.reddit.com at Reddit's unauthenticated pace (10 a minute). With
REDDIT_CLIENT_ID and REDDIT_CLIENT_SECRET the source takes an application-only OAuth token
("client_credentials"), kept until it expires and renewed when Reddit answers 401, and calls
oauth.reddit.com at 100 a minute. Reddit refuses anonymous clients more and more (403, 429):
either ends as a source status with a message saying what to do, never as a crash."""

import logging
import re
import threading
import time
from datetime import datetime, timezone

from trialbuzz.attention.sources.base import (
    Found,
    Mention,
    Source,
    count,
    parse_datetime,
    plain_text,
    safe_url,
)
from trialbuzz.attention.sources.sweeping import SweptPage, ids_in, when
from trialbuzz.attention.words import SOURCES
from trialbuzz.errors import UpstreamBadResponse, UpstreamError, UpstreamUnavailable
from trialbuzz.upstream import Upstream

log = logging.getLogger(__name__)
# Reddit's own pace: 10 calls a minute without OAuth, 100 with (Data API terms, July 2023).
ANONYMOUS_RATE = "10/minute"
OAUTH_RATE = "100/minute"
LIMIT = 100
# Pages of one per-trial search: 300 posts naming one trial is far beyond any trial.
MAX_PAGES = 3
# A listing serves about 1,000 items whatever the paging: ten pages of 100.
MAX_SWEEP_PAGES = 10
# What a sweep reads, newest first: link posts to the registry, then searches for posts naming
# an ID or the registry's address in their text (Reddit's expansion of `NCT*` is not checked
# live).
SWEEP_LISTINGS = (
    ("/domain/clinicaltrials.gov/new", {}),
    ("/search", {"q": "NCT*", "sort": "new", "type": "link"}),
    ("/search", {"q": '"clinicaltrials.gov"', "sort": "new", "type": "link"}),
)
# Reddit's character rules: subreddits 2-21 letters, digits and underscores (the oldest have
# two letters); user names 3-20 letters, digits, underscores and hyphens; post IDs base 36.
SUBREDDIT = re.compile(r"[A-Za-z0-9][A-Za-z0-9_]{1,20}")
USERNAME = re.compile(r"[A-Za-z0-9_-]{3,20}")
POST_ID = re.compile(r"[a-z0-9]{1,13}")
PERMALINK = re.compile(r"/r/([A-Za-z0-9][A-Za-z0-9_]{1,20})/comments/([a-z0-9]{1,13})"
                       r"(?:/[A-Za-z0-9_%.~-]{0,300})?/?")
# A token is renewed this long before Reddit says it expires.
TOKEN_MARGIN = 60.0
# Reddit launched in June 2005.
REDDIT_ORIGIN = datetime(2005, 6, 1, tzinfo=timezone.utc)


class Reddit(Source):
    """Reddit posts (titles, text and links) naming the trial or linking its study page."""

    id = "reddit"
    name = SOURCES[id]
    about = "Reddit posts naming the trial or linking its study page."
    kinds = ("forum",)
    url_setting = "REDDIT_URL"
    rate = ANONYMOUS_RATE
    sweep_origin = REDDIT_ORIGIN

    def __init__(self, settings, storage=None):
        super().__init__(settings, storage=storage)
        self.client_id = settings.get("REDDIT_CLIENT_ID") or ""
        self.client_secret = settings.get("REDDIT_CLIENT_SECRET") or ""
        self.oauth = bool(self.client_id and self.client_secret)
        self.max_wait = settings["UPSTREAM_MAX_RETRY_AFTER"]
        if self.oauth:
            rates = settings.get("SOURCE_RATES") or {}
            rate = rates.get(self.id, rates.get("*", OAUTH_RATE))
            self.upstream = Upstream(self.name, settings["REDDIT_OAUTH_URL"], settings,
                                     rate=rate or None, storage=storage,
                                     retry_statuses=self.retry_statuses, key=self.id)
            # The token endpoint is not counted in the Data API's pace.
            self.auth = Upstream(self.name, settings["REDDIT_AUTH_URL"], settings)
        self._token = None          # (access token, monotonic time it is renewed at)
        self._resume_at = 0.0       # monotonic time before which Reddit asked us not to call
        self._lock = threading.Lock()

    @classmethod
    def mode(cls, settings):
        """Keyless or OAuth, and the pace that gives."""
        if settings.get("REDDIT_CLIENT_ID") and settings.get("REDDIT_CLIENT_SECRET"):
            return "OAuth app, 100 calls a minute"
        return ("keyless, 10 calls a minute (Reddit may refuse it: TRIALBUZZ_REDDIT_CLIENT_ID "
                "and TRIALBUZZ_REDDIT_CLIENT_SECRET use OAuth, 100 a minute)")

    # --- calls ---------------------------------------------------------------------------

    def listing(self, path, params, deadline=None):
        """One page of a Reddit listing: (children, `after` of the next page or None)."""
        data = self._call(path, {**params, "limit": LIMIT, "raw_json": 1}, deadline)
        body = data.get("data") if isinstance(data, dict) else None
        children = body.get("children") if isinstance(body, dict) else None
        if not isinstance(children, list) or data.get("kind") != "Listing":
            raise UpstreamBadResponse(f"{self.name} answered without a listing")
        after = body.get("after")
        return children, after if isinstance(after, str) and after else None

    def _call(self, path, params, deadline):
        """GET a listing path (`.json` added without OAuth), its JSON decoded; a refusal is
        an error saying what it means; Reddit's own pace headers are kept."""
        self._wait_out(deadline)
        for attempt in range(2):
            headers = {}
            if self.oauth:
                headers["Authorization"] = "bearer " + self._access_token(deadline)
            response = self.upstream.get(path if self.oauth else path + ".json", params=params,
                                         deadline=deadline, headers=headers)
            self._note_pace(response)
            if response.status_code == 401 and self.oauth and attempt == 0:
                # The token expired early or was revoked: one new token, one more try.
                with self._lock:
                    self._token = None
                continue
            break
        self._refused(response)
        return self.upstream.json(response)

    def _wait_out(self, deadline):
        """Wait until Reddit's window reopens when it is near; else report the limit at once."""
        wait = self._resume_at - time.monotonic()
        if wait <= 0:
            return
        if wait <= self.max_wait and (deadline is None or time.monotonic() + wait < deadline):
            time.sleep(wait)
            return
        raise UpstreamUnavailable(self._limited_message(f"asked us to wait {wait:.0f} s"),
                                  code="upstream_rate_limited", retry_after=int(wait) + 1)

    def _note_pace(self, response):
        """Remember when Reddit's window reopens: after a 429 (Retry-After, else
        x-ratelimit-reset), or once x-ratelimit-remaining says the window is spent."""
        reset = _seconds(response.headers.get("Retry-After")) if response.status_code == 429 \
            else None
        if reset is None:
            remaining = _number(response.headers.get("x-ratelimit-remaining"))
            if response.status_code == 429 or (remaining is not None and remaining < 1):
                reset = _seconds(response.headers.get("x-ratelimit-reset"))
        if reset is not None:
            self._resume_at = max(self._resume_at, time.monotonic() + reset)

    def _refused(self, response):
        """Raise the error a 401, 403 or 429 answer means, in words an operator can act on."""
        status = response.status_code
        if status == 429:
            wait = _seconds(response.headers.get("Retry-After")) or _seconds(
                response.headers.get("x-ratelimit-reset"))
            raise UpstreamUnavailable(self._limited_message("answered 429"),
                                      code="upstream_rate_limited",
                                      retry_after=int(wait) if wait is not None else None)
        if status == 403 and not self.oauth:
            log.warning("Reddit refused anonymous access (HTTP 403); set "
                        "TRIALBUZZ_REDDIT_CLIENT_ID and TRIALBUZZ_REDDIT_CLIENT_SECRET")
            raise UpstreamError(f"{self.name} refused anonymous access (HTTP 403); set "
                                "TRIALBUZZ_REDDIT_CLIENT_ID and TRIALBUZZ_REDDIT_CLIENT_SECRET "
                                "to call it with OAuth")
        if status in (401, 403):
            raise UpstreamError(f"{self.name} refused our OAuth token (HTTP {status}); check "
                                "that the app of TRIALBUZZ_REDDIT_CLIENT_ID may use the Data "
                                "API")

    def _limited_message(self, what):
        advice = "" if self.oauth else ("; OAuth (TRIALBUZZ_REDDIT_CLIENT_ID and "
                                        "TRIALBUZZ_REDDIT_CLIENT_SECRET) allows 100 calls a "
                                        "minute")
        return f"{self.name} is rate-limiting us ({what}){advice}"

    def _access_token(self, deadline):
        """The application-only token, asked for when there is none or it is about to expire."""
        with self._lock:
            if self._token and time.monotonic() < self._token[1]:
                return self._token[0]
            response = self.auth.post("", data={"grant_type": "client_credentials"},
                                      auth=(self.client_id, self.client_secret),
                                      deadline=deadline)
            if response.status_code in (400, 401, 403):
                raise UpstreamError(f"{self.name} refused our OAuth credentials (HTTP "
                                    f"{response.status_code}); check TRIALBUZZ_REDDIT_CLIENT_ID "
                                    "and TRIALBUZZ_REDDIT_CLIENT_SECRET")
            data = self.auth.json(response)
            token = data.get("access_token") if isinstance(data, dict) else None
            if not isinstance(token, str) or not re.fullmatch(r"[\x21-\x7e]{1,2048}", token):
                error = data.get("error") if isinstance(data, dict) else None
                if isinstance(error, str) and re.fullmatch(r"[a-z_]{1,40}", error):
                    raise UpstreamError(f"{self.name} refused our OAuth credentials "
                                        f"({error}); check TRIALBUZZ_REDDIT_CLIENT_ID and "
                                        "TRIALBUZZ_REDDIT_CLIENT_SECRET")
                raise UpstreamBadResponse(f"{self.name} answered the token request without "
                                          "a token")
            lifetime = count(data.get("expires_in"))
            lifetime = 3600 if lifetime is None else lifetime
            self._token = (token, time.monotonic() + max(0.0, lifetime - TOKEN_MARGIN))
            return token

    # --- per trial -------------------------------------------------------------------------

    def queries(self, nct_id):
        """The searches sent for one trial: the ID as a phrase, then links naming it (`url:`
        is not checked live)."""
        return [{"q": f'"{nct_id}"', "sort": "new", "type": "link"},
                {"q": f"url:{nct_id}", "sort": "new", "type": "link"}]

    def find(self, trial, deadline=None):
        """Every post naming the trial once, however many searches found it; posts a search
        returned that do not name it (Reddit's search is loose) are left out."""
        found, seen = Found(), set()
        for query in self.queries(trial.nct_id):
            after = None
            for _ in range(MAX_PAGES):
                children, after = self.listing("/search", {**query, **(
                    {"after": after} if after else {})}, deadline)
                for child in children:
                    post = _post(child)
                    if post is None:
                        found.skipped += 1
                    elif post["id"] not in seen and trial.nct_id in ids_in(
                            post.get("url"), post.get("title"), post.get("selftext")):
                        seen.add(post["id"])
                        found.read(self._mention, post)
                if not after or not children:
                    break
        return found

    def _mention(self, post):
        """One post as a Mention; None when it has no link Reddit would answer."""
        subreddit = post.get("subreddit")
        subreddit = subreddit if isinstance(subreddit, str) and SUBREDDIT.fullmatch(
            subreddit) else None
        permalink = post.get("permalink")
        shape = PERMALINK.fullmatch(permalink) if isinstance(permalink, str) else None
        if shape and shape.group(2) == post["id"]:
            url = safe_url("https://www.reddit.com" + permalink)
        else:
            url = safe_url(f"https://www.reddit.com/comments/{post['id']}/")
        author = post.get("author")
        author = author if isinstance(author, str) and USERNAME.fullmatch(author) else None
        created = post.get("created_utc")
        published = parse_datetime(created) if isinstance(created, (int, float)) and not \
            isinstance(created, bool) else None
        link = None if post.get("is_self") is True else safe_url(post.get("url"))
        return Mention(
            source=self.id, kind="forum", external_id=post["id"], url=url,
            title=plain_text(post.get("title"), limit=300), author=author,
            published_at=published,
            snippet=plain_text(post.get("selftext")) or link,
            extra={"comment": False, "subreddit": subreddit, "score": _score(post.get("score")),
                   "num_comments": _count(post.get("num_comments")), "link": link},
        )

    # --- sweeps ----------------------------------------------------------------------------

    def sweep_pages(self, scope, run, deadline=None):
        """Each listing newest first, paged with `after`, until its items are older than the
        run's `since`, it ends, or its ~1,000 items are read. A listing that ends before
        `since` leaves a gap before its oldest item: the run then does not claim the history
        (no `from_origin`, no `joins`), so trials are still searched one by one."""
        run = dict(run)
        since = when(run["since"]).timestamp()
        while run.setdefault("listing", 0) < len(SWEEP_LISTINGS):
            path, params = SWEEP_LISTINGS[run["listing"]]
            after, pages = run.get("after"), run.get("pages", 0)
            children, following = self.listing(path, {**params, **(
                {"after": after} if after else {})}, deadline)
            page = SweptPage()
            oldest = None
            for child in children:
                created = self._sweep_post(child, page)
                if created is not None:
                    oldest = created if oldest is None else min(oldest, created)
            pages += 1
            reached = oldest is not None and oldest < since
            read = run.get("read", False) or bool(children)
            if following and children and not reached and pages < MAX_SWEEP_PAGES:
                run = {**run, "after": following, "pages": pages, "read": read}
            else:
                if read and not reached:
                    # The listing stopped before the window's start: what lies between is not
                    # read, so the run cannot say it covers the history.
                    run = {**run, "from_origin": False, "joins": False, "gap": True}
                listing = run["listing"] + 1
                run = {**run, "listing": listing, "after": None, "pages": 0, "read": False,
                       "done": listing >= len(SWEEP_LISTINGS)}
            page.run = run
            yield page

    def _sweep_post(self, child, page):
        """File one post under the IDs its link, title or text names; its time, if known."""
        post = _post(child)
        if post is None:
            page.skipped += 1
            return None
        created = post.get("created_utc")
        created = float(created) if isinstance(created, (int, float)) and not isinstance(
            created, bool) else None
        ids = ids_in(post.get("url"), post.get("title"), post.get("selftext"))
        if not ids:
            page.skipped += 1
            return created
        found = Found()
        mention = found.read(self._mention, post)
        if mention is None:
            page.skipped += 1
        else:
            page.found.append((ids, mention))
        return created


def _post(child):
    """The data of a `t3` listing child with a valid post ID, else None."""
    if not isinstance(child, dict) or child.get("kind") != "t3":
        return None
    data = child.get("data")
    if not isinstance(data, dict):
        return None
    post_id = data.get("id")
    return data if isinstance(post_id, str) and POST_ID.fullmatch(post_id) else None


def _count(value):
    """A non-negative whole number from the post (digits sent as a string are not), or None."""
    return count(value) if isinstance(value, int) else None


def _score(value):
    """A post's score: a whole number, negative when it was voted down; else None."""
    if isinstance(value, bool) or not isinstance(value, int) or abs(value) >= 10 ** 12:
        return None
    return value


def _number(value):
    """A header's number (Reddit sends `x-ratelimit-remaining` as "598.0"), or None."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if 0 <= number < 10 ** 9 else None


def _seconds(value):
    """Seconds from a Retry-After or x-ratelimit-reset header (a number), or None."""
    number = _number(value.strip() if isinstance(value, str) else value)
    return number if number is not None and number <= 86400 else None
