"""The OpenAPI 3 description of the JSON API, served at /api/openapi.json."""

from trialbuzz import __version__, collections, settings
from trialbuzz.attention import explore
from trialbuzz.attention.sources.base import KINDS

NCT_PATTERN = "^[Nn][Cc][Tt](?!0{8})[0-9]{8}$"
URL_SCHEMA = {"type": "string", "pattern": "^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[^\\s]*)?$",
              "maxLength": 4096}
IDS_SCHEMA = {"type": "string", "pattern": "^(NCT(?!0{8})[0-9]{8})(,NCT(?!0{8})[0-9]{8}){0,19}$"}


def _ref(name):
    """A reference to a component schema."""
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema, description):
    """A JSON response."""
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*statuses):
    """Error responses in the one error shape."""
    texts = {400: "Invalid input", 401: "No edit token given (Authorization: Bearer <token>)",
             403: "A URL we will not fetch, or an edit token that does not open this "
                  "collection",
             404: "Not found", 413: "The body is larger than 1 MB",
             429: "Too many requests that reach upstream services (or new collections)",
             502: "An upstream answered badly", 503: "An upstream is unavailable",
             504: "An upstream did not answer in time"}
    return {str(status): _json(_ref("Error"), texts[status]) for status in statuses}


NULLABLE_STRING = {"type": ["string", "null"]}
COUNTS = {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0}}
REGISTRY_DATE = {"type": "string", "pattern": "^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$"}
NULLABLE_DAY = {"type": ["string", "null"], "format": "date"}
DATED = {"oneOf": [{"type": "null"}, {
    "type": "object", "required": ["date", "estimated"], "additionalProperties": False,
    "properties": {"date": REGISTRY_DATE,
                   "estimated": {"type": "boolean", "description":
                                 "The registry gives the date as ESTIMATED (anticipated), "
                                 "not ACTUAL"}}}]}
LINKED_PAPER = {"type": "object", "required": ["title", "url"],
                "properties": {"title": NULLABLE_STRING, "url": NULLABLE_STRING}}
NOTICE_TYPES = ["correction", "retraction", "expression_of_concern"]

SCHEMAS = {
    "Error": {"type": "object", "required": ["error"], "additionalProperties": False,
              "properties": {"error": {"type": "object", "required": ["code", "message"],
                                       "additionalProperties": False,
                                       "properties": {"code": {"type": "string"},
                                                      "message": {"type": "string"}}}}},
    "Resolution": {"type": "object", "required": ["url", "nct_ids", "primary", "truncated"],
                   "properties": {"url": {"type": "string"},
                                  "nct_ids": {"type": "array", "items": {"type": "string"}},
                                  "primary": NULLABLE_STRING,
                                  "truncated": {"type": "boolean", "description":
                                                "Only the first part of the page was read: it "
                                                "was longer than FETCH_MAX_BYTES, or used up "
                                                "the reader's CPU budget"}}},
    "Mention": {"type": "object", "required": ["source", "kind", "title", "url", "author",
                                               "published_at", "snippet"],
                "properties": {"source": {"type": "string"}, "kind": {"type": "string"},
                               "title": NULLABLE_STRING, "url": NULLABLE_STRING,
                               "author": NULLABLE_STRING,
                               "published_at": {"type": ["string", "null"],
                                                "format": "date-time"},
                               "snippet": NULLABLE_STRING, "comment": {"type": "boolean"},
                               "outlet": {"type": "string", "description":
                                          "The news site or blog a feed entry came from, as "
                                          "the server's feed list names it"},
                               "result": {"type": "boolean"},
                               "notice": {"enum": NOTICE_TYPES, "description":
                                          "The item is a correction, retraction or expression "
                                          "of concern: shown, never counted"},
                               "notice_for": {**LINKED_PAPER, "description":
                                              "The paper a notice is about, when the source "
                                              "says which"},
                               "notices": {"type": "array", "description":
                                           "Notices about this paper", "items": {
                                               "type": "object",
                                               "required": ["type", "title", "url"],
                                               "properties": {
                                                   "type": {"enum": NOTICE_TYPES},
                                                   "title": NULLABLE_STRING,
                                                   "url": NULLABLE_STRING}}},
                               "also_found_by": {"type": "array",
                                                 "items": {"type": "string"}}}},
    "Source": {"type": "object", "required": ["id", "name", "status", "count", "checked_at",
                                              "error", "skipped"],
               "properties": {"id": {"type": "string"}, "name": {"type": "string"},
                              "status": {"enum": ["ok", "error", "rate_limited", "disabled",
                                                  "pending"]},
                              "count": {"type": "integer"}, "checked_at": NULLABLE_STRING,
                              "error": NULLABLE_STRING, "experimental": {"type": "boolean"},
                              "skipped": {"type": "integer", "minimum": 0}}},
    "Coverage": {"type": "object", "required": ["answered", "asked", "missing", "retry_at",
                                                "message"],
                 "description": "Which sources in use have answered for the trial; a score of "
                                "0 means no attention only when none is missing.",
                 "properties": {
                     "answered": {"type": "integer", "minimum": 0},
                     "asked": {"type": "integer", "minimum": 0},
                     "retry_at": NULLABLE_STRING,
                     "message": {**NULLABLE_STRING, "description":
                                 "what is missing, in words, without an end: views add the "
                                 "time of retry_at in their reader's clock"},
                     "missing": {"type": "array", "items": {
                         "type": "object", "required": ["id", "name", "status"],
                         "properties": {"id": {"type": "string"}, "name": {"type": "string"},
                                        "status": {"enum": ["error", "rate_limited",
                                                            "pending"]},
                                        "failing_since": {"type": "string"},
                                        "retry_at": {"type": "string"}}}}}},
    "Publications": {"type": "object", "required": ["total", "results"],
                     "properties": {"total": {"type": "integer"},
                                    "results": {"type": "integer"},
                                    "preprints": {"type": "integer"},
                                    "notices": {"type": "integer", "description":
                                                "Corrections, retractions and expressions of "
                                                "concern found, not in total"}}},
    "Reporting": {
        "type": "object", "description": "Results reporting on ClinicalTrials.gov against the "
        "deadline of FDAAA 801 and 42 CFR 11: an estimate from the registry record",
        "required": ["status", "covered", "primary_completion", "results_submitted",
                     "results_posted", "due", "days_late", "delay_requested", "publication",
                     "note"],
        "properties": {
            "status": {"enum": ["posted", "posted_late", "overdue", "not_due",
                                "not_applicable", "unknown"]},
            "covered": {"enum": ["probably", "probably_not", "unknown"], "description":
                        "Whether FDAAA 801 probably requires results of this trial"},
            "primary_completion": DATED,
            "results_submitted": {**NULLABLE_DAY, "description":
                                  "When results were first submitted"},
            "results_posted": {**NULLABLE_DAY, "description":
                               "When results were first posted"},
            "due": {**NULLABLE_DAY, "description": "When results were probably due (an "
                    "estimate): 12 months after primary completion, later after a "
                    "certificate of delay; null when not covered or unknown"},
            "days_late": {"type": ["integer", "null"], "minimum": 0, "description":
                          "Days from the due date to the first submission (posted, "
                          "posted_late) or to today (overdue)"},
            "delay_requested": {**NULLABLE_DAY, "description":
                                "When a certificate of delay was first submitted"},
            "publication": {"oneOf": [{"type": "null"}, LINKED_PAPER], "description":
                            "A paper the registry lists as reporting the results"},
            "note": {"type": "string", "description": "Why, in plain words"}}},
    "Kinds": {"type": "object", "required": list(KINDS),
              "properties": {kind: {"type": "integer", "minimum": 0} for kind in KINDS}},
    "Trial": {"type": "object",
              "required": ["nct_id", "title", "status", "phases", "has_results", "url",
                           "score", "counts", "kinds", "history", "sources", "publications",
                           "mentions", "altmetric", "updated_at", "stale", "state",
                           "coverage", "dates", "enrollment_estimated", "reporting",
                           "details_url", "badge_url"],
              "properties": {
                  "nct_id": {"type": "string", "pattern": "^NCT[0-9]{8}$"},
                  "requested_id": {"type": "string"},
                  "title": NULLABLE_STRING, "official_title": NULLABLE_STRING,
                  "acronym": NULLABLE_STRING, "status": NULLABLE_STRING,
                  "phases": {"type": "array", "items": {"type": "string"}},
                  "study_type": NULLABLE_STRING, "sponsor": NULLABLE_STRING,
                  "enrollment": {"type": ["integer", "null"]},
                  "enrollment_estimated": {"type": "boolean", "description":
                                           "The registry gives the enrolment as ESTIMATED"},
                  "start_date": NULLABLE_STRING, "completion_date": NULLABLE_STRING,
                  "dates": {"type": "object", "required": ["start", "primary_completion",
                                                           "completion"],
                            "properties": {"start": DATED, "primary_completion": DATED,
                                           "completion": DATED}},
                  "has_results": {"type": "boolean"},
                  "conditions": {"type": "array", "items": {"type": "string"}},
                  "url": {"type": "string"}, "score": {"type": "integer", "minimum": 0},
                  "counts": COUNTS, "kinds": _ref("Kinds"), "history": COUNTS,
                  "sources": {"type": "array", "items": _ref("Source")},
                  "publications": _ref("Publications"),
                  "mentions": {"type": "array", "items": _ref("Mention")},
                  "mentions_total": {"type": "integer"},
                  "reporting": _ref("Reporting"),
                  "altmetric": {"type": ["object", "null"]},
                  "updated_at": {"type": "string"}, "stale": {"type": "boolean"},
                  "state": {"enum": ["collecting", "partial", "complete"], "description":
                            "collecting while sources are still out; partial once the "
                            "refresh ended with some sources failing (see coverage); "
                            "complete once every source in use has answered"},
                  "coverage": _ref("Coverage"), "context": _ref("Context"),
                  "details_url": {"type": "string"}, "badge_url": {"type": "string"}}},
    "Place": {"type": "object", "required": ["percentile", "rank", "of"],
              "properties": {
                  "percentile": {"type": "integer", "minimum": 0, "maximum": 100, "description":
                                 "the share of the group scoring lower (95 = top 5%)"},
                  "rank": {"type": "integer", "minimum": 1, "description": "1 is the top; ties "
                           "share a rank"},
                  "of": {"type": "integer", "minimum": 1, "description": "trials in the group"},
                  "label": {"type": "string", "description": "the cohort, in words"}}},
    "Context": {"type": ["object", "null"], "required": ["percentile", "rank", "of", "cohort"],
                "description": "Where the score stands among every tracked trial with attention, "
                               "and among its cohort: the trials of the same highest phase that "
                               "started the same year. Null when the trial has no attention or "
                               "fewer than CONTEXT_MINIMUM trials are tracked; cohort null when "
                               "the cohort is that small.",
                "properties": {"percentile": {"type": "integer"}, "rank": {"type": "integer"},
                               "of": {"type": "integer"},
                               "cohort": {"anyOf": [_ref("Place"), {"type": "null"}]}}},
    "ExploreTrial": {"type": "object",
                     "required": ["nct_id", "title", "status", "phases", "score", "kinds",
                                  "context", "change_7d", "latest_mention_at", "details_url"],
                     "description": "A compact trial document, as the embed batch and the "
                                    "bookmarklet have it, with the Explorer's sort keys",
                     "properties": {"nct_id": {"type": "string"}, "title": NULLABLE_STRING,
                                    "status": NULLABLE_STRING,
                                    "phases": {"type": "array", "items": {"type": "string"}},
                                    "score": {"type": "integer", "minimum": 0},
                                    "kinds": _ref("Kinds"), "context": _ref("Context"),
                                    "change_7d": {"type": "integer", "description":
                                                  "score of the mentions dated within the week "
                                                  "before the latest refresh"},
                                    "latest_mention_at": {"type": ["string", "null"],
                                                          "format": "date-time"},
                                    "mentions_total": {"type": "integer"},
                                    "details_url": {"type": "string"}}},
    "Explore": {"type": "object", "required": ["total", "trials"],
                "properties": {"total": {"type": "integer", "minimum": 0},
                               "trials": {"type": "array", "items": _ref("ExploreTrial")}}},
    "Pending": {"type": "object", "required": ["nct_id", "state", "message"],
                "properties": {"nct_id": {"type": "string"}, "state": {"const": "pending"},
                               "message": {"type": "string"}}},
    "Shields": {"type": "object", "required": ["schemaVersion", "label", "message"],
                "properties": {"schemaVersion": {"const": 1}, "label": {"type": "string"},
                               "message": {"type": "string", "minLength": 1},
                               "color": {"type": "string"},
                               "cacheSeconds": {"type": "integer", "minimum": 300}}},
    "AltmetricCounts": {"type": "object", "required": ["title", "type", "score", "history",
                                                       "images", "details_url", "added_on",
                                                       "last_updated"],
                        "properties": {"type": {"const": "clinical_trial_study_record"},
                                       "score": {"type": "number"},
                                       "added_on": {"type": "integer"},
                                       "last_updated": {"type": "integer"}}},
    "BadgePayload": {"type": "object", "required": ["primary", "nct_ids", "trials", "url"],
                     "properties": {"primary": NULLABLE_STRING, "url": NULLABLE_STRING,
                                    "nct_ids": {"type": "array", "items": {"type": "string"}},
                                    "trials": {"type": "array", "items": {
                                        "type": "object", "required": ["nct_id"]}}}},
}


def _page_errors(*statuses):
    """Error answers of routes outside /api/, which are pages for people."""
    return {str(status): {"description": "An error page", "content": {
        "text/html": {"schema": {"type": "string"}}}} for status in statuses}


COLLECTION_ID = {"type": "string", "pattern": "^[A-Za-z0-9_-]{16,32}$"}
COLLECTION_SCHEMAS = {
    "CollectionInput": {
        "type": "object",
        "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": 200,
                     "description": "Spaces are folded; control characters removed"},
            "nct_ids": {"type": "array", "items": {"type": "string"}, "description":
                        "NCT IDs in order (any case); repeats are dropped; at most "
                        "COLLECTION_MAX_TRIALS (500) different ones"}}},
    "CollectionCreated": {
        "type": "object",
        "required": ["id", "name", "url", "api_url", "feed_url", "edit_token", "nct_ids"],
        "properties": {"id": COLLECTION_ID, "name": {"type": "string"},
                       "url": {"type": "string"}, "api_url": {"type": "string"},
                       "feed_url": {"type": "string"},
                       "edit_token": {"type": "string", "description":
                                      "Shown this once: send it as Authorization: Bearer "
                                      "<token> to change or delete the collection"},
                       "nct_ids": {"type": "array", "items": {"type": "string"}}}},
    "CollectionTotals": {
        "type": "object",
        "required": ["trials", "score", "kinds", "mentions", "with_attention", "pending",
                     "collecting", "errors"],
        "properties": {"trials": {"type": "integer", "minimum": 0},
                       "score": {"type": "integer", "minimum": 0,
                                 "description": "the sum of the trials' scores"},
                       "kinds": _ref("Kinds"),
                       "mentions": {"type": "integer", "minimum": 0,
                                    "description": "mentions the score counts"},
                       "with_attention": {"type": "integer", "minimum": 0},
                       "pending": {"type": "integer", "minimum": 0,
                                   "description": "registry record not yet fetched"},
                       "collecting": {"type": "integer", "minimum": 0},
                       "errors": {"type": "integer", "minimum": 0}}},
    "Collection": {
        "type": "object",
        "required": ["id", "name", "url", "api_url", "feed_url", "created_at", "updated_at",
                     "nct_ids", "totals", "offset", "limit", "next_url", "trials"],
        "properties": {"id": COLLECTION_ID, "name": {"type": "string"},
                       "url": {"type": "string"}, "api_url": {"type": "string"},
                       "feed_url": {"type": "string"}, "created_at": {"type": "string"},
                       "updated_at": {"type": "string"},
                       "nct_ids": {"type": "array", "items": {"type": "string"}},
                       "totals": _ref("CollectionTotals"),
                       "offset": {"type": "integer", "minimum": 0},
                       "limit": {"type": "integer", "minimum": 1},
                       "next_url": {**NULLABLE_STRING, "description":
                                    "the next page of trials; null on the last"},
                       "trials": {"type": "array", "description":
                                  "a compact trial document per ID of the page, in order; "
                                  "{nct_id, pending, state} while its record is fetched, "
                                  "{nct_id, error} when it could not be",
                                  "items": {"type": "object", "required": ["nct_id"]}}}},
}
SCHEMAS.update(COLLECTION_SCHEMAS)


def _param(name, where="query", required=False, schema=None, description=""):
    """A parameter object."""
    return {"name": name, "in": where, "required": required or where == "path",
            "description": description, "schema": schema or {"type": "string"}}


COLLECTION_PARAM = _param("collection_id", "path", schema=COLLECTION_ID,
                          description="A collection's ID, as given when it was made")
# The trials a collection's read lists (the totals are always those of all of them), from an
# offset up to the size of a collection as served by default.
MAX_TRIALS = settings.DEFAULTS["COLLECTION_MAX_TRIALS"]
COLLECTION_PAGE_PARAMS = [
    _param("limit", schema={"type": "integer", "minimum": 1,
                            "maximum": collections.MAX_LIMIT,
                            "default": collections.PAGE_SIZE},
           description="How many trials to list, in the collection's order (trials.json "
           "lists them all)"),
    _param("offset", schema={"type": "integer", "minimum": 0,
                             "maximum": max(MAX_TRIALS, collections.MAX_OFFSET), "default": 0},
           description="The first trial listed, from 0; past the end, none"),
]
NCT_PARAM = _param("nct_id", "path", schema={"type": "string", "pattern": NCT_PATTERN},
                   description="An NCT ID, such as NCT04280705")

EXPLORE_PARAMS = [
    _param("q", schema={"type": "string", "maxLength": 200},
           description="NCT ID (or its start), or words of the title, conditions or sponsor"),
    _param("status", schema={"type": "string"}, description="Overall status as the registry "
           "spells it (RECRUITING, COMPLETED, …), any case: " + ", ".join(explore.STATUSES)),
    _param("phase", schema={"type": "string"}, description="One of " +
           ", ".join(explore.PHASES) + ", any case; a trial listing several phases matches each"),
    _param("study_type", schema={"type": "string"}, description="One of " +
           ", ".join(explore.STUDY_TYPES)),
    _param("condition", schema={"type": "string", "maxLength": 200},
           description="A condition as the record lists it, any case"),
    _param("sponsor", schema={"type": "string", "maxLength": 200},
           description="The lead sponsor as the record names it, any case"),
    _param("kind", schema={"enum": list(KINDS)}, description="Trials with a mention of this "
           "kind (within from/to when given)"),
    _param("source", schema={"type": "string"}, description="Trials a source found something "
           "for (within from/to when given): a source id such as gdelt, wikipedia, pubmed"),
    _param("reporting", schema={"type": "string"}, description="Results reporting status, as "
           "the document's reporting.status: " + ", ".join(explore.REPORTING)),
    _param("from", schema={"type": "string", "format": "date"},
           description="Trials with a mention dated on or after this day (UTC)"),
    _param("to", schema={"type": "string", "format": "date"},
           description="Trials with a mention dated on or before this day (UTC)"),
    _param("sort", schema={"enum": list(explore.SORTS)}, description="score (default), recent "
           "(newest mention first) or trending (score gained in the last 7 days)"),
    _param("limit", schema={"type": "integer", "minimum": 1, "maximum": explore.MAX_LIMIT}),
    _param("offset", schema={"type": "integer", "minimum": 0, "maximum": explore.MAX_OFFSET}),
]

PATHS = {
    "/api/v1/resolve": {"get": {
        "summary": "The NCT IDs of a page, and the study it is about",
        "parameters": [_param("url", required=True, schema=URL_SCHEMA,
                              description="The page's address")],
        "responses": {"200": _json(_ref("Resolution"), "The IDs found"),
                      **_errors(400, 403, 429, 502, 504)}}},
    "/api/v1/trials/{nct_id}": {"get": {
        "summary": "The trial document",
        "parameters": [NCT_PARAM,
                       _param("refresh", schema={"enum": ["0", "1"]}),
                       _param("limit", schema={"type": "integer", "minimum": 0, "maximum": 100}),
                       _param("offset", schema={"type": "integer", "minimum": 0,
                                                 "maximum": 10_000_000}),
                       _param("kind", schema={"enum": [*KINDS, "link"]})],
        "responses": {"200": _json(_ref("Trial"), "The trial and its attention"),
                      "202": _json(_ref("Pending"), "The registry record is still being "
                                   "fetched: ask again after Retry-After seconds"),
                      "304": {"description": "Not modified (ETag)"},
                      **_errors(400, 404, 429, 502, 503, 504)}}},
    "/api/v1/badge": {"get": {
        "summary": "The bookmarklet payload: the primary trial and a compact document per trial",
        "parameters": [_param("url", schema=URL_SCHEMA, description="The page's address"),
                       _param("ids", schema=IDS_SCHEMA,
                              description="NCT IDs found on the page, comma-separated")],
        "responses": {"200": _json(_ref("BadgePayload"), "The payload"),
                      "304": {"description": "Not modified (ETag)"},
                      **_errors(400, 429)}}},
    "/api/v1/badges": {"get": {
        "summary": "Compact documents for the badges of a page (the embed script's one request)",
        "parameters": [_param("ids", required=True, schema={
            "type": "string",
            "pattern": "^(NCT(?!0{8})[0-9]{8})(,NCT(?!0{8})[0-9]{8}){0,49}$"},
            description="Up to 50 NCT IDs, comma-separated")],
        "responses": {"200": _json({"type": "object"}, "One entry per trial"),
                      "304": {"description": "Not modified (ETag)"},
                      **_errors(400, 429)}}},
    "/api/v1/shields/{nct_id}.json": {"get": {
        "summary": "A shields.io endpoint badge",
        "parameters": [NCT_PARAM],
        "responses": {"200": _json(_ref("Shields"), "The badge"),
                      "304": {"description": "Not modified (ETag)"},
                      **_errors(400, 404, 429, 502, 503, 504)}}},
    "/v1/nct_id/{nct_id}": {"get": {
        "summary": "Altmetric Details Page API v1 compatible counts",
        "parameters": [NCT_PARAM, _param("callback", schema={
            "type": "string", "pattern": "^[A-Za-z_$][A-Za-z0-9_$]{0,63}$"},
            description="JSONP callback name")],
        "responses": {"200": {"description": "Counts in Altmetric's shape", "content": {
                          "application/json": {"schema": _ref("AltmetricCounts")},
                          "application/javascript": {"schema": {"type": "string"}}}},
                      "202": _json(_ref("Pending"), "The registry record is still being "
                                   "fetched: ask again after Retry-After seconds"),
                      "304": {"description": "Not modified (ETag)"},
                      "404": {"description": "No attention (plain text, as Altmetric answers)",
                              "content": {"text/plain": {"schema": {"type": "string"}},
                                          "application/json": {"schema": _ref("Error")}}},
                      **_errors(400, 429, 502, 503, 504)}}},
    "/api/v1/collections": {"post": {
        "summary": "Create a collection (no account: the answer carries its edit token)",
        "requestBody": {"required": True, "content": {"application/json": {
            "schema": {**_ref("CollectionInput"), "required": ["name"]}}}},
        "responses": {"201": _json(_ref("CollectionCreated"), "Created"),
                      **_errors(400, 413, 429)}}},
    "/api/v1/collections/{collection_id}": {
        "get": {"summary": "A collection: the totals of its trials, and the compact "
                           f"documents of a page of them ({collections.PAGE_SIZE} unless limit says "
                           "otherwise)",
                "parameters": [COLLECTION_PARAM, *COLLECTION_PAGE_PARAMS],
                "responses": {"200": _json(_ref("Collection"), "The collection"),
                              "304": {"description": "Not modified (ETag)"},
                              **_errors(400, 404)}},
        "put": {"summary": "Rename a collection and/or replace its trials; answers as GET "
                           "does, with limit and offset",
                "parameters": [COLLECTION_PARAM, *COLLECTION_PAGE_PARAMS],
                "security": [{"editToken": []}],
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {**_ref("CollectionInput"), "anyOf": [
                        {"required": ["name"]}, {"required": ["nct_ids"]}]}}}},
                "responses": {"200": _json(_ref("Collection"), "The collection as changed"),
                              **_errors(400, 401, 403, 404, 413)}},
        "delete": {"summary": "Delete a collection",
                   "parameters": [COLLECTION_PARAM],
                   "security": [{"editToken": []}],
                   "responses": {"204": {"description": "Deleted"},
                                 **_errors(401, 403, 404)}}},
    "/collections/{collection_id}/trials.csv": {"get": {
        "summary": "A collection's trials and figures as CSV (formula-safe, UTF-8 with BOM)",
        "parameters": [COLLECTION_PARAM],
        "responses": {"200": {"description": "CSV", "content": {
                          "text/csv": {"schema": {"type": "string"}}}},
                      **_page_errors(404)}}},
    "/collections/{collection_id}/trials.json": {"get": {
        "summary": "A collection as a JSON download (as the API gives it)",
        "parameters": [COLLECTION_PARAM],
        "responses": {"200": _json(_ref("Collection"), "The collection"),
                      **_page_errors(404)}}},
    "/collections/{collection_id}/feed.atom": {"get": {
        "summary": "Atom feed of the mentions of a collection's trials, newest first",
        "parameters": [COLLECTION_PARAM],
        "responses": {"200": {"description": "Atom 1.0", "content": {
                          "application/atom+xml": {"schema": {"type": "string"}}}},
                      "304": {"description": "Not modified (ETag)"},
                      **_page_errors(404)}}},
    "/trial/{nct_id}/feed.atom": {"get": {
        "summary": "Atom feed of a trial's mentions, newest first (empty while a new trial "
                   "is looked up; never waits for it)",
        "parameters": [NCT_PARAM],
        "responses": {"200": {"description": "Atom 1.0", "content": {
                          "application/atom+xml": {"schema": {"type": "string"}}}},
                      "301": {"description": "An alias or another spelling: the canonical "
                                             "feed"},
                      "304": {"description": "Not modified (ETag)"},
                      **_page_errors(400, 404, 429, 502, 503, 504)}}},
    "/api/v1/explore": {"get": {
        "summary": "Tracked trials with attention: searched, filtered, sorted and paged",
        "parameters": EXPLORE_PARAMS + [_param("format", schema={"enum": ["json", "csv"]},
                                               description="csv: the same as explore.csv")],
        "responses": {"200": {"description": "The trials matched and one page of them",
                              "content": {"application/json": {"schema": _ref("Explore")},
                                          "text/csv": {"schema": {"type": "string"}}}},
                      **_errors(400)}}},
    "/api/v1/explore.csv": {"get": {
        "summary": "The Explorer's trials as CSV (up to 1,000 from offset; formula-safe cells)",
        "parameters": EXPLORE_PARAMS,
        "responses": {"200": {"description": "CSV with a byte order mark; X-Total-Count says "
                                             "how many matched",
                              "content": {"text/csv": {"schema": {"type": "string"}}}},
                      **_errors(400)}}},
    "/healthz": {"get": {
        "summary": "Whether the app and its database answer",
        "responses": {"200": _json({"type": "object"}, "Healthy"),
                      "503": _json({"type": "object"}, "Degraded")}}},
}


def document():
    """The whole OpenAPI document."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "trialbuzz", "version": __version__,
                 "description": "The online attention a clinical trial gets, from open sources."},
        "paths": PATHS,
        "components": {"schemas": SCHEMAS, "securitySchemes": {"editToken": {
            "type": "http", "scheme": "bearer",
            "description": "The edit token given when the collection was created"}}},
    }
