"""The `trialbuzz` command line: serve, init-db, lookup, harvest, sweep, feeds."""

import gc
import json
import sys
import threading
from datetime import datetime, timezone

import click

from trialbuzz import create_app
from trialbuzz.attention import sources
from trialbuzz.attention.document import coverage_line
from trialbuzz.attention.service import Page
from trialbuzz.attention.words import (
    noun,
    number,
    one_of,
    plural,
    source_label,
    status_label,
)
from trialbuzz.errors import TrialbuzzError
from trialbuzz.nctid import find_all, normalize, unique
from trialbuzz.resolution import lookup as lookups
from trialbuzz.storage.db import get_db
from trialbuzz.web.labels import code_label, phase_label
from trialbuzz.web.reporting_text import dated, headline

LOCAL_URL = "http://127.0.0.1:5000"
# How long `lookup` waits for a new trial's sources before showing what it has, marked as such:
# with no worker running (EMBEDDED_WORKER=0) nothing would ever end the wait.
LOOKUP_WAIT = 120.0


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
@click.option("--threads", default=16, show_default=True, type=int, help="Server threads.")
def serve(host, port, threads):
    """Serve the app with the waitress WSGI server (the schema is brought up to date first);
    jobs run in this process too unless EMBEDDED_WORKER is off."""
    from trialbuzz.serving import serve as serve_app

    app = create_app()
    get_db(app).migrate()
    jobs = app.extensions["trialbuzz"].jobs
    stop = threading.Event()
    if jobs.embedded:
        jobs.start_consumer()
        _start_streams(app, stop)
    _say_sources_off(app.config)
    click.echo(f"trialbuzz on http://{host}:{port}/", err=True)
    freeze_startup()
    try:
        serve_app(app, host=host, port=port, threads=threads)
    finally:
        stop.set()
        jobs.shutdown()


@main.command()
@click.option("--threads", default=None, type=int,
              help="Jobs run at once (default: WORKER_THREADS, 4).")
def worker(threads):
    """Run jobs from the queue: refreshes and the schedule. Run any number of these, on any
    machine sharing DATABASE_URL and REDIS_URL."""
    app = create_app()
    get_db(app).migrate()
    jobs = app.extensions["trialbuzz"].jobs
    queue = (_redacted(app.config["REDIS_URL"]) if app.config["REDIS_URL"]
             else jobs.huey.storage.filename)
    click.echo(f"trialbuzz worker: {threads or jobs.threads} threads on {queue}", err=True)
    stop = threading.Event()
    _start_streams(app, stop)
    freeze_startup()
    try:
        jobs.consumer(threads=threads).run()
    finally:
        stop.set()


def freeze_startup():
    """Leave every object made so far out of the garbage collector's passes: the modules, the
    app and its settings live as long as the process, and a full pass over their 150,000 or
    so objects paused a request 70-80 ms (bench/bench_explore.py). Once a serving or working
    process has started, before its requests or jobs."""
    gc.collect()
    gc.freeze()


def _start_streams(app, stop):
    """Read the Bluesky firehose beside the jobs when BLUESKY_STREAM is on (one reader per
    deployment holds it; the others wait their turn)."""
    if app.config["BLUESKY_STREAM"]:
        from trialbuzz.attention.stream import start_in_background

        start_in_background(app.extensions["trialbuzz"], stop)
        click.echo("reading the Bluesky firehose", err=True)


@main.group()
def stream():
    """Read a stream of posts now, in the foreground."""


@stream.command("bluesky")
@click.option("--since", default=None, metavar="WHEN",
              help="Start here instead of the saved cursor: a date, an ISO time or Jetstream's "
                   "cursor (microseconds since 1970).")
@click.option("--max-events", default=None, type=click.IntRange(1), metavar="N",
              help="Stop after N events (default: read until interrupted).")
def stream_bluesky(since, max_events):
    """Read Bluesky's public firehose (Jetstream) and file the posts naming a study; resumes
    from where the last reader stopped. Stop with Ctrl-C."""
    from tqdm import tqdm

    from trialbuzz.attention.stream import StreamTaken

    app = create_app()
    get_db(app).migrate()
    state = app.extensions["trialbuzz"]
    if not app.config["BLUESKY_STREAM"]:
        click.echo("note: BLUESKY_STREAM is off, so pages list Bluesky as off; what is read "
                   "is stored all the same", err=True)
    reader = state.bluesky_reader()
    stop = threading.Event()
    runner = threading.Thread(target=_run_reader, args=(reader, stop, _cursor(since),
                                                        max_events), daemon=True)
    runner.start()
    with tqdm(desc="bluesky", unit=" events", file=sys.stderr, disable=None) as bar:
        try:
            while runner.is_alive():
                runner.join(0.5)
                bar.update(reader.counts.events - bar.n)
                bar.set_postfix(posts=reader.counts.posts, filed=reader.counts.filed,
                                refresh=False)
        except KeyboardInterrupt:
            stop.set()
            runner.join(10)
    if isinstance(reader.error, StreamTaken):
        raise click.ClickException(str(reader.error))
    if reader.error is not None:
        raise click.ClickException(f"the stream stopped: {reader.error}")
    click.echo(f"{reader.counts.events} events, {reader.counts.posts} posts naming a study, "
               f"{reader.counts.filed} mentions filed; cursor {reader.cursor}")


def _run_reader(reader, stop, since, max_events):
    """Run `reader` and keep what ended it on `reader.error`."""
    reader.error = None
    try:
        reader.run(stop, since=since, max_events=max_events)
    except Exception as exc:  # noqa: BLE001 - shown to the operator by the command
        reader.error = exc


def _cursor(since):
    """A Jetstream cursor from --since: microseconds as given, or a date or time (UTC)."""
    if since is None:
        return None
    if since.isdigit():
        return int(since)
    try:
        moment = datetime.fromisoformat(since)
    except ValueError:
        raise click.BadParameter("give a date (2026-12-01), an ISO time or a cursor",
                                 param_hint="--since") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return int(moment.timestamp() * 1_000_000)


@main.command()
@click.argument("target")
@click.option("--json", "as_json", is_flag=True, help="Print the trial document as JSON.")
@click.option("--limit", default=10, show_default=True, type=click.IntRange(0, 100),
              help="How many of the latest mentions to show.")
def lookup(target, as_json, limit):
    """Look up a trial by NCT ID, or the trials of a page by URL, with its attention."""
    app = create_app()
    state = app.extensions["trialbuzz"]
    try:
        asked = lookups.read(target)
    except TrialbuzzError as exc:
        raise click.BadParameter(exc.message, param_hint="TARGET") from exc
    try:
        nct_id = asked.nct_id
        if nct_id is None:
            found = lookups.find(asked, state.fetcher)
            nct_id = found["primary"] or (found["nct_ids"][0] if found["nct_ids"] else None)
            if nct_id is None:
                raise click.ClickException(f"no NCT ID found for {target}")
            if len(found["nct_ids"]) > 1 and not as_json:
                click.echo("trials on that page: " + ", ".join(found["nct_ids"]))
            if found.get("truncated") and not as_json:
                click.echo("only the first part of that page was read; trials named further "
                           "down may be missing", err=True)
        get_db(app).migrate()
        trial = state.trials.stored(nct_id)
        if trial is None or trial.harvested_at is None:
            # A command has no reader to show a partial answer to: wait for every source.
            _wait_for(state, [trial.nct_id if trial else nct_id], force=False,
                      quiet=as_json, timeout=LOOKUP_WAIT)
        document = state.attention.document(nct_id, app.config["PUBLIC_URL"] or LOCAL_URL,
                                            page=Page(limit=limit))
    except TrialbuzzError as exc:
        raise click.ClickException(exc.message) from exc
    finally:
        state.jobs.shutdown()
    if as_json:
        click.echo(json.dumps(document, indent=2, ensure_ascii=False))
        return
    _print_trial(document, app.config)


def _estimated(value, estimated):
    """A figure, marked when the registry gives it as an estimate."""
    return None if value is None else f"{value}{' (estimated)' if estimated else ''}"


def _date(document, name):
    """A trial date, marked when the registry gives it as an estimate; `?` when unknown."""
    entry = (document.get("dates") or {}).get(name)
    if entry:
        return dated(entry)
    return document.get(f"{name}_date") or "?"


def _due(reporting):
    """`; results due 2023-06-15 (estimate)` when a due date is worked out."""
    due = (reporting or {}).get("due")
    return f"; results due {due} (estimate)" if due else ""


def _print_trial(document, settings):
    """A short human-readable summary of a trial document; for the operator, a source that is
    off says which setting would turn it on."""
    title = document["title"] or "(no title)"
    click.echo(click.style(f"{document['nct_id']}  {title}", bold=True))
    if document.get("requested_id"):
        click.echo(f"  (asked for {document['requested_id']}, an alias)")
    rows = [
        ("status", code_label(document["status"])),
        ("phase", phase_label(document["phases"])),
        ("type", code_label(document["study_type"])),
        ("sponsor", document["sponsor"]),
        ("enrollment", _estimated(document["enrollment"] and number(document["enrollment"]),
                                  document.get("enrollment_estimated"))),
        ("dates", f"{_date(document, 'start')} to {_date(document, 'completion')}"),
        ("results", "posted" if document["has_results"] else "none posted"),
        ("reporting", headline(document.get("reporting"))),
        ("completion", "primary " + dated((document.get("reporting") or {}).get(
            "primary_completion")) + _due(document.get("reporting"))),
        ("record", document["url"]),
    ]
    for label, value in rows:
        click.echo(f"  {label:<11} {value if value is not None else 'n/a'}")
    click.echo()
    if document.get("state") == "collecting":
        asked = [s for s in document["sources"] if s["status"] != "disabled"]
        answered = sum(s["status"] != "pending" for s in asked)
        click.echo(f"  collecting… {answered} of {len(asked)} sources have answered; these "
                   "figures are not final yet")
    elif document.get("state") == "partial":
        # The retry in the terminal's own clock.
        zone = datetime.now().astimezone().tzinfo
        click.echo(f"  partial: {coverage_line(document['coverage'], zone)}")
    attention = [noun(kind, count) for kind, count in document["kinds"].items()
                 if count and kind != "publication"]
    click.echo(click.style(f"  score {number(document['score'])}", bold=True) + "   "
               + (", ".join(attention) or "no news, posts or pages yet"))
    publications = document["publications"]
    notices = publications.get("notices") or 0
    click.echo(f"  {noun('publication', publications['total'])} "
               f"({number(publications['results'])} reporting results, "
               f"{plural(publications.get('preprints', 0), 'preprint')})"
               + (f"; {plural(notices, 'correction or retraction notice')}, not counted"
                  if notices else ""))
    click.echo()
    idle = {source_class.id: sources.status_of_idle(source_class, settings)
            for source_class in sources.REGISTRY}
    click.echo(f"  {'source':<20} {'status':<12} {'found':>5}  note")
    for source in document["sources"]:
        if source["status"] == "disabled":
            status, note = "off", [idle.get(source["id"]) or source["error"] or ""]
        else:
            status, note = status_label(source["status"]), [source["error"] or ""]
        if source.get("skipped"):
            note.append(f"{plural(source['skipped'], 'item')} skipped")
        click.echo(f"  {source['name']:<20} {status:<12} {number(source['count']):>5}  "
                   + "; ".join(part for part in note if part))
    if document["mentions"]:
        click.echo()
        click.echo(f"  latest of {plural(document['mentions_total'], 'mention')}:")
    for mention in document["mentions"]:
        when = (mention["published_at"] or "")[:10] or "undated"
        title = (mention["title"] or mention["url"] or "")[:90]
        click.echo(f"  {when:<10} {one_of(mention['kind']):<15} {title}")
        where = " · ".join(filter(None, [mention.get("outlet") or source_label(mention["source"]),
                                         mention["url"]]))
        click.echo(f"  {'':<10} {'':<15} {click.style(where, dim=True)}")
    if document["altmetric"]:
        click.echo(f"\n  Altmetric score {number(document['altmetric']['score'])} "
                   f"({document['altmetric']['attribution']})")
    if document["stale"]:
        click.echo("\n  (stored copy; a refresh is under way or the registry could not be "
                   "reached)")


@main.command()
@click.argument("targets", nargs=-1, required=True)
def harvest(targets):
    """Refresh the attention of many trials (NCT IDs, or files naming them) as queued jobs,
    showing their progress; workers (or this command's own, in the embedded set-up) run them."""
    from sqlalchemy import func, select

    from trialbuzz.storage.models import Mention, SourceCheck

    app = create_app()
    get_db(app).migrate()
    state = app.extensions["trialbuzz"]
    ids = _harvest_ids(targets)
    started = state.work.clock()
    try:
        ended = _wait_for(state, ids, force=True)
    finally:
        state.jobs.shutdown()
    failed = [f"{nct_id}: {status.error.message}" for nct_id, status in ended.items()
              if status.error is not None]
    with state.db.session() as session:
        found = session.scalar(select(func.count()).select_from(Mention).where(
            Mention.nct_id.in_(ids), Mention.last_seen_at >= started))
        errors = dict(session.execute(
            select(SourceCheck.source, func.count(func.distinct(SourceCheck.nct_id)))
            .where(SourceCheck.nct_id.in_(ids), SourceCheck.checked_at >= started,
                   SourceCheck.status != "ok")
            .group_by(SourceCheck.source)).all())
    click.echo(f"trials: {number(len(ids) - len(failed))} harvested, {number(len(failed))} "
               f"failed; mentions found: {number(found)}")
    for source, count in sorted(errors.items()):
        click.echo(f"  {source_label(source)}: {plural(count, 'trial')} with errors")
    for line in failed:
        click.echo(f"  {line}")
    if failed and len(failed) == len(ids):
        sys.exit(1)


@main.command("sources")
def list_sources():
    """List every source with its state on this server: on, or off and what would turn it on
    ("not configured" names the settings a keyed source still needs)."""
    settings = create_app().config
    click.echo(f"{'source':<20} {'kind':<18} {'state':<6} note")
    for source_class in sources.REGISTRY:
        idle = sources.status_of_idle(source_class, settings)
        kinds = ", ".join(source_class.kinds) or "—"
        if idle:
            state, note = "off", idle
        else:
            state = "on"
            if source_class.stream:
                note = "a stream: posts are filed as they are written"
            elif not getattr(source_class, "calls_upstream", True):
                note = "read from the registry record"
            elif hasattr(source_class, "sweep_pages") and settings["SWEEP_EVERY"]:
                note = "asked per trial until its sweep covers every trial"
            else:
                note = "asked per trial"
            if source_class.experimental:
                note += "; experimental"
        click.echo(f"{source_class.name:<20} {kinds:<18} {state:<6} {note}")


@main.command()
@click.argument("sources", nargs=-1)
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Start from this date (YYYY-MM-DD) instead of the last sweep's watermark.")
def sweep(sources, since):
    """Sweep sources now for every mention of any study (all that can sweep, or SOURCES), since
    the last sweep or --since; prints what each found. New trials' registry records follow as
    queued jobs, a few a minute."""
    from datetime import timezone

    from tqdm import tqdm

    from trialbuzz.jobs.sweeps import RUNNING

    app = create_app()
    get_db(app).migrate()
    state = app.extensions["trialbuzz"]
    known = list(state.sweeps.sweepers)
    unknown = [source for source in sources if source not in known]
    if unknown:
        raise click.BadParameter(f"{', '.join(unknown)}: not a source that can sweep (these "
                                 f"can: {', '.join(known)})", param_hint="SOURCES")
    since = since.replace(tzinfo=timezone.utc) if since else None
    failed = 0
    try:
        for key in state.sweeps.keys(set(sources) or None):
            label = key[0] + (f" ({key[1]})" if key[1] else "")
            if not state.sweeps.claim(key, RUNNING):
                click.echo(f"{label}: a sweep is already under way; skipped")
                continue
            with tqdm(desc=label, unit="page", file=sys.stderr) as bar:
                def progress(tally, bar=bar):
                    bar.update(tally.pages - bar.n)
                    bar.set_postfix(mentions=len(tally.mentions), trials=len(tally.trials))

                tally = state.sweeps.run(key, since=since, progress=progress)
            figures = tally.as_dict()
            click.echo(f"{label}: {figures['pages']} pages, {figures['calls']} calls, "
                       f"{figures['mentions']} mentions of {figures['trials']} trials, "
                       f"{figures['new_trials']} new trials"
                       + (f", {figures['records']} registry records" if figures['records']
                          else "")
                       + (f"; failed: {tally.error} (resumed at the next sweep)"
                          if tally.outcome == "failed" else ""))
            failed += tally.outcome == "failed"
    finally:
        state.jobs.shutdown()
    if failed:
        sys.exit(1)


@main.command()
def feeds():
    """List the news and blog feeds in use (FEEDS_FILE's, else the list shipped in the package,
    plus FEEDS) and how each one's last poll went."""
    from sqlalchemy import select

    from trialbuzz.attention.sources.feeds import Feeds
    from trialbuzz.storage.models import Sweep

    app = create_app()
    get_db(app).migrate()
    state = app.extensions["trialbuzz"]
    settings = app.config
    try:
        source = Feeds(settings)
        with state.db.session() as session:
            rows = {row.scope: row for row in session.scalars(
                select(Sweep).where(Sweep.source == Feeds.id))}
    finally:
        state.jobs.shutdown()
    if source.list_error:
        raise click.ClickException(source.list_error)
    origin = (f"the list in {settings['FEEDS_FILE']}" if settings["FEEDS_FILE"]
              else "the list shipped with trialbuzz (TRIALBUZZ_FEEDS_FILE names your own)")
    click.echo(f"{plural(len(source.feeds), 'feed')}, each polled every "
               f"{_duration(settings['FEEDS_EVERY'])}: {origin}"
               + (", plus TRIALBUZZ_FEEDS" if settings["FEEDS"] else ""))
    idle = sources.status_of_idle(Feeds, settings)
    if idle:
        click.echo(f"not polled now: {idle}")
    for feed in source.feeds:
        click.echo(f"  {feed.name}  ({feed.kind})  {feed.url}")
        row = rows.get(feed.scope)
        click.echo(click.style(f"      {_poll_state(row)}", dim=True))


def _duration(seconds):
    """Seconds as people say them: "1 hour", "30 minutes", "90 seconds"."""
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            return plural(seconds // size, unit)
    return plural(seconds, "second")


def _poll_state(row):
    """How a feed's last poll went, from its sweep's row."""
    def at(moment):
        return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "never"

    if row is None or row.finished_at is None:
        return "not polled yet"
    # After a 304 the last body read still stands: its count is kept with its validators.
    found = (row.kept or {}).get("naming", (row.stats or {}).get("mentions", 0))
    ok = f"last read {at(row.succeeded_at)}: {plural(found, 'entry', 'entries')} naming a study"
    if row.failures:
        return (f"failing ({row.failures} in a row, last {at(row.finished_at)}): {row.error}; "
                + (ok if row.succeeded_at else "never read"))
    return ok


def _wait_for(state, ids, force, quiet=False, timeout=None):
    """Queue a refresh of each of `ids` and wait for all to end (or `timeout` s), with a
    progress bar; the Status of each that ended."""
    import time

    from tqdm import tqdm

    for nct_id in ids:
        state.jobs.request(nct_id, force=force)
    if not state.jobs.embedded and not quiet:
        click.echo("queued: `trialbuzz worker` processes run the jobs (EMBEDDED_WORKER is off)",
                   err=True)
    deadline = None if timeout is None else time.monotonic() + timeout
    ended, waiting = {}, list(ids)
    with tqdm(total=len(ids), desc="collecting", unit="trial", file=sys.stderr,
              disable=True if quiet else None) as bar:
        while waiting:
            for nct_id in list(waiting):
                status = state.jobs.status(nct_id)
                if not status.active:
                    ended[nct_id] = status
                    waiting.remove(nct_id)
                    bar.update(1)
            if waiting and deadline is not None and time.monotonic() > deadline:
                break
            if waiting:
                time.sleep(0.2)
    return ended


def _harvest_ids(targets):
    """NCT IDs from arguments that are IDs or files of IDs, in order, without repeats."""
    import os

    ids = []
    for target in targets:
        nct_id = normalize(target)
        if nct_id:
            ids.append(nct_id)
        elif os.path.isfile(target):
            with open(target, encoding="utf-8", errors="replace") as handle:
                ids.extend(find_all(handle.read()))
        else:
            raise click.BadParameter(f"{target!r} is neither an NCT ID nor a file",
                                     param_hint="TARGETS")
    if not ids:
        raise click.ClickException("no NCT IDs given")
    return unique(ids)


def _say_sources_off(settings):
    """Tell the operator which sources are off and what would turn each on (pages say only
    that a source is not used on this server), and how those on run when it matters."""
    for source_class in sources.REGISTRY:
        idle = sources.status_of_idle(source_class, settings)
        if idle:
            click.echo(f"{source_class.name} is off: {idle}", err=True)
        elif source_class.mode(settings):
            click.echo(f"{source_class.name} is on: {source_class.mode(settings)}", err=True)


def _redacted(url):
    """A database URL without its password."""
    from sqlalchemy.engine import make_url
    return make_url(url).render_as_string(hide_password=True)


if __name__ == "__main__":
    sys.exit(main())
