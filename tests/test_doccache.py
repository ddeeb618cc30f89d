"""The document cache: entries expire, are invalidated per trial, never outlive a change, and
stay within their bounds whatever clients ask for."""

import time

import upstreams
from trialbuzz.attention.doccache import DocumentCache, SharedGenerations, approximate_size


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


def big_document(n, mentions=2000):
    """A document with `mentions` mentions, distinct by `n`."""
    return {"nct_id": f"NCT{n:08d}", "mentions": [
        {"title": f"Mention {i} of trial {n}", "url": f"https://example.org/{n}/{i}",
         "snippet": "A few words about the trial. " * 4} for i in range(mentions)]}


def test_large_documents_stay_within_the_byte_bound():
    size = approximate_size(big_document(0))
    cache = DocumentCache(max_bytes=3 * size + size // 2)
    for n in range(10):
        document = big_document(n)
        nct_id = document["nct_id"]
        cache.put(nct_id, nct_id, document, cache.generation(nct_id),
                  size=approximate_size(document))
    assert len(cache) == 3 and cache.nbytes <= cache.max_bytes
    # The newest stay, the least recently used went first.
    assert cache.get("NCT00000009") is not None and cache.get("NCT00000006") is None


def test_a_document_larger_than_the_whole_bound_is_not_kept():
    cache = DocumentCache(max_bytes=1000)
    cache.put("small", "NCT1", "doc", cache.generation("NCT1"), size=600)
    cache.put("big", "NCT2", big_document(2), cache.generation("NCT2"), size=10_000)
    assert cache.get("big") is None and cache.get("small") == "doc"


def test_replacing_an_entry_does_not_count_it_twice():
    cache = DocumentCache(max_bytes=1000)
    for _ in range(5):
        cache.put("k", "NCT1", "doc", cache.generation("NCT1"), size=600)
    assert len(cache) == 1 and cache.nbytes == 600


def test_the_size_estimate_grows_with_the_mentions():
    assert approximate_size(big_document(0, 2000)) > 10 * approximate_size(big_document(0, 100))
    # At least what the strings themselves hold.
    assert approximate_size(big_document(0)) > 2000 * len("A few words about the trial. " * 4)


def test_generations_of_forgotten_trials_never_go_back():
    cache = DocumentCache(trials=2)
    old = cache.generation("NCT1")
    cache.invalidate("NCT1")
    cache.invalidate("NCT2")
    cache.invalidate("NCT3")   # NCT1's generation is forgotten: at most two are kept
    cache.put("k", "NCT1", "built before the change", old)
    assert cache.get("k") is None
    assert len(cache.generations) == 2


def test_a_thousand_host_headers_leave_one_cached_document(client, ctgov, fake):
    upstreams.install(fake)
    cache = client.application.extensions["trialbuzz"].attention.cache
    for port in range(10_001, 11_001):
        response = client.get("/api/v1/trials/NCT04280705",
                              headers={"Host": f"localhost:{port}"})
        assert response.status_code == 200
        assert response.get_json()["details_url"] == \
            f"http://localhost:{port}/trial/NCT04280705"
    # One document and the note that the trial is warm, whatever Host each request named.
    assert len(cache) == 2


def shared_generations(redis_url, ttl=0.0):
    """A generation store on `redis_url`, as one process of a deployment has it."""
    import redis

    return SharedGenerations(redis.Redis.from_url(redis_url), "test:docgen:", ttl=ttl)


def test_an_invalidation_in_one_process_misses_in_another_after_the_ttl(redis_url):
    here, there = shared_generations(redis_url), shared_generations(redis_url, ttl=0.3)
    cache = DocumentCache(generations=there)
    cache.put("k", "NCT1", "document", cache.generation("NCT1"))
    here.bump("NCT1")
    assert cache.get("k") == "document"   # the generation read a moment ago still holds
    time.sleep(0.35)
    assert cache.get("k") is None


def test_generations_do_not_repeat_after_redis_lost_its_data(redis_url):
    import redis

    writer, reader = shared_generations(redis_url), shared_generations(redis_url)
    writer.bump("NCT1")
    before = reader.current("NCT1")
    redis.Redis.from_url(redis_url).flushall()
    writer.bump("NCT1")
    assert reader.current("NCT1") != before


def test_generations_fall_back_to_this_process_while_redis_is_down(redis_url):
    generations = shared_generations(redis_url)
    cache = DocumentCache(generations=generations)
    cache.put("k", "NCT1", "document", cache.generation("NCT1"))
    redis_url.stop()
    assert cache.get("k") == "document"
    cache.invalidate("NCT1")
    assert cache.get("k") is None
