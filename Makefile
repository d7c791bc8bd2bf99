# The verbs of this project. Every target creates .venv and installs the pinned dependencies first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# `make run PORT=5001` when 5000 is taken; `HOST=0.0.0.0` serves other machines too (the outbox demo warns)
PORT ?= 5000
HOST ?= 127.0.0.1

.PHONY: install run test acceptance bench lint typecheck browser axe clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@echo "==> creating $(VENV) and installing the pinned dependencies (pyproject.toml)"
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --upgrade pip
	@$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

run: install
	@echo "==> initialising the database (flask --app app init-db)"
	@$(VENV)/bin/flask --app app init-db
	@echo "==> seeding a demo admin and patient (outbox backend only; skipped once done)"
	@$(VENV)/bin/flask --app app demo
	@$(VENV)/bin/flask --app app serve --host $(HOST) --port $(PORT)

test: install browser axe typecheck
	@echo "==> running the tests (pytest)"
	@$(PY) -m pytest

# The acceptance scenarios live beside the checkout, in ../shared (a clone elsewhere: make acceptance SHARED=/work/shared).
SHARED ?= ../shared

acceptance: install
	@test -f $(SHARED)/acceptance/run.py || { echo "!! no $(SHARED)/acceptance/run.py: the scenarios live beside the project's checkout; run: make acceptance SHARED=/path/to/shared"; exit 2; }
	@echo "==> playing $(SHARED)/acceptance scenarios through the contract"
	@$(PY) $(SHARED)/acceptance/run.py

bench: install
	@for script in bench/*.py; do echo "==> $$script"; $(PY) $$script || exit 1; done

# mypy reads what to check, and how strictly, from [tool.mypy] in pyproject.toml (a few seconds; cached after).
MYPY_SAYS := ==> type-checking (mypy, strict: triage/ messages/ monitoring/ scheduler/)

lint: install
	@echo "==> linting (ruff check .)"
	@$(VENV)/bin/ruff check .
	@echo "$(MYPY_SAYS)"
	@$(PY) -m mypy

typecheck: install
	@echo "$(MYPY_SAYS)"
	@$(PY) -m mypy

# Browser tests drive Debian's chromium through Playwright; install it when missing.
browser:
	@test -x /usr/bin/chromium || { echo "==> installing Debian's chromium for the browser tests"; \
		(apt-get update -qq && apt-get install -y -qq chromium >/dev/null) || \
		echo "!! could not install chromium: browser tests will fail; run 'apt-get install chromium' as root"; }

# The accessibility checks inject axe-core, the npm package, into each page (tests/browser/axe.py).
AXE := tests/browser/vendor/node_modules/axe-core/axe.min.js
axe: $(AXE)

$(AXE):
	@echo "==> installing axe-core 4.14.1 from npm for the accessibility checks (tests/browser/vendor)"
	@npm install --no-save --no-package-lock --no-audit --no-fund --prefix tests/browser/vendor axe-core@4.14.1 >/dev/null

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .hypothesis .mypy_cache
