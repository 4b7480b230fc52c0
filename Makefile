# The build graph mirrors the argument: each executed notebook is a target whose
# prerequisites are its source, the study-file sections it reads, the package,
# and the result tables of the notebooks before it. `make` alone lists the targets
# (`make help`); variables:
#
#   make all                 every study of the default set (pipeline.DEFAULT_STUDIES) and the front page
#   make all EXTRA_STUDIES="popquorn_race_education"   the default set and these opt-in studies, on one front page
#   make all STUDY=mine      one study, params/mine.yaml
#   make all STUDY=x STUDY_FILE=/path/x.yaml   a study file kept elsewhere
#   make all OUT=/tmp/x      everything generated goes under /tmp/x instead of here
#   make all JOBS=1          one step at a time (default 2: a notebook's HTML, or 05-07, run beside
#                            the next notebook; `make -jN` given on the command line wins)
#   make test JOBS=1         the test suite in one pytest-xdist worker (default 2)

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DELETE_ON_ERROR:
.SUFFIXES:
MAKEFLAGS += --no-builtin-rules

# `make all` without STUDY builds the default set; the other targets default to census.
ONE_STUDY := $(filter command line,$(origin STUDY))
STUDY ?= census
STUDY_FILE ?= params/$(STUDY).yaml
OUT ?= $(CURDIR)
JOBS ?= 2

# Make pastes a value's text into shell commands: `sq` quotes it for the shell, so its quotes
# and semicolons stay text. `matches` is non-empty when a one-word value wholly matches an ERE
# (pass the ERE as a variable: a comma in it would split the call).
sq = '$(subst ','\'',$(1))'
matches = $(if $(filter 1,$(words $(1))),$(shell printf '%s' $(call sq,$(1)) | grep -Ex $(call sq,$(2))))
# A study name becomes folders that `make clean` deletes: check it (same pattern as
# paths.STUDY_NAME) before anything runs. Paths are pasted unquoted into recipes and target
# lists, where a space splits them: OUT and STUDY_FILE with a space or a character Make or the
# shell reads (quotes, ; $ : % * and the like) are refused before anything is created.
STUDY_NAME := [A-Za-z0-9][A-Za-z0-9_-]{0,63}
SAFE_PATH := [A-Za-z0-9_./+@-]+
ifeq ($(strip $(STUDY)),)
$(error STUDY is empty: name a study, e.g. make all STUDY=census)
endif
ifeq ($(call matches,$(STUDY),$(STUDY_NAME)),)
$(error STUDY='$(STUDY)' is not a study name: use 1-64 letters, digits, _ or -, starting with a letter or digit)
endif
ifeq ($(strip $(OUT)),)
$(error OUT is empty: give a folder for generated files, or leave OUT unset for this project)
endif
ifeq ($(call matches,$(OUT),$(SAFE_PATH)),)
$(error OUT='$(OUT)' is not a path this build can use: a space or a character such as a quote, ; or : breaks Make's and the shell's commands; use letters, digits and _ . / + @ - only (OUT defaults to this project's folder))
endif
ifeq ($(call matches,$(STUDY_FILE),$(SAFE_PATH)),)
$(error STUDY_FILE='$(STUDY_FILE)' is not a path this build can use: a space or a character such as a quote, ; or : breaks Make's and the shell's commands; use letters, digits and _ . / + @ - only)
endif
ifeq ($(call matches,$(JOBS),[1-9][0-9]*),)
$(error JOBS='$(JOBS)' is not a positive whole number: give how many steps may run at once, e.g. JOBS=1)
endif

# The kind of study decides its notebooks (pipeline.mk); read here from the study file's
# `kind:` line under `study:`, and checked against the parsed file when it is validated.
KIND := $(or $(shell awk '/^study:/{s=1;next} /^[^ \t#]/{s=0} s && $$1=="kind:"{gsub(/["\047]/,"",$$2); print $$2; exit}' \
  $(call sq,$(STUDY_FILE)) 2>/dev/null),sweep)
PYTHON ?= python3
VENV ?= $(CURDIR)/.venv
PY := $(VENV)/bin/python
ENV := $(VENV)/.installed
# Some machines' pip configuration names local package folders that may not exist.
QUIET_PIP := { grep -v "is ignored: it is neither a file nor a directory" || true; }

ROOT := $(abspath $(OUT))
PROCESSED := $(ROOT)/data/processed/$(STUDY)
RESULTS := $(ROOT)/results/$(STUDY)
REPORTS := $(ROOT)/reports/$(STUDY)
NB := $(REPORTS)/notebooks
HTML := $(REPORTS)/html
STAMPS := $(ROOT)/build/$(STUDY)/params
SRC := $(wildcard src/community_scaling/*.py src/community_scaling/*/*.py)

# papermill: kernel python3, parameters from the study file; write then rename, so a failed run
# never leaves a notebook that looks up to date. papermill's long traceback goes to a log; on
# failure one line names the notebook, the study and the error, and the failed notebook is kept.
# Progress: the kernel appends a line every few seconds (units done, time left) to the file
# named by COMMUNITY_SCALING_PROGRESS; tail shows it here while papermill runs (papermill keeps
# the kernel's output off the terminal) and stops when papermill ends (GNU tail --pid; where
# tail lacks it, no progress is shown and the run is unchanged).
run_stem = $(NB)/$(basename $(notdir $<))
define papermill
	@echo "papermill $(notdir $<) [$(STUDY)]"
	@mkdir -p $(NB)
	@rm -f $(run_stem).failed.ipynb && : > $(run_stem).progress
	@COMMUNITY_SCALING_PROGRESS=$(run_stem).progress \
	  $(PY) -m papermill $< $(run_stem).tmp.ipynb -k python3 --no-progress-bar --log-level WARNING \
	  -p study $(STUDY) -p study_file $(abspath $(STUDY_FILE)) -p output_root $(ROOT) 2> $(run_stem).log & \
	  papermill=$$!; { tail -n +1 -s 1 -F --pid=$$papermill $(run_stem).progress 2>/dev/null || true; }; \
	  rm -f $(run_stem).progress; wait $$papermill \
	  || { mv -f $(run_stem).tmp.ipynb $(run_stem).failed.ipynb 2>/dev/null; \
	       $(PY) -m community_scaling.notebook_failure $(basename $(notdir $<)) $(STUDY) \
	         $(run_stem).failed.ipynb $(run_stem).log >&2; exit 1; }
	@mv $(run_stem).tmp.ipynb $(NB)/$(notdir $<) && rm -f $(run_stem).log
endef
section = $(addprefix $(STAMPS)/,$(addsuffix .json,$(1)))

# One run of a study at a time: a second waits for nothing and stops, naming the lock.
LOCK := $(ROOT)/build/$(STUDY)/make.lock
define locked
	@mkdir -p $(dir $(LOCK)) && flock --nonblock --conflict-exit-code 75 $(LOCK) $(1) || { status=$$?; \
	  if [ $$status -eq 75 ]; then echo "error: another make of study $(STUDY) is running (lock $(LOCK)); wait for it to finish" >&2; fi; \
	  exit $$status; }
endef

# The sha256 of the raw data files the study reads (input_stamp.py): a change of content, not
# of time, re-runs ingest and everything after it. Refreshed on every run, dry runs too (+).
INPUT_STAMP := $(STAMPS)/input_sha256.txt
NOTEBOOKS = $(NOTEBOOKS_$(KIND))

SITE := $(ROOT)/reports/index.html
TEMPLATES := $(wildcard src/community_scaling/templates/*.j2)
KERNEL_CONFIG := $(VENV)/etc/ipython/ipython_kernel_config.py
BENCHMARK_RESULTS := benchmarks/results

.PHONY: help all build env test test-fast benchmark snapshot notebooks pipeline lock clean
.DEFAULT_GOAL := help

## List the targets with what they do
help:
	@echo "Do scaling laws scale? Targets (variables: STUDY=$(STUDY), OUT=$(OUT)):"
	@awk '/^## /{doc=substr($$0,4); next} /^[a-z][a-z-]*:/{if(doc){split($$0,t,":"); printf "  make %-12s %s\n", t[1], doc}; doc=""} !/^## /{doc=""}' $(MAKEFILE_LIST)

## Build every default study, or only STUDY=x, and the site under OUT/reports/ (front page: reports/index.html)
all: $(KERNEL_CONFIG)
ifeq ($(ONE_STUDY),)
	@$(PY) -m community_scaling.build_all --output-root $(ROOT) --make "$(MAKE)" \
	  --extra-studies $(call sq,$(EXTRA_STUDIES)) $(DEFAULT_STUDIES)
else
	$(call locked,$(MAKE) --no-print-directory $(if $(findstring jobserver,$(MAKEFLAGS)),,-j$(JOBS)) build)
endif
build: $(SITE)

# ---- environment: a venv with the exact pins (conda users: environment.yml) ----
## Create .venv with the exact pins of requirements.lock
env: $(ENV)
$(ENV): requirements.lock requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock 2>&1 | $(QUIET_PIP)
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e . 2>&1 | $(QUIET_PIP)
	touch $@

## Regenerate requirements.lock from the environment
lock: $(ENV)
	{ echo "# Full transitive lock of requirements.txt (pip freeze, Python 3.11). Regenerate: make lock"; \
	  $(PY) -m pip freeze --exclude-editable; } > requirements.lock

# ---- study file: validated, split into per-section stamps rewritten only on change ----
# .validated is touched first, so a rewritten stamp is newer than it and an unchanged one
# keeps its older time: Make re-reads the times and re-runs only what reads a changed section
# (a dry run, which cannot re-read them, lists more than a real run does).
$(STAMPS)/.validated: $(STUDY_FILE) src/community_scaling/study.py | $(ENV)
	mkdir -p $(STAMPS) && touch $@
	$(PY) -m community_scaling.study $(STUDY) --stamps $(STAMPS) --study-file $(abspath $(STUDY_FILE)) --kind $(KIND)
$(STAMPS)/%.json: $(STAMPS)/.validated ;
$(INPUT_STAMP): $(STAMPS)/.validated FORCE | $(ENV)
	+@$(PY) -m community_scaling.input_stamp $(STAMPS)
FORCE:

# ---- source notebooks: jupytext percent scripts are the source, .ipynb is paired ----
## Regenerate the paired .ipynb files from the jupytext .py sources
notebooks: $(patsubst %.py,%.ipynb,$(wildcard notebooks/[0-9]*.py))
notebooks/%.ipynb: notebooks/%.py | $(ENV)
	$(PY) -m jupytext --quiet --update --to ipynb --output $@ $<
	touch $@

# ---- the argument, in order: rules generated from src/community_scaling/pipeline.py ----
include pipeline.mk

## Rewrite pipeline.mk from the pipeline declaration (src/community_scaling/pipeline.py)
pipeline: | $(ENV)
	$(PY) -m community_scaling.pipeline pipeline.mk

# ---- rendering: HTML of every executed notebook, a page per study, a front page ----
# nbconvert's lab template without CDN scripts, so pages work offline (templates/nbconvert/compendium).
NBCONVERT_TEMPLATES := src/community_scaling/templates/nbconvert
$(HTML)/%.html: $(NB)/%.ipynb $(wildcard $(NBCONVERT_TEMPLATES)/compendium/*) | $(ENV)
	$(PY) -m jupyter nbconvert --log-level WARN --to html --TemplateExporter.extra_template_basedirs=$(NBCONVERT_TEMPLATES) \
	  --template compendium --output-dir $(HTML) --output $*.tmp $<
	mv $(HTML)/$*.tmp.html $@

$(REPORTS)/index.html: $(foreach n,$(NOTEBOOKS),$(HTML)/$(n).html) $(RESULTS)/ledger.parquet $(TEMPLATES)
	$(PY) -m community_scaling.report $(STUDY) --output-root $(ROOT)

# The front page: the claims ledger of every study built under OUT.
$(SITE): $(REPORTS)/index.html $(TEMPLATES) $(SRC) $(wildcard $(ROOT)/build/unavailable.json)
	$(PY) -m community_scaling.report --front --output-root $(ROOT)

# Kernels read this from the environment: it drops ipykernel's start-up warning about
# unencrypted loopback TCP, noise in the build's output (the file says why).
$(KERNEL_CONFIG): etc/ipython/ipython_kernel_config.py | $(ENV)
	install -D -m 644 $< $@

# ---- checks ----
## Run the whole test suite (budget 10 minutes on 2 cores; measured 19.5 min, 2026-12-03; the browser test needs chromium)
test: $(ENV) $(KERNEL_CONFIG)
	$(PY) -m pytest -n $(JOBS) --dist loadgroup

## Run the tests that take seconds (no notebooks, no Make chain, no browser; 128-195 s on 2 cores, 2026-12-03)
test-fast: $(ENV)
	$(PY) -m pytest -n $(JOBS) --dist loadgroup -m "not slow"

## Time the default study and the scaling fits; outputs kept in benchmarks/results/
benchmark: $(ENV) $(KERNEL_CONFIG)
	mkdir -p $(BENCHMARK_RESULTS)
	$(PY) benchmarks/make_all_benchmark.py | tee $(BENCHMARK_RESULTS)/make_all_benchmark.txt
	$(PY) benchmarks/scaling_fits_benchmark.py | tee $(BENCHMARK_RESULTS)/scaling_fits_benchmark.txt

## Keep STUDY's ledger, headline figures and site screenshots in benchmarks/results/ (the README quotes them)
snapshot: $(SITE)
	$(PY) -m community_scaling.report $(STUDY) --output-root $(ROOT) --snapshot $(BENCHMARK_RESULTS)/$(STUDY)
	$(PY) -m community_scaling.site_check $(ROOT)/reports --study $(STUDY) --screenshots $(BENCHMARK_RESULTS)/screenshots

## Delete STUDY's generated files under OUT (only that study's folders; STUDY and OUT are checked above)
clean:
	$(call locked,rm -rf $(PROCESSED) $(RESULTS) $(REPORTS) $(STAMPS))
