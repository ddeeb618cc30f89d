# trialbuzz: `make run` serves the app, `make test` runs the whole suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test install install-test services browser audit-tools extension clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools wheel

# The stamp files re-run the install whenever setup.cfg changes.
$(VENV)/.installed: $(BIN)/python setup.cfg pyproject.toml
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

run: install
	$(BIN)/trialbuzz init-db
	$(BIN)/trialbuzz serve --host $(HOST) --port $(PORT)

# The browser extension as a zip, its default server this one (PUBLIC_URL if set); the app
# also builds it on the fly for its install page. EXTENSION_DIR also writes it unpacked.
EXTENSION_SERVER ?= $(or $(TRIALBUZZ_PUBLIC_URL),http://$(HOST):$(PORT))
extension: install
	$(BIN)/python -m trialbuzz.web.extension_build --server $(EXTENSION_SERVER) \
	  --out build/trialbuzz-extension.zip $(if $(EXTENSION_DIR),--unpacked $(EXTENSION_DIR))

# Debian's Chromium (browser tests) and redis-server (tests of state shared across processes),
# whichever is missing, when apt can install them; one apt-get update for both.
services:
	@missing=""; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	command -v redis-server >/dev/null 2>&1 || missing="$$missing redis-server"; \
	if [ -z "$$missing" ]; then :; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	  echo "installing Debian's$$missing for the tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then \
	  sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	else echo "$$missing missing and apt is not usable: the tests needing them will be skipped"; fi

browser: services

# axe-core, pinned in package-lock.json, for the accessibility audits of the browser tests.
node_modules/.installed: package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
	  npm ci --no-audit --no-fund --loglevel=error && touch $@; \
	else echo "npm missing: the accessibility audits will be skipped"; fi

audit-tools: node_modules/.installed

# The suite runs across every core (pytest-xdist), each test file in one worker, since a file's
# tests share its module fixtures (the built wheel, say); PYTEST_ARGS=-n0 runs it in one process.
# Failures are reported with Python's own tracebacks: pytest's re-parse of the source for its
# longer ones can hit CPython 3.11.7's "AST constructor recursion depth mismatch" (gh-106905)
# in a worker (pytest-dev/pytest#10763), which ends the whole run.
PYTEST_ARGS ?= -n auto --dist loadfile --tb=native
test: install-test services audit-tools
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) build dist *.egg-info test-artifacts node_modules
