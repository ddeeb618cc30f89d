"""What the processes of one deployment share through Redis when REDIS_URL is set."""

import hashlib


def namespace(settings):
    """The prefix of this deployment's Redis keys."""
    # Per deployment (a digest of its database URL): deployments sharing one Redis keep their
    # own paces, client budgets and cache generations, and no credential shows in a key.
    digest = hashlib.sha256(str(settings["DATABASE_URL"]).encode()).hexdigest()[:16]
    return f"trialbuzz:{digest}:"


def require_redis():
    """The redis client library, or a clear error naming the extra that installs it."""
    try:
        import redis
    except ImportError:
        raise RuntimeError("REDIS_URL is set but the redis library is missing: "
                           "pip install 'trialbuzz[redis]'") from None
    return redis


def client_options():
    """Options of every Redis connection: a Redis that is down fails a call within about a
    second instead of holding a request through redis-py's default ten retries."""
    redis = require_redis()
    NoBackoff, Retry = redis.backoff.NoBackoff, redis.retry.Retry

    # One immediate retry: a pooled connection closed by a Redis restart is reopened.
    return {"socket_connect_timeout": 1.0, "socket_timeout": 1.0, "retry": Retry(NoBackoff(), 1)}


def is_redis(url):
    """Whether a storage URL names a Redis server."""
    return str(url or "").split(":", 1)[0] in ("redis", "rediss", "redis+unix")


def connect(settings):
    """A Redis client for REDIS_URL, or None when it is empty (everything stays in memory)."""
    if not settings.get("REDIS_URL"):
        return None
    return require_redis().Redis.from_url(settings["REDIS_URL"], **client_options())


def pace_storage(settings):
    """The `limits` storage every upstream's pace is counted in: Redis when REDIS_URL is set
    (so all processes together keep each pace), else None (each pace in its own memory)."""
    if not settings.get("REDIS_URL"):
        return None
    from limits.storage import storage_from_string

    return storage_from_string(settings["REDIS_URL"], key_prefix=namespace(settings) + "pace",
                               wrap_exceptions=True, **client_options())


def client_limit_storage(settings):
    """Where the per-client limits are counted: RATE_LIMIT_STORAGE_URL, which defaults to
    REDIS_URL when that is set; and the options of that storage."""
    url = settings.get("RATE_LIMIT_STORAGE_URL") or "memory://"
    if url == "memory://" and settings.get("REDIS_URL"):
        url = settings["REDIS_URL"]
    if not is_redis(url):
        return url, {}
    return url, {"key_prefix": namespace(settings) + "clients", **client_options()}
