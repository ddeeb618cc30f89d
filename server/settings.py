"""Settings: defaults, then `TRIALBUZZ_<NAME>` environment variables, then the mapping given to create_app."""

import os

ENV_PREFIX = "TRIALBUZZ_"

DEFAULTS = {
    # Storage; None means a SQLite file in the instance folder.
    "DATABASE_URL": None,
    # Base URL that the bookmarklet and embeds point at; None means the request's origin.
    "PUBLIC_URL": None,
    # Operator e-mail or URL, sent in the User-Agent (Wikimedia and NCBI ask for one).
    "CONTACT": "",
    # Enabled attention sources; None means every source that needs no key.
    "SOURCES": None,
    # Seconds a harvested document stays fresh.
    "FRESHNESS": 6 * 3600,
    # Seconds a ClinicalTrials.gov record stays fresh (the registry updates at most daily).
    "TRIAL_FRESHNESS": 24 * 3600,
    # host:port pairs the page fetcher may reach even on private addresses.
    "FETCH_ALLOW_HOSTS": [],
    # Page fetcher limits.
    "FETCH_CONNECT_TIMEOUT": 5.0,
    "FETCH_TOTAL_TIMEOUT": 10.0,
    "FETCH_MAX_BYTES": 2 * 1024 * 1024,
    "FETCH_MAX_REDIRECTS": 5,
    # Page resolutions at once (more are told to retry), and pages read at once: together they
    # keep server threads free for other routes however many pages clients ask to resolve.
    "PAGES_IN_FLIGHT": 8,
    "PAGE_READERS": 2,
    # Upstream HTTP behaviour.
    "UPSTREAM_CONNECT_TIMEOUT": 5.0,
    "UPSTREAM_READ_TIMEOUT": 15.0,
    "UPSTREAM_RETRIES": 3,
    "UPSTREAM_BACKOFF": 0.5,
    # The largest answer read from an upstream service.
    "UPSTREAM_MAX_BYTES": 20 * 1024 * 1024,
    # The longest Retry-After we are willing to sleep for inside one request.
    "UPSTREAM_MAX_RETRY_AFTER": 10.0,
    # Upstream base URLs: every one is a setting so that tests can point them at fakes.
    "CTGOV_URL": "https://clinicaltrials.gov",
    # Our own pace towards ClinicalTrials.gov (robots.txt asks for a crawl delay of 1 s).
    "CTGOV_RATE": "2/second",
    "EUROPEPMC_URL": "https://www.ebi.ac.uk/europepmc/webservices/rest",
    "PUBMED_URL": "https://eutils.ncbi.nlm.nih.gov/entrez/eutils",
    "WIKIPEDIA_URL": "https://{lang}.wikipedia.org/w/api.php",
    "WIKIPEDIA_LANGUAGES": ["en"],
    "HN_URL": "https://hn.algolia.com/api/v1",
    "GDELT_URL": "https://api.gdeltproject.org/api/v2/doc/doc",
    "ALTMETRIC_URL": "https://api.altmetric.com/v1",
    # Crossref's REST API (its polite pool when CONTACT holds an e-mail address).
    "CROSSREF_URL": "https://api.crossref.org",
    "OPENALEX_URL": "https://api.openalex.org",
    # Reddit: keyless calls to REDDIT_URL (10 a minute); with an OAuth app's id and secret, an
    # application-only token from REDDIT_AUTH_URL and calls to REDDIT_OAUTH_URL (100 a minute).
    "REDDIT_URL": "https://www.reddit.com",
    "REDDIT_OAUTH_URL": "https://oauth.reddit.com",
    "REDDIT_AUTH_URL": "https://www.reddit.com/api/v1/access_token",
    "REDDIT_CLIENT_ID": "",
    "REDDIT_CLIENT_SECRET": "",
    # Bluesky's public firehose (Jetstream), read when BLUESKY_STREAM is on, and the public
    # AppView that names a post's author.
    "BLUESKY_STREAM": False,
    "BLUESKY_JETSTREAM_URL": "wss://jetstream2.us-east.bsky.network/subscribe",
    "BLUESKY_APPVIEW_URL": "https://public.api.bsky.app",
    # An account's handle and app password turn on Bluesky's search for each trial (search
    # needs a login since January 2025): it finds posts written before the stream ran.
    "BLUESKY_HANDLE": "",
    "BLUESKY_APP_PASSWORD": "",
    "BLUESKY_PDS_URL": "https://bsky.social",
    # News and blog feeds (RSS, Atom): the operator's list (a TOML file; empty: the list shipped
    # in the package), a few more URLs ("[news|blog] URL [name]", comma-separated), seconds
    # between polls of each feed, and the largest feed read.
    "FEEDS_FILE": "",
    "FEEDS": [],
    "FEEDS_EVERY": 3600,
    "FEEDS_MAX_BYTES": 4 * 1024 * 1024,
    "ALTMETRIC_KEY": "",
    # Mastodon, off until both are given: an instance's base URL (https://mastodon.example)
    # and a user access token of that instance with the read:search scope.
    "MASTODON_URL": "",
    "MASTODON_TOKEN": "",
    # OpenAlex, off until given the operator's free key (required since 13 February 2026).
    "OPENALEX_KEY": "",
    "NCBI_API_KEY": "",
    # Upstream lookups per client (a trial not yet harvested, a forced refresh, a page fetch;
    # a batch counts each of its new trials); a `limits` string, or empty to turn them off.
    # The minute's budget admits the largest request, an embed batch of 50 new trials.
    "CLIENT_UPSTREAM_LIMIT": "60/minute;600/hour",
    # Where those limits are counted: memory (one process) or a Redis URL (several); left at
    # memory, REDIS_URL is used when that is set.
    "RATE_LIMIT_STORAGE_URL": "memory://",
    # Reverse proxies in front of the app whose X-Forwarded-For is trusted.
    "TRUSTED_PROXIES": 0,
    # How far back GDELT looks (it keeps about three months of news).
    "GDELT_TIMESPAN": "3m",
    # Seconds a request for a trial not yet harvested waits; slower sources finish afterwards.
    "COLD_WAIT": 5.0,
    # Seconds the details page waits for a trial not yet harvested before it answers with a
    # page that shows progress and fills in as the sources answer: a reader sees something
    # at once rather than a blank tab for COLD_WAIT.
    "PAGE_WAIT": 1.0,
    # Requests waiting on cold trials at once (each holds a server thread); the others answer
    # at once with what is known.
    "COLD_WAITERS": 8,
    # A Redis URL shared by every process of one deployment: the job queue, sources' paces,
    # per-client limits, document cache invalidation. Empty: a SQLite queue beside the database
    # and the rest in each process's memory. Jobs run in the server's own threads unless
    # EMBEDDED_WORKER is off (then `trialbuzz worker` processes run them).
    "REDIS_URL": "",
    "EMBEDDED_WORKER": True,
    "WORKER_THREADS": 4,
    # Seconds a running refresh holds its lease (renewed while it runs); when a worker dies,
    # the schedule queues its work again once the lease has passed.
    "WORK_LEASE": 30,
    # Seconds a queued refresh may wait to be started before it is taken as lost and queued again.
    "WORK_QUEUE_TIMEOUT": 300,
    # Seconds before a failed refresh or source is tried again (doubling, for a source, up to
    # FRESHNESS).
    "SOURCE_RETRY": 60,
    # Seconds an assembled document is kept in memory (it is dropped at once when a refresh
    # in this process changes it; the limit bounds how long other processes' refreshes hide).
    "DOCUMENT_CACHE_SECONDS": 30.0,
    # Bounds of that cache: documents held, and their approximate size in memory in all.
    "DOCUMENT_CACHE_ENTRIES": 2048,
    "DOCUMENT_CACHE_BYTES": 64 * 1024 * 1024,
    # Seconds the counts behind a score's context (its percentile and rank) are kept; and how
    # many trials with attention, overall or in a cohort, it takes to give one.
    "CONTEXT_SECONDS": 60.0,
    "CONTEXT_MINIMUM": 20,
    # Seconds the total of an Explorer query is kept per process (pages of the same filters,
    # in any order, are then not counted again; a store in the process forgets them); 0: never.
    "EXPLORE_TOTALS_SECONDS": 5.0,
    # Seconds between registry-wide sweeps of each source that can sweep (every mention of any
    # study, since the last sweep); 0 turns sweeps off and every source is asked per trial.
    "SWEEP_EVERY": 86400,
    # Seconds one sweep job works before it lets other jobs run (the next one resumes it).
    "SWEEP_SLICE": 300,
    # Europe PMC's Annotations API: which accession numbers an article names.
    "EUROPEPMC_ANNOTATIONS_URL": "https://www.ebi.ac.uk/europepmc/annotations_api",
    # Seconds one source may take within a refresh before it is reported as timed out.
    "SOURCE_DEADLINE": 20.0,
    # Per-source pace overrides, e.g. {"pubmed": "10/second"}; "*" applies to every source.
    "SOURCE_RATES": {},
    # Threads running source calls, shared by all refreshes.
    "HARVEST_THREADS": 16,
    # Trials a collection may hold, and collections one client may make (a `limits` string;
    # empty for no limit).
    "COLLECTION_MAX_TRIALS": 500,
    "COLLECTION_CREATE_LIMIT": "10/hour",
    # Score weights per kind; forum_comment applies to forum comments, Wikipedia is flat.
    "SCORE_WEIGHTS": {"news": 8, "blog": 5, "policy": 3, "wikipedia": 3, "social": 1,
                      "forum": 1, "forum_comment": 0.25, "video": 0.25, "publication": 0},
}

# Settings that hold lists; given as comma-separated strings in the environment.
LIST_SETTINGS = ("SOURCES", "FETCH_ALLOW_HOSTS", "WIKIPEDIA_LANGUAGES", "FEEDS")
FLOAT_SETTINGS = (
    "COLD_WAIT", "PAGE_WAIT", "DOCUMENT_CACHE_SECONDS", "CONTEXT_SECONDS", "EXPLORE_TOTALS_SECONDS", "SOURCE_DEADLINE", "FETCH_CONNECT_TIMEOUT", "FETCH_TOTAL_TIMEOUT", "UPSTREAM_CONNECT_TIMEOUT",
    "UPSTREAM_READ_TIMEOUT", "UPSTREAM_BACKOFF", "UPSTREAM_MAX_RETRY_AFTER",
)
INT_SETTINGS = ("DOCUMENT_CACHE_ENTRIES", "CONTEXT_MINIMUM", "DOCUMENT_CACHE_BYTES",
                "UPSTREAM_MAX_BYTES", "TRUSTED_PROXIES", "HARVEST_THREADS", "FRESHNESS", "TRIAL_FRESHNESS", "FETCH_MAX_BYTES", "FETCH_MAX_REDIRECTS",
                "UPSTREAM_RETRIES", "PAGES_IN_FLIGHT", "PAGE_READERS", "COLD_WAITERS",
                "WORKER_THREADS", "WORK_LEASE", "WORK_QUEUE_TIMEOUT", "SOURCE_RETRY",
                "COLLECTION_MAX_TRIALS", "SWEEP_EVERY", "SWEEP_SLICE", "FEEDS_EVERY",
                "FEEDS_MAX_BYTES")
BOOL_SETTINGS = ("EMBEDDED_WORKER", "BLUESKY_STREAM")


def _as_list(value):
    """Turn a comma-separated string (or a list) into a list of stripped, non-empty strings."""
    if value is None:
        return None
    if isinstance(value, str):
        value = value.split(",")
    return [str(item).strip() for item in value if str(item).strip()]


def _as_bool(value):
    """A boolean given as one, or as 1/0, true/false, yes/no, on/off."""
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return bool(value)


def _as_mapping(value, default):
    """A mapping given as a dict or as `key=value,key=value`, laid over `default`."""
    if isinstance(value, str):
        pairs = (item.split("=", 1) for item in value.split(",") if "=" in item)
        value = {key.strip(): raw.strip() for key, raw in pairs}
    merged = dict(default)
    for key, raw in (value or {}).items():
        merged[key] = float(raw) if isinstance(default.get(key), (int, float)) else raw
    return merged


def resolve(environ=None, overrides=None):
    """Return the effective settings: defaults, then the environment, then `overrides`."""
    environ = os.environ if environ is None else environ
    settings = dict(DEFAULTS)
    for name in DEFAULTS:
        if ENV_PREFIX + name in environ:
            settings[name] = environ[ENV_PREFIX + name]
    for name, value in (overrides or {}).items():
        settings[name] = value
    for name in LIST_SETTINGS:
        settings[name] = _as_list(settings[name])
    for name in FLOAT_SETTINGS:
        settings[name] = float(settings[name])
    for name in INT_SETTINGS:
        settings[name] = int(settings[name])
    for name in BOOL_SETTINGS:
        settings[name] = _as_bool(settings[name])
    for name in ("SOURCE_RATES", "SCORE_WEIGHTS"):
        settings[name] = _as_mapping(settings[name], DEFAULTS[name])
    if settings["PUBLIC_URL"]:
        settings["PUBLIC_URL"] = settings["PUBLIC_URL"].rstrip("/")
    return settings
