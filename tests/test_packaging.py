"""A non-editable install of the wheel serves everything: pages, static files, the API."""

import io
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
import requests

import upstreams
from conftest import app_config
from liveserver import as_environment, running_server
from records import study

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A fresh virtualenv holding only the built wheel; dependencies come from this one."""
    work = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(work / "dist"), str(ROOT)], check=True)
    wheel = next((work / "dist").glob("trialbuzz-*.whl"))
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = Path(subprocess.check_output(
        [str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        text=True).strip())
    # Dependencies only: a plain path entry, so the source tree's editable finder stays out.
    (site / "deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"),
                    "install", "-q", "--no-deps", str(wheel)], check=True)
    return venv, wheel


def test_wheel_ships_templates_static_files_migrations_bookmarklet_and_extension(installed):
    _, wheel = installed
    names = zipfile.ZipFile(wheel).namelist()
    for expected in ("trialbuzz/web/templates/home.html", "trialbuzz/web/static/trialbuzz.css",
                     "trialbuzz/storage/migrations/env.py",
                     "trialbuzz/storage/migrations/versions/0005_work.py",
                     "trialbuzz/jobs/engine.py", "trialbuzz/bookmarklet/__init__.py",
                     "trialbuzz/extension/manifest.json", "trialbuzz/extension/content.js",
                     "trialbuzz/extension/options.html", "trialbuzz/extension/options.css",
                     "trialbuzz/attention/sources/feeds.toml"):
        assert expected in names
    assert not any(name.startswith(("server/", "tests/")) for name in names)


def test_installed_package_is_imported_from_the_wheel(installed):
    venv, _ = installed
    location = subprocess.check_output(
        [str(venv / "bin" / "python"), "-c", "import trialbuzz; print(trialbuzz.__file__)"],
        text=True, cwd="/").strip()
    assert location.startswith(str(venv))


def test_installed_package_reads_its_shipped_feed_list(installed):
    venv, _ = installed
    listed = subprocess.check_output(
        [str(venv / "bin" / "python"), "-c",
         "from trialbuzz import settings; from trialbuzz.attention.sources import feedlist; "
         "print(len(feedlist.load(settings.resolve(environ={}))))"], text=True, cwd="/")
    assert int(listed) >= 10


def test_installed_command_serves_pages_trials_aliases_and_attention(installed, fake, ctgov,
                                                                tmp_path):
    venv, _ = installed
    ctgov.add(study("NCT00010647", aliases=["NCT00009113"], title="Merged study"))
    upstreams.install(fake)
    env = as_environment(app_config(tmp_path, fake.url))
    with running_server([str(venv / "bin" / "trialbuzz"), "serve"], env=env,
                        cwd=str(tmp_path)) as base:
        home = requests.get(base + "/", timeout=5)
        assert home.status_code == 200 and "Who is talking about this trial?" in home.text
        assert requests.get(base + "/static/trialbuzz.css", timeout=5).status_code == 200
        extension = requests.get(base + "/extension/trialbuzz-extension.zip", timeout=10)
        assert extension.status_code == 200
        assert {"manifest.json", "overlay.js", "content.js", "options.html"} <= set(
            zipfile.ZipFile(io.BytesIO(extension.content)).namelist())
        document = requests.get(base + "/api/v1/trials/NCT00009113", timeout=10).json()
        assert document["nct_id"] == "NCT00010647"
        assert document["requested_id"] == "NCT00009113"
        assert document["title"] == "Merged study"
        full = requests.get(base + "/api/v1/trials/NCT04280705", timeout=30).json()
        assert full["phases"] == ["PHASE3"]
        assert full["score"] == 13 and full["publications"]["total"] == 3
        assert {s["id"]: s["status"] for s in full["sources"]}["gdelt"] == "ok"
        badge = requests.get(base + "/api/v1/badge?ids=NCT04280705", timeout=30,
                             headers={"Origin": "https://clinicaltrials.gov"})
        assert badge.json()["trials"][0]["score"] == 13
        assert badge.headers["Access-Control-Allow-Origin"] == "*"
        # waitress, the production server, names itself with our ident.
        assert requests.get(base + "/healthz", timeout=5).headers["Server"] == "trialbuzz"
