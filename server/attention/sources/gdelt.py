"""GDELT DOC 2.0: worldwide online news of the last months quoting the NCT ID (experimental)."""

import hashlib

from trialbuzz.attention.sources.base import (
    Found,
    Mention,
    Source,
    parse_datetime,
    plain_text,
    safe_url,
)
from trialbuzz.attention.words import SOURCES

MAX_RECORDS = 250
# The store keeps external IDs up to 512 characters; longer article URLs are keyed by a digest.
MAX_EXTERNAL_ID = 512
# GDELT names languages in English; the rest of trialbuzz uses ISO 639-1 codes.
LANGUAGES = dict(pair.split("=") for pair in (
    "Afrikaans=af Albanian=sq Arabic=ar Armenian=hy Azerbaijani=az Basque=eu Belarusian=be "
    "Bengali=bn Bosnian=bs Bulgarian=bg Catalan=ca Chinese=zh Croatian=hr Czech=cs Danish=da "
    "Dutch=nl English=en Estonian=et Finnish=fi French=fr Galician=gl Georgian=ka German=de "
    "Greek=el Gujarati=gu Hebrew=he Hindi=hi Hungarian=hu Icelandic=is Indonesian=id Italian=it "
    "Japanese=ja Kannada=kn Kazakh=kk Korean=ko Latvian=lv Lithuanian=lt Macedonian=mk Malay=ms "
    "Malayalam=ml Marathi=mr Mongolian=mn Nepali=ne Norwegian=no Persian=fa Polish=pl "
    "Portuguese=pt Punjabi=pa Romanian=ro Russian=ru Serbian=sr Sinhala=si Sinhalese=si "
    "Slovak=sk Slovenian=sl Somali=so Spanish=es Swahili=sw Swedish=sv Tagalog=tl Tamil=ta "
    "Telugu=te Thai=th Tibetan=bo Turkish=tr Ukrainian=uk Urdu=ur Vietnamese=vi").split())


class Gdelt(Source):
    """One artlist query for the quoted NCT ID; whether GDELT matches such tokens is unconfirmed."""

    id = "gdelt"
    name = SOURCES[id]
    about = "Online news of about the last three months naming the trial's ID."
    kinds = ("news",)
    url_setting = "GDELT_URL"
    # GDELT allows one request per 5 seconds per client and answers 429 to anything faster.
    rate = "1 per 5 seconds"
    # GDELT's window is 5 s: a 429 retried within our backoff would only be refused again.
    retry_statuses = (500, 502, 503, 504)
    experimental = True

    def params(self, nct_id):
        """The query string of the one request sent per trial."""
        return {"query": f'"{nct_id}"', "mode": "artlist", "format": "json",
                "maxrecords": MAX_RECORDS, "sort": "datedesc",
                "timespan": self.settings.get("GDELT_TIMESPAN") or "3m"}

    def find(self, trial, deadline=None):
        """News articles quoting the trial's ID, newest first, each article once."""
        response = self.upstream.get("", params=self.params(trial.nct_id), deadline=deadline)
        self.upstream.raise_for_status(response)
        # GDELT answers a query without matches with an empty body or `{}`.
        if not response.content.strip():
            return Found()
        # A bad query comes back as 200 text/html, which json() refuses as a bad response.
        data = self.upstream.json(response)
        articles = self.listed(data, "articles", what="an articles list", missing_ok=True)
        found, seen = Found(), set()
        for article in articles:
            url = safe_url(article.get("url")) if isinstance(article, dict) else None
            if not url:
                found.skipped += 1
            elif url not in seen:
                seen.add(url)
                found.read(self._mention, url, article)
        return found

    def _mention(self, url, article):
        """One article as a Mention."""
        domain = plain_text(article.get("domain"), limit=200)
        seen = article.get("seendate")
        return Mention(
            source=self.id, kind="news", external_id=_external_id(url), url=url,
            title=plain_text(article.get("title")), author=None,
            published_at=parse_datetime(seen) if isinstance(seen, str) else None,
            snippet=domain, language=LANGUAGES.get(plain_text(article.get("language")) or ""),
            extra={"domain": domain,
                   "sourcecountry": plain_text(article.get("sourcecountry"), limit=100)},
        )


def _external_id(url):
    """The article URL, or a digest of it when the URL is too long to store as a key."""
    if len(url) <= MAX_EXTERNAL_ID:
        return url
    return "sha256:" + hashlib.sha256(url.encode()).hexdigest()
