"""Altmetric Details Page API v1, opt-in with the operator's key: its score beside ours, never blended."""

from trialbuzz.attention.sources.base import Source, clean, count, finite, safe_url
from trialbuzz.errors import UpstreamError
from trialbuzz.attention.words import SOURCES

KEY_MESSAGE = "Altmetric needs a valid key (required since 10 November 2025)"
COUNT_FIELDS = {
    "cited_by_msm_count": "news", "cited_by_feeds_count": "blogs",
    "cited_by_tweeters_count": "x", "cited_by_bluesky_count": "bluesky",
    "cited_by_fbwalls_count": "facebook", "cited_by_rdts_count": "reddit",
    "cited_by_wikipedia_count": "wikipedia", "cited_by_policies_count": "policy",
    "cited_by_videos_count": "video", "cited_by_qna_count": "qna",
    "cited_by_posts_count": "posts", "cited_by_accounts_count": "accounts",
}


class Altmetric(Source):
    """Counts and score of one trial from Altmetric; runs only when ALTMETRIC_KEY is set."""

    id = "altmetric"
    name = SOURCES[id]
    about = "Altmetric's own score and counts, shown beside ours (needs an operator key)."
    kinds = ()
    url_setting = "ALTMETRIC_URL"
    key_setting = "ALTMETRIC_KEY"
    # The keyless API allowed one call per second; stay there with a key too.
    rate = "1/second"

    def find(self, trial, deadline=None):
        """Altmetric contributes a summary, not mentions of its own."""
        return []

    def summary(self, trial, deadline=None):
        """Altmetric's score, counts and details link for the trial; None when it has no record."""
        response = self.upstream.get(f"/nct_id/{trial.nct_id}",
                                     params={"key": self.settings["ALTMETRIC_KEY"]},
                                     deadline=deadline)
        if response.status_code == 404:
            return None
        if response.status_code in (401, 403):
            raise UpstreamError(KEY_MESSAGE, code="altmetric_key")
        data = self.upstream.json(response)
        if not isinstance(data, dict):
            return None
        counts = {name: count(data.get(field)) for field, name in COUNT_FIELDS.items()}
        return {
            "score": finite(data.get("score")),
            # Counts are sometimes sent as strings of digits.
            "counts": {name: value for name, value in counts.items() if value is not None},
            "details_url": safe_url(data.get("details_url")),
            "altmetric_id": _identifier(data.get("altmetric_id")),
            "attribution": "Data from Altmetric",
        }


def _identifier(value):
    """Altmetric's ID of its record: a whole number or a short string; else None."""
    if isinstance(value, str):
        value = clean(value)
        return value if value and len(value) <= 64 else None
    return count(value)
