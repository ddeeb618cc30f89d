"""Find the trials a page is about: from its URL, else from the page itself, fetched safely."""

from contextlib import nullcontext

from trialbuzz.resolution import htmlreader, resolve


def find_trials(url, fetcher, work=None):
    """Return `{"url", "nct_ids", "primary", "truncated"}` for `url`, fetching the page only
    when needed; `truncated` says only part of the page was read (the fetcher's size limit, or
    the reader's budget).

    `work` (a PageWork) bounds how many pages are fetched and read at once.
    """
    found = resolve.ids_from_url(url)
    truncated = False
    if not found.nct_ids and resolve.needs_page(url):
        with work.slot() if work else nullcontext():
            page = fetcher.fetch(url)
            with work.reading() if work else nullcontext():
                if page.content_type == "text/plain":
                    found = resolve.ids_from_text(page.text)
                else:
                    found = htmlreader.ids_from_html(page.text, base_url=page.url)
        truncated = page.truncated or not found.complete
    return {"url": url, "nct_ids": list(found.nct_ids), "primary": found.primary,
            "truncated": truncated}
