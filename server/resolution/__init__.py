"""Page resolution: NCT IDs from URLs, text and HTML, and the guarded page fetcher."""
