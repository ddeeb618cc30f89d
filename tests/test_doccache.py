"""The document cache: entries expire, are invalidated per trial, and never outlive a change."""

import time

from trialbuzz.doccache import DocumentCache


def test_an_entry_is_served_until_its_trial_changes():
    cache = DocumentCache()
    cache.put("k", "NCT1", "doc", cache.generation("NCT1"))
    assert cache.get("k") == "doc"
    cache.invalidate("NCT1")
    assert cache.get("k") is None


def test_a_document_built_before_a_change_is_not_stored_after_it():
    cache = DocumentCache()
    generation = cache.generation("NCT1")     # read before the store is read
    cache.invalidate("NCT1")                  # a refresh lands while the document is built
    cache.put("k", "NCT1", "old doc", generation)
    assert cache.get("k") is None


def test_entries_expire_and_the_least_recently_used_go_first():
    cache = DocumentCache(size=2, ttl=0.2)
    for key in ("a", "b", "c"):
        cache.put(key, "NCT1", key, cache.generation("NCT1"))
    assert cache.get("a") is None and cache.get("c") == "c"
    time.sleep(0.25)
    assert cache.get("c") is None


def test_other_trials_are_untouched_by_an_invalidation():
    cache = DocumentCache()
    cache.put("k2", "NCT2", "doc2", cache.generation("NCT2"))
    cache.invalidate("NCT1")
    assert cache.get("k2") == "doc2"
