# The only commands a user needs: demo · test · protos · bench · chaos · fairness · fuzz.
# Every target installs what it needs into .venv first, so a fresh clone needs nothing else.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
# Every connector distribution; _template is a copy-me skeleton, never installed.
PLUGINS := $(filter-out plugins/_template/%,$(wildcard plugins/*/pyproject.toml))

.PHONY: install constraints chromium kubectl demo test protos bench profile soak chaos fairness fuzz lint clean

# constraints.txt pins every dependency's version (the image installs with it too).
$(STAMP): pyproject.toml constraints.txt $(PLUGINS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]' $(foreach p,$(dir $(PLUGINS)),-e $(p))
	touch $(STAMP)

install: $(STAMP)

# After changing a dependency: resolve afresh (unconstrained), then pin what was installed.
constraints:
	rm -rf $(VENV).constraints
	$(PYTHON) -m venv $(VENV).constraints
	$(VENV).constraints/bin/python -m pip install --quiet -e '.[dev,bench]' $(foreach p,$(dir $(PLUGINS)),-e $(p))
	{ sed -n '/^#/p' constraints.txt; $(VENV).constraints/bin/python -m pip freeze --exclude-editable \
	  | grep -iv '^signalmesh'; } > constraints.txt.new
	mv constraints.txt.new constraints.txt
	rm -rf $(VENV).constraints

demo: install
	$(BIN)/signalmesh demo

# The report's browser test opens the page in Debian's Chromium (never a downloaded browser).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" -eq 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get install -y chromium || { $$SUDO apt-get update && $$SUDO apt-get install -y chromium; }; \
	}

# The deploy tests render the Kubernetes overlays with `kubectl kustomize` (kubectl's own
# kustomize; the apt package of the machine's repositories, Debian's kubernetes-client else).
kubectl:
	@command -v kubectl >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" -eq 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get install -y kubectl || $$SUDO apt-get install -y kubernetes-client || \
	  { $$SUDO apt-get update && { $$SUDO apt-get install -y kubectl || $$SUDO apt-get install -y kubernetes-client; }; }; \
	}

test: install chromium kubectl
	$(BIN)/python -m pytest

protos: install
	$(BIN)/python protos/generate.py

# The mesh's figures, then fair sharing: a victim's latency under a 200-stream hammer (`make fairness` alone).
bench: install
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[bench]'
	$(BIN)/python -m benchmarks.run $(ARGS)
	$(BIN)/python -m benchmarks.fairness

chaos: install
	$(BIN)/python -m benchmarks.chaos

# Where one gateway worker's CPU goes under make bench's SendEvents load (py-spy, from outside).
profile: install
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[bench]'
	$(BIN)/python -m benchmarks.profile_gateway $(ARGS)

# The gateway's RSS over a million events, chunk by chunk (must grow < 50 MB): ARGS=--workers 2.
soak: install
	$(BIN)/python -m benchmarks.soak $(ARGS)

fairness: install
	$(BIN)/python -m benchmarks.fairness

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
