"""A trial's mentions as CSV or JSON, with CSV cells that spreadsheets cannot run as formulas."""

import csv
import io

from trialbuzz import strictjson

COLUMNS = ("nct_id", "kind", "source", "title", "url", "author", "published_at", "snippet",
           # correction, retraction or expression_of_concern: a notice, not a paper.
           "notice")
# A cell starting with one of these is read as a formula by Excel, LibreOffice and Sheets.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Excel reads a CSV file as UTF-8 only when it starts with a byte order mark.
BOM = "\ufeff"


def neutralise(value):
    """A cell value that a spreadsheet shows as text: a leading quote before formula starters."""
    if value is None:
        return ""
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def rows(document):
    """One row per listed mention of the document, in the order of COLUMNS."""
    nct_id = document["nct_id"]
    for mention in document.get("mentions") or []:
        yield [nct_id, *(mention.get(name) for name in COLUMNS[1:])]


def to_csv(document):
    """The mentions as CSV text (with a byte order mark), every cell neutralised."""
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows(document):
        writer.writerow([neutralise(cell) for cell in row])
    return buffer.getvalue()


def to_json(document):
    """The mentions as a JSON text: the trial's ID, title, score, when, and every mention."""
    return strictjson.dumps({
        "nct_id": document["nct_id"],
        "title": document.get("title"),
        "score": document.get("score"),
        "updated_at": document.get("updated_at"),
        "details_url": document.get("details_url"),
        "mentions_total": document.get("mentions_total", len(document.get("mentions") or [])),
        "mentions": document.get("mentions") or [],
    }, ensure_ascii=False, indent=1)


def filename(nct_id, extension):
    """The download name of an export."""
    return f"{nct_id}-mentions.{extension}"
