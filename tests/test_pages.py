"""The home page and its lookup box."""

import re

from bs4 import BeautifulSoup

import quiet
from records import study


def test_home_explains_and_offers_the_lookup_box(client):
    html = client.get("/").get_data(as_text=True)
    assert "Who is talking about this trial?" in html
    assert '<input id="q" name="q"' in html
    # Our own stylesheet only, with a content hash; nothing from another host.
    assert re.search(r'href="/static/trialbuzz.css\?v=[0-9a-f]{12}"', html)
    assert not re.search(r'(src|href)="(https?:)?//', html.split("<footer")[0])


def test_lookup_by_id_shows_the_trial(client, ctgov):
    html = client.get("/?q=nct04280705").get_data(as_text=True)
    assert "Adaptive COVID-19 Treatment Trial (ACTT)" in html
    assert "Phase 3" in html and "PHASE3" not in html
    assert "https://clinicaltrials.gov/study/NCT04280705" in html


def test_lookup_by_url_shows_the_trial(client, ctgov):
    html = client.get("/?q=https://clinicaltrials.gov/ct2/show/NCT04280705").get_data(as_text=True)
    assert "Adaptive COVID-19 Treatment Trial (ACTT)" in html


def test_lookup_of_a_search_url_lists_the_trials(client, ctgov):
    html = client.get("/?q=https://clinicaltrials.gov/search?term=NCT04412252,NCT04368728"
                      ).get_data(as_text=True)
    assert "Trials named on that page" in html
    assert html.index("NCT04412252") < html.index("NCT04368728")


def test_lookup_errors_are_shown_on_the_page(client, ctgov):
    response = client.get("/?q=NCT99999999")
    assert response.status_code == 404
    assert "ClinicalTrials.gov has no study NCT99999999" in response.get_data(as_text=True)


def test_hostile_registry_text_is_escaped(client, ctgov):
    ctgov.add(study("NCT01111111", title='<script>alert("x")</script><img src=x onerror=1>'))
    html = client.get("/?q=NCT01111111").get_data(as_text=True)
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html


def test_static_files_with_hash_are_cached_for_a_year(client):
    html = client.get("/").get_data(as_text=True)
    href = re.search(r'href="(/static/trialbuzz.css\?v=[0-9a-f]+)"', html).group(1)
    response = client.get(href)
    assert response.status_code == 200
    assert "immutable" in response.headers["Cache-Control"]
    assert "max-age=31536000" in response.headers["Cache-Control"]


def test_lookup_shows_score_kinds_and_latest_mentions(client, fake, ctgov):
    import upstreams
    upstreams.install(fake)
    html = client.get("/?q=NCT04280705").get_data(as_text=True)
    assert "<strong>13</strong>" in html
    assert "<li>1 news story</li>" in html and "<li>2 forum posts</li>" in html
    assert 'href="https://news.example.org/2026/11/remdesivir-trial"' in html
    assert "Latest of 7 mentions" in html
    # Each mention says its kind and source in words, not in the API's ids.
    assert "Forum post · Hacker News" in html and "hackernews" not in html


def test_lookup_with_every_source_failing_never_says_there_is_no_attention(client, ctgov):
    html = client.get("/?q=NCT04280705").get_data(as_text=True)
    assert "No attention found yet" not in html
    assert "Nothing found by the sources that answered; not every source has." in html
    notice = BeautifulSoup(html, "html.parser").find("p", class_="notice").get_text()
    # The registry's own references come with the record; every networked source failed.
    assert re.fullmatch(r"1 of 8 sources answered; Europe PMC, PubMed, Crossref, Wikipedia, "
                        r"Hacker News, Reddit "
                        r"and GDELT news will be tried again at \d\d:\d\d UTC\.", notice)


def test_lookup_without_attention_lists_the_sources_checked(client, fake, ctgov):
    quiet.install(fake, "NCT04280705")
    html = client.get("/?q=NCT04280705").get_data(as_text=True)
    assert "No attention found yet. Sources checked:" in html
    assert "GDELT news (checked)" in html


def test_score_page_shows_this_servers_weights_and_sources(make_app):
    html = make_app(SCORE_WEIGHTS={"news": 10}, SOURCES=["ctgov", "pubmed"]).test_client().get(
        "/about/score").get_data(as_text=True)
    assert "<td>News</td><td>10</td>" in html
    assert "<td>Blogs</td><td>5</td>" in html
    assert "<td>Forums</td><td>1 a story, 0.25 a comment</td>" in html
    # Which setting turns a source on is for the operator, not for the public page.
    assert "<td>not used on this server</td>" in html
    assert "TRIALBUZZ_" not in html and "6.0 hours" not in html


def test_keyed_sources_not_configured_are_not_used_never_missing(make_app, fake, ctgov):
    import upstreams

    upstreams.install(fake)
    client = make_app().test_client()
    html = client.get("/about/score").get_data(as_text=True)
    rows = {name: state for name, state in re.findall(
        r"<tr><td>([^<]+)</td>\s*<td>[^<]*</td><td>([^<]+)</td></tr>", html)}
    assert rows["Crossref"] == "on"
    assert rows["Mastodon"] == rows["OpenAlex"] == "not used on this server"
    assert "not configured" not in html
    document = client.get("/api/v1/trials/NCT04280705").get_json()
    assert document["coverage"]["missing"] == [] and document["coverage"]["message"] is None
    states = {s["id"]: (s["status"], s["error"]) for s in document["sources"]}
    assert states["mastodon"] == states["openalex"] == ("disabled", "not used on this server")


def test_lookup_of_a_page_read_in_part_says_so(make_app, fake, ctgov):
    from urllib.parse import urlsplit

    from fakeupstream import Reply

    fake.route("/long", Reply.text("<p>NCT04280705</p>" + "<p>filler</p>" * 10_000,
                                   content_type="text/html"))
    client = make_app(FETCH_ALLOW_HOSTS=[urlsplit(fake.url).netloc],
                      FETCH_MAX_BYTES=64 * 1024).test_client()
    html = client.get("/", query_string={"q": f"{fake.url}/long"}).get_data(as_text=True)
    assert "only its first part was read" in html
    assert "Adaptive COVID-19 Treatment Trial" in html


def test_a_first_lookup_still_collecting_says_so_not_the_last_refresh(make_app, fake, ctgov):
    import upstreams
    upstreams.install(fake)
    fake.route(upstreams.ROUTES["gdelt"], lambda request: upstreams.gdelt(request, delay=3.0))
    client = make_app(COLD_WAIT=1.0, UPSTREAM_READ_TIMEOUT=10).test_client()
    html = client.get("/?q=NCT04280705").get_data(as_text=True)
    notice = BeautifulSoup(html, "html.parser").find("p", class_="notice").get_text(" ",
                                                                                     strip=True)
    assert re.match(r"Collecting… 7 of 8 sources have answered: these are the first figures",
                    notice)
    assert "last refresh" not in html
def test_lookup_of_a_page_naming_three_trials_lists_each_with_its_title_and_counts(
        make_app, fake, ctgov):
    from urllib.parse import urlsplit

    import upstreams
    from fakeupstream import Reply

    upstreams.install(fake)
    ctgov.add(study("NCT04292899", title="Second trial", acronym=None))
    ctgov.add(study("NCT04368728", title="Third trial", acronym=None))
    # A study page names its own trial first; a review names others too.
    fake.route("/review", Reply.text(
        "<h1>Remdesivir: a review</h1><p>NCT04368728 came after "
        '<a href="https://clinicaltrials.gov/study/NCT04280705">ACTT</a>; see also NCT04292899.',
        content_type="text/html"))
    client = make_app(FETCH_ALLOW_HOSTS=[urlsplit(fake.url).netloc]).test_client()
    html = client.get("/", query_string={"q": f"{fake.url}/review"}).get_data(as_text=True)
    named = html.split('<ol class="named-trials">')[1].split("</ol>")[0]
    items = re.findall(r'<p class="eyebrow">(NCT\d+).*?<h3><a href="[^"]+/trial/\1">([^<]+)</a>'
                       r'</h3>\s*<p class="named-counts"><strong>(\d+)</strong>', named, re.S)
    assert [(nct_id, title) for nct_id, title, _ in items] == [
        ("NCT04368728", "Third trial"), ("NCT04280705", "Adaptive COVID-19 Treatment Trial (ACTT)"),
        ("NCT04292899", "Second trial")]
    assert all(score == "13" for _, _, score in items)
    assert "3 trials, in the order the page names them." in html
    assert "1 news story · 1 Wikipedia page · 2 forum posts · 3 publications" in named
