# fieldsync: `make demo` and `make test` do all the set-up from a fresh clone.
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
PYTHON ?= python3

.PHONY: demo test bench lint clean venv

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)  ## a hub on SQLite, a county, a roster, a node, a month of signed visits, synced
	$(PY) -m devtools.demo

test: $(STAMP)  ## lint and the whole suite (PostgreSQL too when FIELDSYNC_TEST_POSTGRES_URL is set)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/pytest -q

BENCH_POSTGRES_URL ?= postgresql://postgres@127.0.0.1:5432/test

bench: $(STAMP)  ## measured figures (see README): sync spine, then cleaning runs on 1,000,000 members
	$(PY) -m devtools.bench_sync; sync=$$?; \
	$(PY) -m devtools.bench_cleaning --database-url "$(BENCH_POSTGRES_URL)"; clean=$$?; \
	exit $$(( sync || clean ))

lint: $(STAMP)
	$(VENV)/bin/ruff check .

clean:
	rm -rf demo-data artifacts .pytest_cache
