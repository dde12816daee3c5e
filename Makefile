# The two commands: `make run` and `make test`. Everything else is optional.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOCALES := locales
# Callers' catalogs (hotline.po, every language) and the console's (console.po).
PO := $(wildcard $(LOCALES)/*/LC_MESSAGES/*.po)
MO := $(PO:.po=.mo)
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: run test check lint typecheck imports migrations catalogs-check pytest screenshots bench bench-all bench-console clean

run: $(STAMP) $(MO) ## set up and run the service on its embedded defaults
	$(BIN)/hotline serve --demo

test: $(STAMP) $(MO) check pytest ## set up and run every check and the whole test suite

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

%.mo: %.po $(STAMP)
	$(BIN)/pybabel -q compile -i $< -o $@ -D $(basename $(notdir $<))

check: lint typecheck imports migrations catalogs-check

lint: $(STAMP)
	$(BIN)/ruff check src tests bench migrations
	$(BIN)/ruff format --check src tests bench migrations

typecheck: $(STAMP)
	$(BIN)/mypy

imports: $(STAMP)
	$(BIN)/lint-imports

migrations: $(STAMP)
	rm -rf var/check && mkdir -p var/check
	HOTLINE_DATABASE_URL=sqlite:///var/check/check.db $(BIN)/hotline db upgrade
	HOTLINE_DATABASE_URL=sqlite:///var/check/check.db $(BIN)/hotline db check

catalogs-check: $(STAMP) $(MO) ## the template matches the source; every catalog is complete
	scripts/check-catalogs

pytest: $(STAMP) $(MO)
	HOTLINE_TEST_POSTGRES_URL="$${HOTLINE_TEST_POSTGRES_URL:-$$(scripts/postgres-for-tests)}" \
		$(BIN)/pytest -n 2 --dist loadfile -q

# The browser tests (Debian's Chromium, driven by Playwright) write the console's
# screenshots to docs/console/ instead of a temporary folder.
screenshots: $(STAMP) $(MO)
	HOTLINE_SCREENSHOTS=1 $(BIN)/pytest -q -p xdist -n 0 tests/console/test_browser.py

bench: $(STAMP) $(MO) ## the voice webhook under load against a baseline (needs wrk)
	$(BIN)/python bench/voice_webhook.py

bench-all: bench ## every benchmark (needs wrk, espeak-ng, sox)
	$(BIN)/python bench/sms_webhook.py
	$(BIN)/python bench/outbox_drain.py
	$(BIN)/python bench/urgent_path.py
	$(BIN)/python bench/report_path.py
	$(BIN)/python bench/oncall_lookup.py
	$(BIN)/python bench/console_pages.py
	$(BIN)/python bench/floods.py
	$(BIN)/python bench/raid_night.py

bench-console: $(STAMP) $(MO) ## the console's pages against the API's JSON for the same roster
	$(BIN)/python bench/console_pages.py

clean:
	rm -rf $(VENV) var $(MO)
