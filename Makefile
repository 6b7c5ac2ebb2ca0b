# Two commands do all set-up: `make run` and `make test`. Each creates .venv if missing
# and installs the pinned dependencies (torch CPU included) first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PORT   ?= 7860

.PHONY: run test install clean

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	# torch first and alone, pinned, so nothing pulls a multi-GB CUDA build.
	$(BIN)/pip install --disable-pip-version-check -q "torch==2.13.0"
	# Then exactly the locked tree, and the project itself on top of it.
	$(BIN)/pip install --disable-pip-version-check -q --no-deps -r requirements.lock
	$(BIN)/pip install --disable-pip-version-check -q --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/newsdesk ingest data/sample/articles
	$(BIN)/newsdesk index stats
	$(BIN)/newsdesk serve --host 127.0.0.1 --port $(PORT)

# The browser tests drive Debian's chromium (Playwright's own browser download does not work offline).
CHROMIUM := /usr/bin/chromium

$(CHROMIUM):
	SUDO=$$(test "$$(id -u)" = 0 || echo sudo); $$SUDO apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q chromium

# The import contract (layers, no cycles; pyproject.toml) and ruff come first: a violation
# fails the build with the offending import or line named.
test: install $(CHROMIUM)
	$(BIN)/lint-imports --no-cache --no-logo
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q -ra

clean:
	rm -rf $(VENV) .newsdesk
