"""The attention sources, registered in one list; a new source is registered the same way."""

import logging

from trialbuzz.attention.sources.altmetric import Altmetric
from trialbuzz.attention.sources.bluesky import Bluesky
from trialbuzz.attention.sources.ctgov import CtGovReferences
from trialbuzz.attention.sources.europepmc import EuropePmc
from trialbuzz.attention.sources.gdelt import Gdelt
from trialbuzz.attention.sources.hackernews import HackerNews
from trialbuzz.attention.sources.pubmed import PubMed
from trialbuzz.attention.sources.reddit import Reddit
from trialbuzz.attention.sources.wikipedia import Wikipedia

log = logging.getLogger(__name__)

REGISTRY = []


def register(source_class):
    """Add a Source subclass to the registry (usable as a class decorator)."""
    if any(known.id == source_class.id for known in REGISTRY):
        raise ValueError(f"a source with id {source_class.id!r} is already registered")
    REGISTRY.append(source_class)
    return source_class


for _builtin in (CtGovReferences, EuropePmc, PubMed, Wikipedia, HackerNews, Reddit, Gdelt,
                 Bluesky, Altmetric):
    register(_builtin)


def enabled_ids(settings):
    """The sources to run: `SOURCES` when set, else every keyless one plus those given a key."""
    if settings.get("SOURCES"):
        return [sid for sid in settings["SOURCES"] if any(c.id == sid for c in REGISTRY)]
    return [c.id for c in REGISTRY if not c.key_setting or settings.get(c.key_setting)]


def build(settings, storage=None, streams=False):
    """Instances of the enabled sources that can run with these settings: those a trial's
    refresh asks, or with `streams` those that file posts as they arrive."""
    wanted = set(enabled_ids(settings))
    for source_class in REGISTRY:
        idle = status_of_idle(source_class, settings)
        if idle:
            log.info("source %s is off: %s", source_class.id, idle)
    return [cls(settings, storage=storage) for cls in REGISTRY
            if cls.id in wanted and cls.available(settings) and cls.stream == streams]


def status_of_idle(source_class, settings):
    """Why a registered source is not running: the reason shown as its status."""
    if source_class.key_setting and not settings.get(source_class.key_setting):
        return f"needs TRIALBUZZ_{source_class.key_setting}"
    if not source_class.available(settings):
        return f"TRIALBUZZ_{source_class.switch_setting}=1 turns it on"
    if source_class.id not in enabled_ids(settings):
        return "not enabled (TRIALBUZZ_SOURCES)"
    return None
