"""Time in one place, so that tests can fix it."""

from datetime import datetime, timezone


def utcnow():
    """The current time, timezone-aware, in UTC."""
    return datetime.now(timezone.utc)


def aware(moment):
    """Treat a naive datetime read back from the database as UTC."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment
