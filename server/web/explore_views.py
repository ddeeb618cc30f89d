"""The Explorer: trials with attention, searched and filtered, as a page (/explore), JSON
(/api/v1/explore) and CSV (/api/v1/explore.csv)."""

import csv
import io

from flask import Blueprint, Response, jsonify, render_template, request, url_for

from trialbuzz.attention import explore, sources
from trialbuzz.attention.context import in_words
from trialbuzz.attention.kinds import KINDS
from trialbuzz.clock import aware
from trialbuzz.errors import TrialbuzzError
from trialbuzz.state import base_url, state
from trialbuzz.web.exports import BOM, neutralise
from trialbuzz.web.labels import code_label, phase_label

bp = Blueprint("explore", __name__)

# A CSV export lists up to this many trials from `offset` on.
CSV_LIMIT = 1000
# The drop-downs of the results reporting filter and of the orders.
REPORTING = {"posted": "Posted", "posted_late": "Posted late", "overdue": "Overdue",
             "not_due": "Not due yet", "not_applicable": "Not applicable", "unknown": "Unknown"}
SORTS = {"score": "Score", "recent": "Most recent attention",
         "trending": "Trending (last 7 days)"}
CSV_COLUMNS = ("nct_id", "title", "status", "phases", "reporting", "score", "change_7d",
               "latest_mention_at", "percentile", "rank", "publications", "mentions_total",
               "details_url")


def _query():
    """The Explorer query of this request."""
    return explore.parse(request.args, tuple(KINDS),
                         tuple(source.id for source in sources.REGISTRY))


def _results(query, limit=None):
    """(total, compact documents, without their list of mentions, with their 7-day change and
    newest mention's date)."""
    with state().db.session() as session:
        total, page = explore.search(session, query, limit=limit,
                                     totals=state().attention.totals)
    documents = state().attention.compacts([nct_id for nct_id, _, _ in page], base_url(),
                                           mentions=False)
    extra = {nct_id: {"change_7d": trend,
                      "latest_mention_at": aware(latest).isoformat() if latest else None}
             for nct_id, trend, latest in page}
    return total, [{**document, **extra[document["nct_id"]]} for document in documents]


def _csv(query):
    """The trials of a query as CSV, every cell neutralised."""
    total, trials = _results(query, limit=CSV_LIMIT)
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for trial in trials:
        context = trial.get("context") or {}
        row = {**trial, "phases": " ".join(trial.get("phases") or []),
               "reporting": (trial.get("reporting") or {}).get("status"),
               "percentile": context.get("percentile"), "rank": context.get("rank"),
               "publications": (trial.get("publications") or {}).get("total")}
        writer.writerow([neutralise(row.get(name)) for name in CSV_COLUMNS])
    response = Response(buffer.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="trialbuzz-explore.csv"'
    response.headers["X-Total-Count"] = str(total)
    response.headers["Cache-Control"] = "public, max-age=60"
    return response


@bp.get("/api/v1/explore")
def api_explore():
    """Trials with attention, filtered, sorted and paged: {"total", "trials"}."""
    query = _query()
    if request.args.get("format", "").lower() == "csv":
        return _csv(query)
    total, trials = _results(query)
    response = jsonify({"total": total, "trials": trials})
    response.headers["Cache-Control"] = "public, max-age=60"
    return response


@bp.get("/api/v1/explore.csv")
def api_explore_csv():
    """The same as /api/v1/explore, as CSV."""
    return _csv(_query())


@bp.get("/explore")
def page():
    """The Explorer's page: a search form with the filters, and one page of results."""
    error, status = None, 200
    try:
        query = _query()
        total, trials = _results(query)
    except TrialbuzzError as exc:
        error, status = exc.message, exc.status
        query, total, trials = explore.Query(), 0, []
    params = query.params()
    pages = {}
    if query.offset > 0:
        pages["previous"] = url_for("explore.page", **query.params(
            offset=max(0, query.offset - query.limit)))
    if query.offset + query.limit < total:
        pages["next"] = url_for("explore.page", **query.params(offset=query.offset + query.limit))
    for trial in trials:
        trial["context_words"] = in_words(trial.get("context"))
    return render_template(
        "explore.html", query=query, args=request.args, total=total, trials=trials,
        error=error, pages=pages, csv_url=url_for("explore.api_explore_csv", **params),
        kinds=KINDS, choices=_choices()), status


def _choices():
    """Each filter's drop-down: (value, words) pairs, in the words the rest of the site uses."""
    return {
        "status": [(value, code_label(value)) for value in explore.STATUSES],
        "phase": [(value, phase_label([value])) for value in explore.PHASES],
        "study_type": [(value, code_label(value)) for value in explore.STUDY_TYPES],
        "kind": [(kind, entry["label"]) for kind, entry in KINDS.items()],
        "source": [(source.id, source.name) for source in sources.REGISTRY],
        "reporting": list(REPORTING.items()),
        "sort": list(SORTS.items()),
    }
