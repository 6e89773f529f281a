# The only commands a user needs: demo · test · protos · bench · chaos · fuzz.
# Every target installs what it needs into .venv first, so a fresh clone needs nothing else.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
# Every connector distribution; _template is a copy-me skeleton, never installed.
PLUGINS := $(filter-out plugins/_template/%,$(wildcard plugins/*/pyproject.toml))

.PHONY: install chromium demo test protos bench chaos fuzz lint clean

$(STAMP): pyproject.toml $(PLUGINS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]' $(foreach p,$(dir $(PLUGINS)),-e $(p))
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/signalmesh demo

# The report's browser test opens the page in Debian's Chromium (never a downloaded browser).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" -eq 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get install -y chromium || { $$SUDO apt-get update && $$SUDO apt-get install -y chromium; }; \
	}

test: install chromium
	$(BIN)/python -m pytest

protos: install
	$(BIN)/python protos/generate.py

bench: install
	$(BIN)/python -m benchmarks.run

chaos: install
	$(BIN)/python -m benchmarks.chaos

# The fuzz target of tests/fuzz/ for longer (make test runs 2,000 inputs): FUZZ_EXAMPLES=N.
FUZZ_EXAMPLES ?= 20000
fuzz: install
	@FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest tests/fuzz -q -s -p no:randomly >$(VENV)/fuzz.log 2>&1; \
	  status=$$?; grep -E "^fuzz:|passed|failed|Falsifying" $(VENV)/fuzz.log; exit $$status

lint: install
	$(BIN)/ruff check services plugins tests benchmarks
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .signalmesh .pytest_cache build dist *.egg-info
