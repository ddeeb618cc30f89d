"""The attention sources, registered in one list; a new source is registered the same way."""

import logging

from trialbuzz.attention.sources.altmetric import Altmetric
from trialbuzz.attention.sources.bluesky import Bluesky
from trialbuzz.attention.sources.crossref import Crossref
from trialbuzz.attention.sources.ctgov import CtGovReferences
from trialbuzz.attention.sources.europepmc import EuropePmc
from trialbuzz.attention.sources.feeds import Feeds
from trialbuzz.attention.sources.gdelt import Gdelt
from trialbuzz.attention.sources.hackernews import HackerNews
from trialbuzz.attention.sources.mastodon import Mastodon
from trialbuzz.attention.sources.openalex import OpenAlex
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


for _builtin in (CtGovReferences, EuropePmc, PubMed, Crossref, OpenAlex, Wikipedia, HackerNews,
                 Reddit, Gdelt, Feeds, Bluesky, Mastodon, Altmetric):
    register(_builtin)


def enabled_ids(settings):
    """The sources to run: `SOURCES` when set, else every one that needs no key or address
    plus those given theirs."""
    if settings.get("SOURCES"):
        return [sid for sid in settings["SOURCES"] if any(c.id == sid for c in REGISTRY)]
    return [c.id for c in REGISTRY if not c.unconfigured(settings)]


def build(settings, storage=None, streams=False):
    """Instances of the enabled sources that can run with these settings: those a trial's
    refresh asks, or with `streams` those that file posts as they arrive."""
    wanted = set(enabled_ids(settings))
    for source_class in REGISTRY:
        idle = status_of_idle(source_class, settings)
        if idle:
            log.info("source %s is off: %s", source_class.id, idle)
    return [cls(settings, storage=storage) for cls in REGISTRY
            if cls.id in wanted and (cls.streams(settings) if streams
                                     else cls.searches(settings))]


def status_of_idle(source_class, settings):
    """Why a registered source is not running, for the operator: the reason shown as its
    status ("not configured" names the settings it still needs)."""
    missing = source_class.unconfigured(settings)
    if missing:
        return "not configured (needs " + " and ".join(
            f"TRIALBUZZ_{name}" for name in missing) + ")"
    if getattr(source_class, "sweep_only", False) and not settings.get("SWEEP_EVERY"):
        return "read only by sweeps, which are off (TRIALBUZZ_SWEEP_EVERY=0)"
    unusable = source_class.unusable(settings)
    if unusable:
        return unusable
    if not source_class.available(settings):
        return f"TRIALBUZZ_{source_class.switch_setting}=1 turns it on"
    if source_class.id not in enabled_ids(settings):
        return "not enabled (TRIALBUZZ_SOURCES)"
    return None
