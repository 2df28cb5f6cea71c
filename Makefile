# fieldsync: `make demo` and `make test` do all the set-up from a fresh clone.
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
PYTHON ?= python3

.PHONY: demo test bench bench-region bench-region-received faults lint clean venv system-deps translations

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)  ## a hub on SQLite, a county, a roster, a node, a month of signed visits, synced
	$(PY) -m devtools.demo

test: lint system-deps  ## lint and the whole suite (PostgreSQL too when FIELDSYNC_TEST_POSTGRES_URL is set)
	$(VENV)/bin/pytest -q

# Debian packages the suite drives (Chromium, a CJK font, faketime, shellcheck, LibreOffice headless), installed
# only where missing: it says which and why first, and uses sudo only when not run as root.
system-deps:
	@sh devtools/system_deps.sh

faults: $(STAMP) system-deps  ## the fault suite: 100 kills of each kind, network faults, disk full, clocks, clones
	$(PY) -m devtools.faults --runs 100
	$(PY) -m devtools.faults --runs 20 --database-url "$(BENCH_POSTGRES_URL)" --restart-postgres

# Re-extract the station app's strings, merge them into the Chinese catalogue, compile it.
translations: $(STAMP)
	$(VENV)/bin/pybabel extract -F field_node/web/babel.cfg --no-location --omit-header -o field_node/web/messages.pot .
	$(VENV)/bin/pybabel update -i field_node/web/messages.pot -d field_node/web/translations -l zh --no-fuzzy-matching --ignore-obsolete
	$(VENV)/bin/pybabel compile -d field_node/web/translations

BENCH_POSTGRES_URL ?= postgresql://postgres@127.0.0.1:5432/test

bench: $(STAMP)  ## measured figures (see README): command start-up, sync spine, station app, the offline app over 2G, job postings, 200 stations at once, cleaning runs, county pages, the month's reports, reporting up to a city
	$(PY) -m devtools.bench_cli; cli=$$?; \
	$(PY) -m devtools.bench_sync; sync=$$?; \
	$(PY) -m devtools.bench_station; station=$$?; \
	$(PY) -m devtools.bench_offline; offline=$$?; \
	$(PY) -m devtools.bench_postings; postings=$$?; \
	$(PY) -m devtools.bench_load --database-url "$(BENCH_POSTGRES_URL)"; load=$$?; \
	$(PY) -m devtools.bench_cleaning --database-url "$(BENCH_POSTGRES_URL)"; clean=$$?; \
	$(PY) -m devtools.bench_pages; pages=$$?; \
	$(PY) -m devtools.bench_reports; reports=$$?; \
	$(PY) -m devtools.bench_upward; upward=$$?; \
	exit $$(( cli || sync || station || offline || postings || load || clean || pages || reports || upward ))

# The region bench (issue 17, docs/scale.md), not part of `make bench`: it builds its own database on that server
# (CREATE DATABASE bench_region, 10 counties x 600,000 members, 21 GB; keep 40 GB free) and drops it after;
# about 45 minutes on 2 shared cores.
BENCH_REGION_SERVER_URL ?= postgresql://postgres@127.0.0.1:5432/postgres

bench-region: $(STAMP)  ## a region-wide cleaning run over a region-sized PostgreSQL, partitioned by county and month, and its ratio to a full scan
	$(PY) -m devtools.bench_region --server-url "$(BENCH_REGION_SERVER_URL)"

# The region page's queries on the received tables, partitioned vs plain (docs/scale.md): its own database on that
# server (bench_region_received, two schemas), dropped after; a few minutes.  BENCH_REGION_RECEIVED_ARGS=--full for
# a region-year at ten counties (22 M records; about 60 GB, an hour or more).
BENCH_REGION_RECEIVED_ARGS ?=

bench-region-received: $(STAMP)  ## the region page's queries over the received tables, partitioned by county and month vs plain
	$(PY) -m devtools.bench_region_received --server-url "$(BENCH_REGION_SERVER_URL)" $(BENCH_REGION_RECEIVED_ARGS)

lint: $(STAMP)  ## ruff; the import contract (pyproject.toml [tool.importlinter]: each layer imports only downward); mypy
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

clean:
	rm -rf demo-data artifacts .pytest_cache
