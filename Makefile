# reportkit — the public interface. `make` (or `make help`) lists every target.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON_BOOT ?= python3
VENV        := .venv
PY          := $(VENV)/bin/python
RK          := $(VENV)/bin/reportkit
STAMP       := $(VENV)/.installed
# Quiet pip, minus this machine's notices about absent local package indexes; fails if pip fails.
QUIET_PIP    = 2>&1 | grep -v 'is ignored: it is neither' ; test $${PIPESTATUS[0]} -eq 0
# Debian packages: CJK + Latin fonts and pango (charts, PDF via WeasyPrint), poppler (PDF tests), Chromium (browser tests).
APT_PACKAGES := fonts-noto-cjk fonts-liberation libpango-1.0-0 libpangoft2-1.0-0 poppler-utils chromium
JOBS        ?= 2
# Another plan: EVAL=an evaluation folder made by `make init` (its evaluation.yml names the files)
RKP          = $(RK) $(if $(EVAL),--project "$(EVAL)")
# Pass-through options: make midterm ACTUALS=path AS_OF=2023-06 METHOD=path LANGS=zh,en
BUILD_OPTS   = $(if $(ACTUALS),--actuals "$(ACTUALS)") $(if $(AS_OF),--as-of "$(AS_OF)") \
               $(if $(METHOD),--method "$(METHOD)") $(if $(LANGS),--lang "$(LANGS)") --jobs $(JOBS)

.PHONY: help setup system-deps extract test test-fast lint clean bench

##@ Set-up
help: ## Show this help (the default target)
	@awk 'BEGIN {FS = ":.*## "} /^##@/ {printf "\n%s\n", substr($$0, 5)} \
	     /^[a-zA-Z_-]+:.*## / {printf "  make %-16s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

setup: $(STAMP) ## Create .venv and install pinned Python packages and Debian packages

system-deps: ## Install the Debian packages (as root), or say which apt-get line to run
	@missing=$$(for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Debian packages: $$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	  else \
	    echo "Missing Debian packages. Run as root:  apt-get install -y $$missing" >&2; exit 1; \
	  fi; \
	fi

$(STAMP): requirements.lock pyproject.toml
	@$(MAKE) --no-print-directory system-deps
	test -x $(PY) || $(PYTHON_BOOT) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade "pip>=24" $(QUIET_PIP)
	$(PY) -m pip install -q -r requirements.lock $(QUIET_PIP)
	$(PY) -m pip install -q --no-deps -e . $(QUIET_PIP)
	@touch $@

##@ Data
.PHONY: init template validate sample-actuals
init: $(STAMP) ## Make an evaluation folder for another plan (PLAN=plan.docx|plan.txt OUT=dir)
	@test -n "$(PLAN)" -a -n "$(OUT)" || { echo "Usage: make init PLAN=path/to/plan.docx OUT=path/to/new-folder" >&2; exit 2; }
	$(RK) init --plan "$(PLAN)" --out "$(OUT)"

extract: $(STAMP) ## Read the plan's tables into data/processed/ (PLAN=path OUT=dir EVAL=dir)
	$(RKP) extract $(if $(PLAN),--plan "$(PLAN)") $(if $(OUT),--out "$(OUT)")

template: $(STAMP) ## Write the actuals form to fill (FORMAT=xlsx|csv OUT=path EVAL=dir)
	$(RKP) template $(if $(FORMAT),--format "$(FORMAT)") $(if $(OUT),--out "$(OUT)")

validate: $(STAMP) ## Check a filled form and list every cell to fix (FILE=path, default: the sample or EVAL's)
	$(RKP) validate $(if $(FILE),"$(FILE)",$(if $(EVAL),,data/raw/actuals/sample-actuals.xlsx))

sample-actuals: $(STAMP) ## Regenerate the illustrative sample actuals in data/raw/actuals/
	$(RK) sample-actuals

##@ Report
.PHONY: midterm final annual serve explore
STAGE ?= midterm
PORT  ?= 8000

midterm: $(STAMP) ## Build the mid-term report site, zh + en (EVAL=dir ACTUALS= AS_OF= METHOD= LANGS= JOBS=)
	$(RKP) build --stage midterm $(BUILD_OPTS)

final: $(STAMP) ## Build the end-of-term report site, zh + en (same options as midterm)
	$(RKP) build --stage final $(BUILD_OPTS)

annual: $(STAMP) ## Build the annual monitoring report of one plan year, zh + en (YEAR=2022; same options) → _build/annual-<YEAR>/
	@test -n "$(YEAR)" || { echo "make annual needs YEAR=<a year of the plan>, e.g. make annual YEAR=2022" >&2; exit 2; }
	$(RKP) build --stage annual --year "$(YEAR)" $(BUILD_OPTS)

SITE = $(if $(EVAL),$(EVAL)/_build,_build)/$(STAGE)/html
serve: $(STAMP) ## Serve a built site on localhost for a look (STAGE=midterm|final|annual-2022 PORT=8000 EVAL=dir)
	@test -f $(SITE)/index.html || { echo "No site yet: run make $(STAGE) first" >&2; exit 1; }
	$(PY) -m http.server $(PORT) --bind 127.0.0.1 --directory $(SITE)

explore: $(STAMP) ## Open the notebooks in JupyterLab (installed into .venv on first use)
	@test -x $(VENV)/bin/jupyter-lab || $(PY) -m pip install -q -r requirements-explore.lock -c requirements.lock $(QUIET_PIP)
	$(VENV)/bin/jupyter-lab --notebook-dir=notebooks

##@ Quality
test: $(STAMP) ## Run the whole test suite (sets everything up on a fresh clone)
	$(PY) -m pytest -n $(JOBS) -q

test-fast: $(STAMP) ## Run the unit and property tests only (no end-to-end build), in about a minute
	$(PY) -m pytest -n $(JOBS) -q -m "not e2e"

bench: $(STAMP) ## Time clean / no-change / one-value builds, default + 20/50/100 districts → docs/benchmarks.md
	$(PY) bench/run.py --jobs $(JOBS)

lint: $(STAMP) ## Check style with ruff
	$(VENV)/bin/ruff check src tests

clean: ## Remove build outputs (keeps .venv and data/raw)
	rm -rf _build .pytest_cache
