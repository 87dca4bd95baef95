# The two commands a newcomer runs (see README):
#   make setup   install everything (Debian + Python) and run the main job on the defaults
#   make test    run the test suite (installs first when needed)
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEBIAN_PACKAGES := chromium chromium-driver openjdk-17-jre-headless
export KEDRO_DISABLE_TELEMETRY := true
export MLFLOW_DISABLE_TELEMETRY := true
export TF_CPP_MIN_LOG_LEVEL := 2
export PYTHONHASHSEED := 0

.PHONY: setup install system-deps run test lint format viz viz-build mlflow-ui compile env-spec lock clean-data bench test-emulation mlflow-summary test-pythons serve

setup: install run

install: system-deps $(STAMP)

# Debian packages: Chromium + ChromeDriver for the kedro-viz browser test, Java for Spark.
system-deps:
	@missing=""; for p in $(DEBIAN_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade "pip>=24"
	$(BIN)/python -m pip install -q -c requirements.lock -e ".[dev]"
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/kedro run

test: install
	$(BIN)/python -m pytest -n auto

# The suite on the other supported interpreters (CI keeps one): a venv per version,
# installed from the same lock. Interpreters are looked up on PATH, then in pyenv.
PYTHONS ?= 3.12 3.13
test-pythons:
	@set -e; for v in $(PYTHONS); do \
	  py=""; for c in $$(command -v python$$v) $$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/$$v*/bin/python 2>/dev/null); do \
	    if $$c -c "import sys" 2>/dev/null; then py=$$c; break; fi; \
	  done; \
	  if [ -z "$$py" ]; then echo "python$$v not found"; exit 1; fi; \
	  echo "== Python $$v ($$py)"; \
	  test -x .venv-$$v/bin/python || $$py -m venv .venv-$$v; \
	  .venv-$$v/bin/python -m pip install -q --upgrade "pip>=24"; \
	  .venv-$$v/bin/python -m pip install -q -c requirements.lock -e ".[dev]"; \
	  .venv-$$v/bin/python -m pytest -q -n auto; \
	done

# Each training pipeline compiled for Azure ML and emulated step by step with the MLflow
# runs the service creates (minutes: a process per step). CI runs it after `make test`.
test-emulation: install
	$(BIN)/python -m pytest -m emulation

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

format: $(STAMP)
	$(BIN)/ruff check --fix src tests benchmarks
	$(BIN)/ruff format src tests benchmarks

viz: $(STAMP)
	$(BIN)/kedro viz run --autoreload

viz-build: $(STAMP)
	$(BIN)/kedro viz build

mlflow-ui: $(STAMP)
	$(BIN)/mlflow ui --backend-store-uri sqlite:///mlruns.db --host 127.0.0.1 --port 5000

# Speed and memory figures (default run, each pipeline, inference, scale curves).
bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py $(BENCH_ARGS)

# A registered model over HTTP on loopback: make serve MODEL=battery-cycles [ALIAS=challenger | VERSION=3] [PORT=8080]
MODEL ?= battery-cycles
ALIAS ?= champion
PORT ?= 8080
serve: $(STAMP)
	$(BIN)/kedro serve --model $(MODEL) $(if $(VERSION),--version $(VERSION),--alias $(ALIAS)) --port $(PORT)

# Experiments, runs, registered versions and aliases of the project's MLflow store.
mlflow-summary: $(STAMP)
	$(BIN)/python -m mlops_lab.mlflow_summary

# Compile every registered pipeline for Azure ML into azureml_compiled/ (no network).
compile: $(STAMP)
	$(BIN)/python -m mlops_lab.azure.compile_all --env azureml --output-dir azureml_compiled

# Azure ML CPU and GPU environments (deploy/azureml/environments/) from the locks.
env-spec: $(STAMP)
	$(BIN)/python -m mlops_lab.azure.environment

# Regenerate the full transitive lock after changing pyproject.toml.
lock:
	rm -rf /tmp/mlops-lab-lock && $(PYTHON) -m venv /tmp/mlops-lab-lock
	/tmp/mlops-lab-lock/bin/pip install -q --upgrade "pip>=24"
	/tmp/mlops-lab-lock/bin/pip install -q -e ".[dev]"
	/tmp/mlops-lab-lock/bin/pip freeze --exclude-editable | grep -v "^-e" > requirements.lock
	# The GPU image's CUDA wheels: resolved (not installed) against the lock.
	/tmp/mlops-lab-lock/bin/pip install -q --dry-run --ignore-installed -c requirements.lock \
	  --report /tmp/mlops-lab-lock/gpu.json "tensorflow[and-cuda]==$$(sed -n 's/^tensorflow==//p' requirements.lock)"
	$(BIN)/python -m mlops_lab.azure.environment --gpu-report /tmp/mlops-lab-lock/gpu.json

clean-data:
	find data -type f ! -name .gitkeep ! -path "data/01_raw/aerosol/hyytiala_*" \
	  ! -path "data/01_raw/battery/daily-battery-*" ! -path "data/01_raw/maintenance/car-*" \
	  ! -name README.md -delete
