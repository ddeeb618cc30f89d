"""Run `trialbuzz serve` as a real process on a free loopback port, and always stop it."""

import os
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager

import requests


def as_environment(config):
    """TRIALBUZZ_* variables for the plain settings of an app config (lists and maps skipped)."""
    env = {}
    for name, value in config.items():
        if name == "TESTING" or isinstance(value, (dict, list)):
            continue
        env["TRIALBUZZ_" + name] = "" if value is None else str(value)
    env["TRIALBUZZ_SOURCE_RATES"] = ",".join(
        f"{key}={rate or ''}" for key, rate in config.get("SOURCE_RATES", {}).items())
    return env


class LiveServer(str):
    """The base URL of a running server, with its process and its log file."""

    process = None
    log = None


def free_port():
    """A loopback port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running_server(command, env=None, cwd=None, timeout=30):
    """Start `command + --port P`, wait until /healthz answers, yield the base URL, stop it."""
    port = free_port()
    # The log goes to a file: a pipe nobody reads would stall a talkative server.
    log = tempfile.TemporaryFile(mode="w+")
    process = subprocess.Popen(
        [*command, "--host", "127.0.0.1", "--port", str(port)],
        env={**os.environ, **(env or {})}, cwd=cwd, stdout=log, stderr=subprocess.STDOUT,
        text=True)
    base = LiveServer(f"http://127.0.0.1:{port}")
    base.process, base.log = process, log
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                log.seek(0)
                raise RuntimeError(f"server exited early:\n{log.read()}")
            try:
                if requests.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("server did not start in time")
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def open_page(browser, scheme="light", width=1000):
    """A new page in its own context, `width` px wide in `scheme`; what the page logs as an
    error, and any error it throws, collect in `page.errors`."""
    context = browser.new_context(color_scheme=scheme, viewport={"width": width, "height": 900})
    page = context.new_page()
    page.errors = []
    page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    return context, page
