"""Page weight: bytes of each answer's body as sent, for identity, gzip and brotli.

The home page with a lookup, a details page, the badge embed script, the bookmarklet's overlay
and a badge SVG, each with the scripts and styles a browser fetches with it. Redirects (the fixed
/embed.js pointing at its hashed URL) are followed and their bodies counted. Headers are left
out: they are about the same whatever the encoding.
"""

import argparse
import re
import tempfile
from pathlib import Path

from benchlib import FakeUpstream, app_config, serve_registry

import upstreams  # noqa: E402 - found through benchlib's sys.path entry
from trialbuzz import create_app  # noqa: E402
from trialbuzz.storage.db import get_db  # noqa: E402

ENCODINGS = {"identity": "identity", "gzip": "gzip", "br": "br"}
NCT_ID = "NCT04280705"


def fetch(client, path, encoding):
    """`(bytes sent, final path, Content-Encoding)` of `path`, following redirects."""
    sent = 0
    for _ in range(5):
        response = client.get(path, headers={"Accept-Encoding": encoding})
        sent += len(response.get_data())
        if response.status_code in (301, 302, 303, 307, 308):
            path = re.sub(r"^https?://[^/]+", "", response.headers["Location"])
            continue
        return sent, path, response.headers.get("Content-Encoding", "identity")
    raise RuntimeError(f"too many redirects from {path}")


def subresources(html):
    """The same-origin scripts and stylesheets a page loads (the favicon aside)."""
    found = re.findall(r'<script[^>]+src="(/[^"]+)"', html)
    found += re.findall(r'<link rel="stylesheet" href="(/[^"]+)"', html)
    return [path.replace("&amp;", "&") for path in found]


def main():
    """Print a table of bytes per resource and encoding."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args()
    fake = FakeUpstream().start()
    upstreams.install(fake)
    serve_registry(fake, [NCT_ID])
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(app_config(Path(tmp), fake.url, TESTING=False))
        get_db(app).migrate()
        client = app.test_client()
        assert client.get(f"/api/v1/trials/{NCT_ID}").status_code == 200
        overlay = re.search(r'"(/bookmarklet/overlay\.js\?v=[0-9a-f]+)"',
                            client.get(f"/popup?ids={NCT_ID}").get_data(as_text=True)).group(1)
        pages = {"home (lookup)": f"/?q={NCT_ID}", "details page": f"/trial/{NCT_ID}",
                 "/embed.js": "/embed.js", "overlay script": overlay,
                 "badge SVG (flat)": f"/badge/{NCT_ID}.svg",
                 "badge SVG (donut)": f"/badge/{NCT_ID}.svg?style=donut&size=100"}
        rows = []
        for name, path in pages.items():
            row = [name]
            for encoding in ENCODINGS.values():
                sent, _, used = fetch(client, path, encoding)
                row.append(f"{sent:,}" + ("" if used == encoding else f" ({used})"))
            rows.append(row)
            answer = client.get(path)
            html = answer.get_data(as_text=True)
            if answer.status_code == 200 and answer.mimetype == "text/html":
                extra = subresources(html)
                row = [f"  + what it loads ({len(extra)} file{'' if len(extra) == 1 else 's'})"]
                totals = [f"= {name} in all"]
                for encoding in ENCODINGS.values():
                    page, _, _ = fetch(client, path, encoding)
                    more = sum(fetch(client, sub, encoding)[0] for sub in extra)
                    row.append(f"{more:,}")
                    totals.append(f"{page + more:,}")
                rows.extend([row, totals])
        app.extensions["trialbuzz"].jobs.shutdown()
    fake.stop()
    width = max(len(row[0]) for row in rows) + 2
    print(f"{'resource':<{width}}" + "".join(f"{name:>20}" for name in ENCODINGS))
    for row in rows:
        print(f"{row[0]:<{width}}" + "".join(f"{cell:>20}" for cell in row[1:]))


if __name__ == "__main__":
    main()
