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
	$(BIN)/newsdesk ask "Who led the US delegation that held minerals talks in Islamabad?"

test: install
	$(BIN)/python -m pytest -q -ra

clean:
	rm -rf $(VENV) .newsdesk
