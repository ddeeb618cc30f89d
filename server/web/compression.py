"""Compressed answers: brotli or gzip, whichever the client prefers, for every text format."""

from flask import request
from flask_compress import Compress

ALGORITHMS = ("br", "gzip")
# What is worth compressing: pages, data, scripts, styles, images drawn as text, feeds, exports.
MIMETYPES = ["text/html", "text/css", "text/javascript", "application/javascript",
             "application/json", "image/svg+xml", "text/plain", "text/csv",
             "application/atom+xml", "application/xml", "text/xml"]
SETTINGS = {
    # Brotli first where the client offers both at the same quality; no zstd or deflate.
    "COMPRESS_ALGORITHM": list(ALGORITHMS),
    "COMPRESS_ALGORITHM_STREAMING": list(ALGORITHMS),
    "COMPRESS_MIMETYPES": MIMETYPES,
    # Brotli 4 (the library's default) loses to gzip 6 on our scripts; 5 beats it by about 5 %
    # in 1-2 ms for the largest (the overlay); 11 would take 100-300 ms a request.
    "COMPRESS_BR_LEVEL": 5,
    # Smaller than this, headers outweigh what compression saves.
    "COMPRESS_MIN_SIZE": 256,
    # Registered below, behind the negotiation of `chosen`.
    "COMPRESS_REGISTER": False,
}


def chosen():
    """The encoding to answer with: the client's most wanted of ours, never one it refuses
    (`q=0`, which Flask-Compress would otherwise pick when nothing else is left); None for
    identity."""
    accepted = request.accept_encodings
    quality, algorithm = max((accepted.quality(name), -rank, name)
                             for rank, name in enumerate(ALGORITHMS))[0::2]
    return algorithm if quality > 0 else None


def init_app(app):
    """Compress the app's answers; register this before other `after_request` hooks, so that it
    runs after them on the final body and headers."""
    for name, value in SETTINGS.items():
        app.config.setdefault(name, value)
    compress = Compress(app)

    @app.after_request
    def compressed(response):
        """The answer in the encoding `chosen` picked; Flask-Compress is shown only that one."""
        environ = request.environ
        asked = environ.get("HTTP_ACCEPT_ENCODING")
        environ["HTTP_ACCEPT_ENCODING"] = chosen() or "identity"
        try:
            return compress.after_request(response)
        finally:
            if asked is None:
                environ.pop("HTTP_ACCEPT_ENCODING", None)
            else:
                environ["HTTP_ACCEPT_ENCODING"] = asked
