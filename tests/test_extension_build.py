"""The browser extension's build: its manifest and files, the server it is built for, the zip the
install page serves, and the MV3 rule of no remote code."""

import io
import json
import re
import struct
import zipfile

import pytest

from trialbuzz.web import bookmarklet_code, extension_build

SERVER = "https://trialbuzz.example.org"


def unzip(data):
    """The files of a zip, by name."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def config_of(files):
    """TRIALBUZZ_CONFIG as written in config.js."""
    text = files["config.js"].decode()
    return json.loads(re.search(r"var TRIALBUZZ_CONFIG = (\{.*\});", text).group(1))


def test_manifest_is_mv3_for_chromium_and_firefox_with_the_servers_permission_only():
    manifest = extension_build.manifest(SERVER + "/")
    assert manifest["manifest_version"] == 3
    assert manifest["background"] == {"service_worker": "background.js",
                                      "scripts": ["config.js", "background.js"]}
    assert manifest["host_permissions"] == ["https://trialbuzz.example.org/*"]
    assert set(manifest["permissions"]) == {"storage", "activeTab", "scripting"}
    assert manifest["optional_host_permissions"] == ["https://*/*", "http://*/*"]
    gecko = manifest["browser_specific_settings"]["gecko"]
    assert gecko["id"] == "trialbuzz@trialbuzz.example.org"
    (scripts,) = manifest["content_scripts"]
    assert scripts["matches"] == ["https://*/*", "http://*/*"]
    assert scripts["js"] == ["config.js", "overlay.js", "scan.js", "content.js"]
    assert manifest["options_ui"]["page"] == "options.html"
    assert re.fullmatch(r"\d+(\.\d+){0,3}", manifest["version"])


def test_a_port_is_left_out_of_the_host_permission_and_odd_hosts_make_a_valid_id():
    manifest = extension_build.manifest("http://127.0.0.1:5000")
    assert manifest["host_permissions"] == ["http://127.0.0.1/*"]
    assert manifest["browser_specific_settings"]["gecko"]["id"] == "trialbuzz@127.0.0.1"
    assert extension_build.manifest("http://[::1]:8000")["browser_specific_settings"][
        "gecko"]["id"] == "trialbuzz@--1"


@pytest.mark.parametrize("version,expected", [("0.1.0", "0.1.0"), ("1.2.3.dev4+g1a2b", "1.2.3.4"),
                                              ("2.0rc1", "2.0.1"), ("dev", "0")])
def test_versions_become_what_browsers_accept(version, expected):
    assert extension_build.extension_version(version) == expected


@pytest.mark.parametrize("bad", ["", "ftp://example.org", "javascript:alert(1)", "example.org"])
def test_only_http_servers_are_built_for(bad):
    with pytest.raises(ValueError):
        extension_build.files(bad)


def test_every_file_the_manifest_names_is_in_the_zip_and_the_config_names_the_server():
    files = unzip(extension_build.zip_bytes(SERVER))
    manifest = json.loads(files["manifest.json"])
    named = [manifest["background"]["service_worker"], *manifest["background"]["scripts"],
             *manifest["content_scripts"][0]["js"], manifest["options_ui"]["page"],
             *manifest["icons"].values(), *manifest["action"]["default_icon"].values()]
    assert all(name in files for name in named)
    assert config_of(files)["server"] == SERVER
    assert config_of(files)["maxIds"] == 50
    assert {kind["id"] for kind in config_of(files)["kinds"]} >= {"news", "wikipedia", "forum"}
    for size in extension_build.ICON_SIZES:
        png = files[f"icons/{size}.png"]
        assert png.startswith(b"\x89PNG") and struct.unpack(">II", png[16:24]) == (size, size)


def test_the_same_sources_give_the_same_zip():
    extension_build.zip_bytes.cache_clear()
    first = extension_build.zip_bytes(SERVER)
    extension_build.zip_bytes.cache_clear()
    assert extension_build.zip_bytes(SERVER) == first


def test_the_overlay_is_bundled_and_nothing_runs_remote_or_evaluated_code():
    files = unzip(extension_build.zip_bytes(SERVER))
    overlay = files["overlay.js"].decode()
    assert bookmarklet_code.overlay_source() in overlay
    assert overlay.startswith(extension_build.OVERLAY_PRELUDE)
    for name, data in files.items():
        if name.endswith((".js", ".html")):
            text = data.decode()
            assert not re.search(r"\beval\s*\(|new Function|setTimeout\(\s*['\"]|"
                                 r"\.(inner|outer)HTML\s*=|insertAdjacentHTML|document\.write|"
                                 r"importScripts\(\s*['\"]https?:", text), name
    # The options page loads its own two scripts and nothing else.
    scripts = re.findall(r"<script[^>]*>", files["options.html"].decode())
    assert scripts == ['<script src="config.js">', '<script src="options.js">']


def test_install_page_offers_the_extension_and_how_to_install_it(client):
    page = client.get("/bookmarklet").get_data(as_text=True)
    assert 'href="/extension/trialbuzz-extension.zip"' in page
    assert "Load unpacked" in page and "about:debugging" in page
    assert "signed by Mozilla" in page
    assert "Resolve this page" in page and "<code>http://localhost/*</code>" in page


def test_served_zip_is_built_for_the_server_serving_it(make_app):
    client = make_app(PUBLIC_URL="https://trialbuzz.example.org").test_client()
    response = client.get("/extension/trialbuzz-extension.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert response.headers["Content-Disposition"] == \
        "attachment; filename=trialbuzz-extension.zip"
    files = unzip(response.data)
    assert config_of(files)["server"] == "https://trialbuzz.example.org"
    assert json.loads(files["manifest.json"])["host_permissions"] == \
        ["https://trialbuzz.example.org/*"]
    again = client.get("/extension/trialbuzz-extension.zip",
                       headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_command_line_writes_the_zip_and_an_unpacked_folder(tmp_path, capsys):
    out = tmp_path / "build" / "ext.zip"
    assert extension_build.main(["--server", "http://127.0.0.1:5000", "--out", str(out),
                                 "--unpacked", str(tmp_path / "unpacked")]) == 0
    assert config_of(unzip(out.read_bytes()))["server"] == "http://127.0.0.1:5000"
    assert (tmp_path / "unpacked" / "manifest.json").exists()
    assert (tmp_path / "unpacked" / "icons" / "16.png").exists()
    assert "for http://127.0.0.1:5000" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        extension_build.main(["--server", "file:///etc", "--out", str(out)])
