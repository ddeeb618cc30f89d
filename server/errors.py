"""The one exception hierarchy of trialbuzz; each error knows its HTTP status and error code."""


class TrialbuzzError(Exception):
    """Base of every error trialbuzz raises on purpose."""

    status = 500
    code = "internal_error"

    def __init__(self, message=None, *, code=None, status=None, retry_after=None):
        super().__init__(message or self.__doc__.strip().rstrip("."))
        if code:
            self.code = code
        if status:
            self.status = status
        self.retry_after = retry_after

    @property
    def message(self):
        """The human-readable message."""
        return self.args[0]


class BadRequest(TrialbuzzError):
    """The request is malformed."""

    status = 400
    code = "bad_request"


class InvalidNctId(BadRequest):
    """Not an NCT ID: expected NCT followed by exactly 8 digits, such as NCT04280705."""

    code = "invalid_nct_id"


class InvalidUrl(BadRequest):
    """Not a usable URL: give an absolute http or https URL."""

    code = "invalid_url"


class UrlRefused(BadRequest):
    """That URL may not be fetched."""

    status = 403
    code = "url_refused"


class NotFound(TrialbuzzError):
    """Nothing here."""

    status = 404
    code = "not_found"


class TrialNotFound(NotFound):
    """ClinicalTrials.gov has no study with this NCT ID."""

    code = "trial_not_found"


class CollectionNotFound(NotFound):
    """No collection has this ID (it may have been deleted)."""

    code = "collection_not_found"


class Unauthorized(TrialbuzzError):
    """Give the collection's edit token as Authorization: Bearer <token>."""

    status = 401
    code = "unauthorized"


class Forbidden(TrialbuzzError):
    """That edit token does not open this collection."""

    status = 403
    code = "forbidden"


class RateLimited(TrialbuzzError):
    """Too many requests; try again later."""

    status = 429
    code = "rate_limited"


class Busy(TrialbuzzError):
    """The server has too much work of this kind under way; try again shortly."""

    status = 503
    code = "busy"

    def __init__(self, message=None, **options):
        options.setdefault("retry_after", 60)
        super().__init__(message, **options)


class Pending(TrialbuzzError):
    """The trial is being looked up for the first time; ask again in a few seconds."""

    status = 202
    code = "pending"

    def __init__(self, nct_id, message=None, **options):
        options.setdefault("retry_after", 3)
        super().__init__(message or f"{nct_id} is being looked up on ClinicalTrials.gov for "
                         "the first time; ask again in a few seconds.", **options)
        self.nct_id = nct_id


class UpstreamError(TrialbuzzError):
    """An upstream service answered with an error."""

    status = 502
    code = "upstream_error"


class UpstreamBadResponse(UpstreamError):
    """An upstream service answered with something that is not what it promised."""

    code = "upstream_bad_response"


class UpstreamUnavailable(UpstreamError):
    """An upstream service is unavailable or rate-limiting us; try again later."""

    status = 503
    code = "upstream_unavailable"


class UpstreamTimeout(UpstreamError):
    """An upstream service did not answer in time."""

    status = 504
    code = "upstream_timeout"


class PageFetchError(UpstreamError):
    """The page could not be fetched."""

    code = "page_fetch_failed"


def rebuilt(code, message, status=None, retry_after=None):
    """The error a stored code stands for, as the class that raises it (a TrialNotFound stays
    one when a worker recorded it and a web process reports it)."""
    classes, known = [TrialbuzzError], {}
    while classes:
        cls = classes.pop()
        known.setdefault(cls.code, cls)
        classes.extend(cls.__subclasses__())
    cls = known.get(code, TrialbuzzError)
    if cls is Pending:
        cls = TrialbuzzError
    return cls(message, code=code, status=status, retry_after=retry_after)
