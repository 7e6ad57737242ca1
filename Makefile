# The two commands of the README: `make run` and `make test`. Everything else is extra.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-dev
RUNTIME := $(VENV)/.installed-runtime
PIP := $(PY) -m pip install --quiet --disable-pip-version-check

.PHONY: run test lint format eval calibrate check bench clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(RUNTIME): requirements.txt | $(VENV)/bin/python
	$(PIP) -r requirements.txt
	touch $(RUNTIME)

$(STAMP): requirements.txt requirements-dev.txt | $(VENV)/bin/python
	$(PIP) -r requirements-dev.txt
	touch $(STAMP) $(RUNTIME)

run: $(RUNTIME)
	$(PY) bot.py

test: $(STAMP)
	bash scripts/ensure_postgres.sh
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy
	$(PY) -m pytest

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

format: $(STAMP)
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

check: $(RUNTIME)
	$(PY) bot.py check

eval: $(RUNTIME)
	$(PY) bot.py eval

calibrate: $(RUNTIME)
	$(PY) bot.py calibrate

bench: $(STAMP)
	$(PY) -m bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
