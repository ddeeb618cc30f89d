"""Find the trials a page is about: from its URL, else from the page itself, fetched safely."""

from . import resolve


def find_trials(url, fetcher):
    """Return `{"url", "nct_ids", "primary", "truncated"}` for `url`, fetching the page only
    when needed; `truncated` says the page was longer than the fetcher reads."""
    found, truncated = resolve.ids_from_url(url), False
    if not found.nct_ids and resolve.needs_page(url):
        page = fetcher.fetch(url)
        truncated = page.truncated
        if page.content_type == "text/plain":
            found = resolve.ids_from_text(page.text)
        else:
            found = resolve.ids_from_html(page.text, base_url=page.url)
    return {"url": url, "nct_ids": list(found.nct_ids), "primary": found.primary,
            "truncated": truncated}
