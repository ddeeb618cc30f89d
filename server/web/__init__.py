"""The web layer: blueprints for the JSON API, pages, badges and the bookmarklet, with their templates and static files."""
