"""Mastodon source, opt-in: one instance's status search, against a fake instance."""

import copy
import json
from datetime import datetime
from pathlib import Path

import pytest

from fakeupstream import Reply
from records import trial_record
from trialbuzz.attention import sources
from trialbuzz.attention.sources.mastodon import LIMIT, MAX_PAGES, Mastodon
from trialbuzz.errors import (
    UpstreamError,
)

# The Status entity example of Mastodon's documentation (a 2019 mastodon.social post).
SAMPLE = json.loads((Path(__file__).parent / "fixtures" / "mastodon" / "status.json").read_text())
NCT = "NCT04280705"
ROUTE = "/mastodon/api/v2/search"
TOKEN = "token-of-the-operator"


def status(number, text=None, **fields):
    """A status shaped as Mastodon's Status entity (the fields the search answers with)."""
    return {
        "id": str(103270115826048975 + number), "created_at": "2026-11-20T03:48:33.901Z",
        "in_reply_to_id": None, "sensitive": False, "spoiler_text": "", "visibility": "public",
        "language": "en",
        "uri": f"https://mastodon.example/users/someone/statuses/{number}",
        "url": f"https://mastodon.example/@someone/{number}",
        "replies_count": 5, "reblogs_count": 6, "favourites_count": 11, "quotes_count": 2,
        "content": f"<p>{text if text is not None else 'Results of ' + NCT + ' are out'}</p>",
        "reblog": None,
        "account": {"id": "1", "username": "someone", "acct": "someone@mastodon.example",
                    "display_name": "Some One", "url": "https://mastodon.example/@someone"},
        "media_attachments": [], "mentions": [], "tags": [], "emojis": [], "card": None,
        "poll": None, **fields}


def answer(statuses):
    """A v2 search answer."""
    return {"accounts": [], "statuses": statuses, "hashtags": []}


@pytest.fixture
def settings(source_settings, fake):
    return dict(source_settings, MASTODON_URL=fake.url + "/mastodon", MASTODON_TOKEN=TOKEN)


def find(settings, **overrides):
    return Mastodon(dict(settings, **overrides)).find(trial_record(NCT))


def test_off_until_both_the_instance_and_the_token_are_given(settings):
    assert not Mastodon.available(dict(settings, MASTODON_URL="", MASTODON_TOKEN=""))
    assert not Mastodon.available(dict(settings, MASTODON_TOKEN=" "))
    assert not Mastodon.available(dict(settings, MASTODON_URL=""))
    assert Mastodon.available(settings)
    assert sources.status_of_idle(Mastodon, dict(settings, MASTODON_URL="")) == \
        "not configured (needs TRIALBUZZ_MASTODON_URL)"
    assert sources.status_of_idle(Mastodon, dict(settings, MASTODON_URL="", MASTODON_TOKEN="")) \
        == "not configured (needs TRIALBUZZ_MASTODON_URL and TRIALBUZZ_MASTODON_TOKEN)"
    assert "mastodon" not in sources.enabled_ids(dict(settings, MASTODON_TOKEN=""))
    assert "mastodon" in sources.enabled_ids(settings)


def test_searches_statuses_with_the_token(fake, settings):
    fake.route(ROUTE, Reply.json(answer([status(1)])))
    find(settings)
    [request] = fake.requests
    assert request.query == {"q": [NCT], "type": ["statuses"], "resolve": ["false"],
                             "limit": [str(LIMIT)]}
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"


def test_the_documented_status_sample_is_read(fake, settings):
    sample = copy.deepcopy(SAMPLE)
    sample["content"] = sample["content"].replace("</p><p>", f" ({NCT})</p><p>", 1)
    fake.route(ROUTE, Reply.json(answer([sample])))
    [mention] = find(settings)
    assert mention.source == "mastodon" and mention.kind == "social"
    assert mention.external_id == sample["uri"] and mention.url == sample["url"]
    assert mention.author == "@" + sample["account"]["acct"]
    assert mention.published_at == datetime.fromisoformat(
        sample["created_at"].replace("Z", "+00:00"))
    assert NCT in mention.snippet and "<" not in mention.snippet
    assert mention.extra["reblogs"] == sample["reblogs_count"]


def test_a_status_names_the_trial_in_its_text_links_or_card(fake, settings):
    link = f"https://clinicaltrials.gov/study/{NCT}"
    fake.route(ROUTE, Reply.json(answer([
        status(1),
        status(2, text=f'<a href="{link}"><span class="invisible">https://</span>'
                       '<span class="ellipsis">clinicaltrials.gov/study/NCT042</span></a>'),
        status(3, text="A trial", card={"url": link, "title": "Study", "description": ""}),
        status(4, text="Nothing about it", spoiler_text=f"CW: {NCT}"),
        status(5, text="Another trial, NCT01234567"),
        status(6, text=f"{NCT}999 is not an ID"),
        status(7, text=f"Private note on {NCT}", visibility="private"),
        status(8, text=f"Direct {NCT}", visibility="direct"),
        status(9, uri="javascript:alert(1)"),
        status(1),
        "not a status",
    ])))
    found = find(settings)
    assert [m.external_id.rsplit("/", 1)[1] for m in found] == ["1", "2", "3", "4"]
    assert found[1].extra["links"] == [link]
    assert found[2].extra["links"] == [link]
    assert found.skipped == 6


def test_hostile_markup_is_plain_text(fake, settings):
    fake.route(ROUTE, Reply.json(answer([status(
        1, text=f"<script>alert(1)</script><b>{NCT}</b> &lt;img src=x onerror=alert(1)&gt;",
        account={"acct": "<img src=x>"})])))
    [mention] = find(settings)
    # Text as the reader saw it: the script dropped, the escaped tag stays text (escaped again
    # wherever it is shown).
    assert mention.snippet == f"{NCT} <img src=x onerror=alert(1)>"
    assert mention.author is None


def test_pages_by_offset_until_a_short_page_and_stops_at_the_cap(fake, settings):
    def handler(request):
        offset = int(request.arg("offset", "0"))
        return Reply.json(answer([status(offset + n) for n in range(LIMIT)]))

    fake.route(ROUTE, handler)
    assert len(find(settings)) == LIMIT * MAX_PAGES
    assert [r.arg("offset") for r in fake.requests] == \
        [None] + [str(LIMIT * page) for page in range(1, MAX_PAGES)]
    fake.requests.clear()
    fake.route(ROUTE, [Reply.json(answer([status(n) for n in range(LIMIT)])),
                       Reply.json(answer([status(LIMIT)]))])
    assert len(find(settings)) == LIMIT + 1 and len(fake.requests) == 2


@pytest.mark.parametrize("code", [401, 403])
def test_a_refused_token_says_so(fake, settings, code):
    fake.route(ROUTE, Reply.json({"error": "The access token is invalid"}, status=code))
    with pytest.raises(UpstreamError) as caught:
        find(settings)
    assert caught.value.code == "mastodon_token"
    assert "TRIALBUZZ_MASTODON_TOKEN" in caught.value.message
    assert TOKEN not in caught.value.message