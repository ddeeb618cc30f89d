"""`trialbuzz serve` plus one bare route, so benchmarks compare against the same waitress server."""

import argparse

from flask import jsonify
from waitress import serve

from trialbuzz import create_app
from trialbuzz.storage.db import get_db

BARE = {"ok": True, "bench": "bare"}


def build():
    """The app exactly as `trialbuzz serve` builds it (TRIALBUZZ_* environment), plus /bench/bare."""
    app = create_app()
    get_db(app).migrate()

    @app.get("/bench/bare")
    def bare():
        """A constant small JSON: the floor of what a Flask route under waitress costs."""
        return jsonify(BARE)

    return app


def main():
    """Serve on a loopback port with the same waitress options as `trialbuzz serve`."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    serve(build(), host=args.host, port=args.port, threads=args.threads, ident="trialbuzz")


if __name__ == "__main__":
    main()
