# Two commands do all set-up on a fresh machine:
#   make run   - the dashboard on the embedded default (SQLite in instance/, demo data, scheduler)
#   make test  - the whole test suite, on SQLite and on PostgreSQL
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell sha1sum requirements.txt | cut -c1-12)
PG_TEST_URL ?= postgresql://postgres@127.0.0.1:5432/test

.PHONY: run test test-sqlite test-postgres postgres chromium bench

$(STAMP): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/python app.py

test: $(STAMP) chromium postgres
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-postgres

test-sqlite: $(STAMP)
	env -u DATABASE_URL $(BIN)/python -m pytest -q

test-postgres: $(STAMP)
	DATABASE_URL=$(PG_TEST_URL) $(BIN)/python -m pytest -q -m "not browser"

# PostgreSQL: start the local cluster when it is installed and not running.
postgres:
	@if command -v pg_ctlcluster >/dev/null 2>&1 && ! pg_isready -q -h 127.0.0.1 -p 5432; then \
		pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start; \
	fi
	@for i in 1 2 3 4 5 6 7 8 9 10; do pg_isready -q -h 127.0.0.1 -p 5432 && exit 0; sleep 1; done; \
		echo "PostgreSQL is not reachable on 127.0.0.1:5432" >&2; exit 1

# Browser tests drive Debian's Chromium (never a downloaded browser build).
chromium:
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)
	@# report PDFs: the Cyrillic font they embed, and poppler's pdftotext/pdfinfo the tests read them with
	@(command -v pdftotext >/dev/null 2>&1 && test -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf) || \
		(apt-get update -qq && apt-get install -y -qq poppler-utils fonts-dejavu-core >/dev/null)

bench: $(STAMP)
	$(BIN)/python -m bench
