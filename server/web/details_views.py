"""The details page of a trial: its record, score, timeline, every mention, badges and exports."""

import re
from urllib.parse import quote

from flask import Blueprint, Response, redirect, render_template, request, url_for
from markupsafe import Markup, escape

from trialbuzz.attention import words
from trialbuzz.attention.context import cohort_words, in_words
from trialbuzz.attention.document import coverage_line
from trialbuzz.attention.kinds import KINDS
from trialbuzz.attention.service import Page
from trialbuzz.attention.sources.base import safe_url
from trialbuzz.clock import utcnow
from trialbuzz.state import base_url, state
from trialbuzz.web import badge_data, badges, exports, ratelimits, reporting_text, timeline

bp = Blueprint("details", __name__)

# Every listed mention of a trial; more than this is not a page anyone reads, and the
# page says when some are left out.
MAX_MENTIONS = 10_000
PAGE_CACHE = "public, max-age=60"


def _cold():
    """Upstream work showing this trial does: its first harvest, if it is new."""
    return int(state().attention.is_cold(request.view_args["nct_id"]))


def _document(nct_id, wait=True):
    """The full document of a trial, and whether `nct_id` is not its canonical spelling; a
    cold trial is waited for as `AttentionService.ensure` says."""
    document = state().attention.document(nct_id, base_url(), page=Page(limit=MAX_MENTIONS),
                                          wait=wait)
    moved = document["nct_id"] != nct_id
    return document, moved


def _groups(mentions, sources):
    """Mentions grouped by kind in display order, each with a checked link and its source's name."""
    names = {source["id"]: source["name"] for source in sources}
    grouped = {}
    for mention in mentions:
        shown = dict(mention, href=safe_url(mention.get("url")),
                     source_name=mention.get("outlet") or names.get(mention.get("source"))
                     or words.source_label(mention.get("source")))
        grouped.setdefault(mention.get("kind") or "other", []).append(shown)
    order = [kind for kind in KINDS if kind in grouped]
    order += sorted(set(grouped) - set(order))
    return [{"kind": kind,
             "label": words.kind_label(kind),
             "color": KINDS.get(kind, {}).get("color"),
             "count": words.noun(kind, len(grouped[kind])),
             "mentions": grouped[kind]} for kind in order]


def _place(context):
    """Where the score stands, in words: overall, then within its cohort; "" without context."""
    overall = in_words(context)
    if not overall:
        return ""
    cohort = cohort_words(context)
    return overall[0].upper() + overall[1:] + (f"; {cohort}" if cohort else "") + "."


def _partial(document):
    """What is missing from a partial document, as a sentence; "" otherwise."""
    if document.get("state") != "partial":
        return ""
    return coverage_line(document.get("coverage"))


def _collecting(document):
    """(answered, asked) sources while the document is still collecting, else None."""
    if document.get("state") != "collecting":
        return None
    asked = [s for s in document["sources"] if s["status"] != "disabled"]
    return sum(s["status"] != "pending" for s in asked), len(asked)


def _snippets(nct_id):
    """The ready-to-paste snippet of every badge form, each with a name and a preview kind."""
    base = base_url()
    details = f"{base}/trial/{nct_id}"
    badge = f"{base}/badge/{nct_id}.svg"
    alt = f"Attention score of {nct_id}"
    shields_json = quote(f"{base}/api/v1/shields/{nct_id}.json", safe="")
    script = f'<script async src="{base}/embed.js"></script>'
    return [
        {"id": "markdown", "name": "Markdown image (README)", "preview": "flat",
         "code": f"[![{alt}]({badge})]({details})"},
        {"id": "html-flat", "name": "HTML image (web page, e-mail)", "preview": "flat",
         "code": f'<a href="{details}"><img src="{badge}" alt="{alt}" height="20"></a>'},
        {"id": "html-donut", "name": "HTML donut image", "preview": "donut",
         "code": f'<a href="{details}"><img src="{badge}?style=donut&amp;size=100" '
                 f'alt="{alt}" width="100" height="100"></a>'},
        {"id": "embed-donut", "name": "Script embed: donut with popover", "preview": "embed",
         "type": "donut", "popover": "right",
         "code": f'{script}\n<div class="trialbuzz-embed" data-nct-id="{nct_id}" '
                 'data-badge-type="donut" data-badge-popover="right"></div>'},
        {"id": "embed-details", "name": "Script embed: medium donut with details",
         "preview": "embed", "type": "medium-donut", "details": "right",
         "code": f'{script}\n<div class="trialbuzz-embed" data-nct-id="{nct_id}" '
                 'data-badge-type="medium-donut" data-badge-details="right"></div>'},
        {"id": "embed-bar", "name": "Script embed: bar", "preview": "embed", "type": "bar",
         "popover": "bottom",
         "code": f'{script}\n<div class="trialbuzz-embed" data-nct-id="{nct_id}" '
                 'data-badge-type="bar" data-badge-popover="bottom"></div>'},
        {"id": "embed-altmetric", "name": "Switching from Altmetric's embed.js", "preview": None,
         "code": f'<script async src="{base}/embed.js" data-trialbuzz></script>\n'
                 f'<div class="altmetric-embed" data-badge-type="donut" data-nct-id="{nct_id}">'
                 "</div>"},
        {"id": "shields", "name": "shields.io endpoint badge", "preview": None,
         "code": f"https://img.shields.io/endpoint?url={shields_json}"},
        {"id": "altmetric-api", "name": "Altmetric-compatible API", "preview": None,
         "code": f"{base}/v1/nct_id/{nct_id}"},
    ]


@bp.get("/trial/<nct_id>")
@ratelimits.reaching_upstream(_cold)
def trial(nct_id):
    """The details page; an alias or another spelling of the ID redirects to the canonical one."""
    # A reader sees progress within PAGE_WAIT; the page fills itself in as sources answer.
    document, moved = _document(nct_id, wait=state().settings["PAGE_WAIT"])
    if moved:
        return redirect(url_for(".trial", nct_id=document["nct_id"]), code=301)
    figures = badge_data.figures(document)
    donut = badges.donut(figures, badges.BadgeOptions(style="donut", size=100))
    mentions = document["mentions"]
    counts = timeline.counted(mentions)
    today = utcnow().date()
    response = Response(render_template(
        "trial.html", trial=document, donut=Markup(donut),
        chart=Markup(timeline.charts(counts, today)), legend=timeline.legend(counts),
        months=timeline.monthly_counts(counts, today),
        groups=_groups(mentions, document["sources"]), snippets=_snippets(document["nct_id"]),
        has_attention=not figures.ghost, kinds=KINDS,
        dark_colors=badges.DARK_COLORS, collecting=_collecting(document),
        partial=_partial(document), place=_place(document.get("context")),
        reporting_headline=_headline, dated=reporting_text.dated))
    # A page still collecting is asked for again by its script: never a kept copy.
    response.headers["Cache-Control"] = "no-cache" if document.get("state") == "collecting" \
        else PAGE_CACHE
    return response


def _headline(reporting):
    """The reporting headline as HTML, its dates kept whole on narrow screens."""
    return Markup(re.sub(r"(\d{4}-\d{2}-\d{2})", r'<span class="date">\1</span>',
                         str(escape(reporting_text.headline(reporting)))))


def _export(nct_id, extension, body, mimetype):
    """An export as a download named after the trial."""
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{exports.filename(nct_id, extension)}"')
    response.headers["Cache-Control"] = PAGE_CACHE
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


EXPORTS = {"csv": (exports.to_csv, "text/csv"), "json": (exports.to_json, "application/json")}


@bp.get("/trial/<nct_id>/mentions.<any(csv, json):extension>")
@ratelimits.reaching_upstream(_cold)
def mentions_export(nct_id, extension):
    """Every listed mention as CSV (safe to open in a spreadsheet) or JSON."""
    document, moved = _document(nct_id)
    if moved:
        return redirect(url_for(".mentions_export", nct_id=document["nct_id"],
                                extension=extension), code=301)
    render, mimetype = EXPORTS[extension]
    return _export(document["nct_id"], extension, render(document), mimetype)
