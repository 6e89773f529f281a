# The only commands a user needs: demo · test · protos · bench · chaos.
# Every target installs what it needs into .venv first, so a fresh clone needs nothing else.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
# Every connector distribution; _template is a copy-me skeleton, never installed.
PLUGINS := $(filter-out plugins/_template/%,$(wildcard plugins/*/pyproject.toml))

.PHONY: install demo test protos bench chaos lint clean

$(STAMP): pyproject.toml $(PLUGINS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]' $(foreach p,$(dir $(PLUGINS)),-e $(p))
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/signalmesh demo

test: install
	$(BIN)/python -m pytest

protos: install
	$(BIN)/python protos/generate.py

bench: install
	$(BIN)/python -m benchmarks.run

chaos: install
	$(BIN)/python -m benchmarks.chaos

lint: install
	$(BIN)/ruff check services plugins tests benchmarks
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .signalmesh .pytest_cache build dist *.egg-info
