"""Query parameters as the API and the pages take them: checked, or a 400 that says what is
wanted. Parsing of one kind of parameter belongs here; what a route does with it does not."""

from trialbuzz.errors import BadRequest


def whole_number(args, name, default, low, high):
    """The whole number `name` of `args` (a mapping of query parameters) within [low, high]:
    `default` when it is absent or empty, a 400 when it is anything else."""
    raw = (args.get(name) or "").strip()
    if not raw:
        return default
    if not (raw.isascii() and raw.isdigit()) or not low <= int(raw) <= high:
        raise BadRequest(f"{name} must be a whole number from {low} to {high}.",
                         code="invalid_parameter")
    return int(raw)
