"""A fake Jetstream on loopback: replays real-shaped firehose events from the cursor asked,
can cut each connection short, and records what every connection asked for."""

import json
import threading
from urllib.parse import parse_qs, urlsplit

from websockets.sync.server import serve

# Real-shaped authors (did:plc identifiers are 24 base32 characters).
ALICE = "did:plc:niay7ajcptgklwrhknvnhk44"
BOB = "did:plc:k5nskatzhyxersjilvtnz4lh"
CAROL = "did:plc:z72i7hdynmk6r22z27h6tvur"
START_US = 1_764_950_400_000_000   # 2025-12-05T16:00:00Z


def post(did, rkey, time_us, text, facets=None, embed=None, created_at=None, langs=("en",)):
    """A commit event creating a post, as Jetstream sends it."""
    record = {"$type": "app.bsky.feed.post", "text": text, "langs": list(langs),
              "createdAt": created_at or _iso(time_us)}
    if facets:
        record["facets"] = facets
    if embed:
        record["embed"] = embed
    return {"did": did, "time_us": time_us, "kind": "commit",
            "commit": {"rev": f"3l{time_us:x}", "operation": "create",
                       "collection": "app.bsky.feed.post", "rkey": rkey, "record": record,
                       "cid": "bafyreiaicb72bvulmvdafwzock4lsvarcx4bp54u4dri4jcrkjly5o5dla"}}


def link_facet(uri, start=0, end=10):
    """A rich-text facet making bytes start..end of the text a link to `uri`."""
    return {"index": {"byteStart": start, "byteEnd": end},
            "features": [{"$type": "app.bsky.richtext.facet#link", "uri": uri}]}


def link_card(uri, title="A link"):
    """An external embed (the link card under a post)."""
    return {"$type": "app.bsky.embed.external",
            "external": {"uri": uri, "title": title, "description": ""}}


def identity_event(did, handle, time_us):
    """An identity event: the account's current handle."""
    return {"did": did, "time_us": time_us, "kind": "identity",
            "identity": {"did": did, "handle": handle, "seq": 1, "time": _iso(time_us)}}


def _iso(time_us):
    from datetime import datetime, timezone
    return datetime.fromtimestamp(time_us / 1e6, timezone.utc).isoformat().replace(
        "+00:00", "Z")


class FakeJetstream:
    """`events` are sent in time order from the cursor a client asks for (all without one);
    `cut_after` ends each connection after that many events; `asked` lists each
    connection's query."""

    def __init__(self, events=(), cut_after=None):
        self.events = sorted(events, key=lambda e: e["time_us"])
        self.cut_after = cut_after
        self.asked = []
        self._server = None
        self._thread = None
        self._stopping = threading.Event()

    @property
    def url(self):
        host, port = self._server.socket.getsockname()[:2]
        return f"ws://{host}:{port}/subscribe"

    def start(self):
        self._server = serve(self._serve, "127.0.0.1", 0)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self._stopping.set()
        self._server.shutdown()
        self._thread.join(5)

    def _serve(self, connection):
        query = parse_qs(urlsplit(connection.request.path).query)
        self.asked.append({name: values[0] for name, values in query.items()})
        cursor = int(query["cursor"][0]) if "cursor" in query else None
        sent = 0
        for event in self.events:
            if cursor is not None and event["time_us"] < cursor:
                continue
            if self.cut_after is not None and sent >= self.cut_after:
                return  # the connection ends here, as a dropped one does
            connection.send(json.dumps(event) if not isinstance(event.get("raw"), str)
                            else event["raw"])
            sent += 1
        # Everything sent: stay open and quiet, as a live stream between posts.
        while not self._stopping.is_set():
            try:
                connection.recv(timeout=0.2)
            except TimeoutError:
                continue
            except Exception:  # noqa: BLE001 - the client went away
                return
