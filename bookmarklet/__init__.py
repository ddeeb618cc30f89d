"""Browser JavaScript served by the app: bookmarklet body, overlay and badge embed script."""
