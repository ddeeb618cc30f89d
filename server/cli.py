"""The `trialbuzz` command line: serve, init-db, lookup."""

import json
import sys

import click

from . import create_app
from .db import get_db
from .document import trial_document
from .errors import TrialbuzzError
from .labels import code_label, phase_label
from .nctid import normalize
from .trialfinder import find_trials


@click.group()
@click.version_option(package_name="trialbuzz")
def main():
    """trialbuzz: the online attention a clinical trial gets."""


@main.command("init-db")
def init_db():
    """Create or upgrade the database schema."""
    app = create_app()
    get_db(app).migrate()
    click.echo(f"database ready: {_redacted(app.config['DATABASE_URL'])}")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=int, help="Port to listen on.")
@click.option("--threads", default=8, show_default=True, type=int, help="Worker threads.")
def serve(host, port, threads):
    """Serve the app with the waitress WSGI server (the schema is brought up to date first)."""
    from waitress import serve as waitress_serve

    app = create_app()
    get_db(app).migrate()
    click.echo(f"trialbuzz on http://{host}:{port}/", err=True)
    waitress_serve(app, host=host, port=port, threads=threads, ident="trialbuzz")


@main.command()
@click.argument("target")
@click.option("--json", "as_json", is_flag=True, help="Print the trial document as JSON.")
def lookup(target, as_json):
    """Look up a trial by NCT ID, or the trials of a page by URL."""
    app = create_app()
    state = app.extensions["trialbuzz"]
    try:
        nct_id = normalize(target)
        if nct_id is None:
            found = find_trials(target, state.fetcher)
            nct_id = found["primary"] or (found["nct_ids"][0] if found["nct_ids"] else None)
            if nct_id is None:
                raise click.ClickException(f"no NCT ID found for {target}")
            if len(found["nct_ids"]) > 1 and not as_json:
                click.echo("trials on that page: " + ", ".join(found["nct_ids"]))
        get_db(app).migrate()
        document = trial_document(state.trials.get(nct_id),
                                  app.config["PUBLIC_URL"] or "http://127.0.0.1:5000")
    except TrialbuzzError as exc:
        raise click.ClickException(exc.message) from exc
    if as_json:
        click.echo(json.dumps(document, indent=2, ensure_ascii=False))
        return
    _print_trial(document)


def _print_trial(document):
    """A short human-readable summary of a trial document."""
    title = document["title"] or "(no title)"
    click.echo(click.style(f"{document['nct_id']}  {title}", bold=True))
    if document.get("requested_id"):
        click.echo(f"  (asked for {document['requested_id']}, an alias)")
    rows = [
        ("status", code_label(document["status"])),
        ("phase", phase_label(document["phases"])),
        ("type", code_label(document["study_type"])),
        ("sponsor", document["sponsor"]),
        ("enrollment", document["enrollment"]),
        ("dates", f"{document['start_date'] or '?'} to {document['completion_date'] or '?'}"),
        ("results", "posted" if document["has_results"] else "none posted"),
        ("record", document["url"]),
    ]
    for label, value in rows:
        click.echo(f"  {label:<11} {value if value is not None else 'n/a'}")
    if document["stale"]:
        click.echo("  (stored copy; ClinicalTrials.gov could not be reached)")


def _redacted(url):
    """A database URL without its password."""
    from sqlalchemy.engine import make_url
    return make_url(url).render_as_string(hide_password=True)


if __name__ == "__main__":
    sys.exit(main())
