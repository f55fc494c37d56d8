# The two commands: `make run` and `make test`. Everything else here serves them.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install assets lint format system-packages screenshots demo clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

static/dist/.built: node_modules/.installed static/scss/app.scss static/js/app.mjs
	npm run --silent build
	touch $@

install: $(VENV)/.installed static/dist/.built

assets: static/dist/.built

# Debian packages the test suite needs, installed once, as root on this kind of machine:
# pdftotext to read PDFs, the Chromium the browser tests drive (Playwright's own browser
# download cannot work here, so `playwright install` is never run), and ClamAV's daemon, which
# scans attachments (bin/clamd-up starts the project's own, with config/clamav's signatures).
system-packages:
	@command -v pdftotext >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils >/dev/null; }
	@test -x /usr/bin/chromium || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
	@command -v clamd >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clamav-daemon >/dev/null; }

run: install
	@# Without ClamAV (make system-packages, as root) the site runs, and refuses every attachment.
	bin/clamd-up || echo "ClamAV is not running: attachments will be refused until it is."
	bin/prepare-database
	$(PY) manage.py load_demo
	$(PY) manage.py make_checkpoint_key --if-missing
	$(PY) manage.py audit_checkpoint
	@echo
	@echo "Serving on http://$(HOST):$(PORT)/ with a Celery worker and beat. Ctrl-C stops all of them."
	HOST=$(HOST) PORT=$(PORT) exec bin/serve

# The suite runs on every core (pytest-xdist); each process has its own test database and its
# own Redis database. `pytest tests/...` alone runs on one, for a single test.
test: install system-packages
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	bin/clamd-up
	$(BIN)/pytest -n auto --durations=25

# The README's screenshots: the browser journeys save their key pages into docs/screenshots.
screenshots: install system-packages
	SCREENSHOTS=docs/screenshots $(BIN)/pytest tests/browser -q

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

demo: install
	bin/prepare-database
	$(PY) manage.py load_demo

clean:
	rm -rf $(VENV) node_modules static/dist staticfiles .broker .pytest_cache .ruff_cache test-artifacts
