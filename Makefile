# Every target creates .venv/ itself when it is missing; nothing else needs installing first.
.DEFAULT_GOAL := install
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install test demo clean

# demo: MODEL and BASE_URL unset -> a dry run (every offline stage, nothing sent);
# set them (e.g. BASE_URL=http://localhost:8000/v1 MODEL=Qwen/Qwen2.5-7B-Instruct) for a real run.
IN ?= data/demo/mixed_tasks.jsonl
DB ?= demo.duckdb
MODEL ?=
BASE_URL ?=
LIMIT ?=
LIMIT_FLAG := $(if $(LIMIT),--limit $(LIMIT),)

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest

demo: $(STAMP)
ifeq ($(strip $(MODEL)$(BASE_URL)),)
	$(BIN)/realign rewrite --in $(IN) --dry-run $(LIMIT_FLAG)
else
	$(BIN)/realign rewrite --in $(IN) --db $(DB) --model $(MODEL) --base-url $(BASE_URL) $(LIMIT_FLAG)
	$(BIN)/realign stats --db $(DB)
	$(BIN)/realign export --db $(DB) --out out/demo.alpaca.jsonl --format alpaca
endif

clean:
	rm -rf $(VENV) build *.egg-info
