"""The browser extension's package: its sources (shipped in `trialbuzz.extension`), the overlay
bundled from the bookmarklet's, a configuration naming a trialbuzz server, icons; as a zip or a
folder to load unpacked.

    python -m trialbuzz.web.extension_build --server http://127.0.0.1:5000 --out build/x.zip
"""

import argparse
import io
import json
import math
import re
import struct
import sys
import zipfile
import zlib
from functools import lru_cache
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit

from trialbuzz import __version__
from trialbuzz.web import badge_data, bookmarklet_code

ZIP_NAME = "trialbuzz-extension.zip"
# The batch endpoint's limit: every badge of a page comes from one request.
MAX_IDS = 50
SOURCES = ("background.js", "scan.js", "content.js", "options.html", "options.js",
           "options.css")
ICON_SIZES = (16, 32, 48, 128)
ICON_COLOR = (0xB3, 0x26, 0x1E)
# Every file gets this date in the zip, so the same sources give the same bytes (and ETag).
ZIP_DATE = (2026, 1, 1, 0, 0, 0)
# The overlay's `fetch` inside the bundle is the content script's: its requests go through the
# service worker, which holds the server's host permission and decides what may be sent.
OVERLAY_PRELUDE = ("/* trialbuzz overlay for the extension: bookmarklet/overlay*.js and "
                   "overlay.css, its requests made by the service worker */\n"
                   "(function (fetch) {\n")
OVERLAY_CODA = ("\n})(function (url, options) {\n"
                "  return trialbuzzExtension.fetch(url, options);\n"
                "});\n")


def _source(name):
    """A file of the `trialbuzz.extension` package."""
    return resources.files("trialbuzz.extension").joinpath(name).read_text(encoding="utf-8")


def server_url(base_url):
    """`base_url` checked as an http(s) address, without a trailing slash."""
    parts = urlsplit(base_url or "")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"the extension needs an http(s) server address, not {base_url!r}")
    return base_url.rstrip("/")


def host_pattern(base_url):
    """The match pattern of the server's host: any port, as Firefox takes no port in patterns."""
    parts = urlsplit(base_url)
    return f"{parts.scheme}://{parts.hostname}/*"


def extension_version(version=__version__):
    """The package version as browsers take it: one to four dot-separated integers."""
    numbers = re.findall(r"\d+", version.split("+")[0])[:4] or ["0"]
    return ".".join(str(int(n) % 65536) for n in numbers)


def manifest(base_url):
    """manifest.json for a server at `base_url`: its host permission and a Firefox ID."""
    data = json.loads(_source("manifest.json"))
    data["version"] = extension_version()
    data["host_permissions"] = [host_pattern(base_url)]
    # One add-on per server, so two builds for two servers do not replace each other.
    host = re.sub(r"[^A-Za-z0-9._-]", "-", urlsplit(base_url).hostname)
    data["browser_specific_settings"]["gecko"]["id"] = f"trialbuzz@{host}"
    data["icons"] = {str(size): f"icons/{size}.png" for size in ICON_SIZES}
    data["action"]["default_icon"] = {str(size): f"icons/{size}.png" for size in ICON_SIZES[:2]}
    return data


def config_js(base_url):
    """config.js: the default server and what badges need to know of the kinds of mention."""
    embed = badge_data.embed_config(base_url)
    config = {"server": base_url, "version": extension_version(), "maxIds": MAX_IDS,
              "kinds": embed["kinds"], "empty": embed["empty"]}
    text = json.dumps(config, ensure_ascii=True, separators=(",", ":"))
    return ("/* trialbuzz extension settings written when the extension was built. */\n"
            "var TRIALBUZZ_CONFIG = " + text + ";\n")


def overlay_js():
    """The bookmarklet's overlay, as served to bookmarklets, with its requests redirected."""
    return OVERLAY_PRELUDE + bookmarklet_code.overlay_source() + OVERLAY_CODA


def _png(size, pixels):
    """A PNG of RGBA rows."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data +
                struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    raw = b"".join(b"\x00" + bytes(row) for row in pixels)
    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9))
            + chunk(b"IEND", b""))


def icon(size):
    """The toolbar icon: a ring in trialbuzz red, anti-aliased, on transparency."""
    centre = size / 2
    outer, inner = size * 0.46, size * 0.24
    rows = []
    for y in range(size):
        row = []
        for x in range(size):
            distance = math.hypot(x + 0.5 - centre, y + 0.5 - centre)
            cover = max(0.0, min(1.0, outer - distance + 0.5, distance - inner + 0.5))
            row.extend((*ICON_COLOR, round(255 * cover)))
        rows.append(row)
    return _png(size, rows)


def files(base_url):
    """Every file of the extension for a server at `base_url`, by path, as bytes."""
    base_url = server_url(base_url)
    built = {name: _source(name).encode("utf-8") for name in SOURCES}
    built["manifest.json"] = (json.dumps(manifest(base_url), indent=2) + "\n").encode("utf-8")
    built["config.js"] = config_js(base_url).encode("utf-8")
    built["overlay.js"] = overlay_js().encode("utf-8")
    for size in ICON_SIZES:
        built[f"icons/{size}.png"] = icon(size)
    return built


@lru_cache(maxsize=8)
def zip_bytes(base_url):
    """The extension as a zip, the same bytes for the same sources and server."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in sorted(files(base_url).items()):
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return buffer.getvalue()


def write_folder(path, base_url):
    """The extension unpacked in `path`, to load as an unpacked extension."""
    path = Path(path)
    for name, data in files(base_url).items():
        target = path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return path


def main(argv=None):
    """Build the zip (or a folder) for a server given on the command line."""
    parser = argparse.ArgumentParser(description="Build the trialbuzz browser extension.")
    parser.add_argument("--server", required=True,
                        help="the trialbuzz server the extension asks by default")
    parser.add_argument("--out", default=f"build/{ZIP_NAME}", help="the zip to write")
    parser.add_argument("--unpacked", help="also write the extension unpacked in this folder")
    args = parser.parse_args(argv)
    try:
        data = zip_bytes(args.server)
    except ValueError as exc:
        parser.error(str(exc))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    print(f"{out} ({len(data):,} bytes) for {server_url(args.server)}")
    if args.unpacked:
        print(f"{write_folder(args.unpacked, args.server)} (unpacked)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
