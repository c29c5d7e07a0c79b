# Two commands for a newcomer:
#   make reports   build the environment and produce every municipality's report from the demo dataset
#   make test      build the environment (if needed) and run lint + all tests
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: env reports test lint bench clean

env: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	$(BIN)/python -m ipykernel install --sys-prefix --name costing --display-name "Python (costing)"
	touch $(STAMP)

reports: env
	$(BIN)/costing reports --out reports

lint: env
	$(BIN)/ruff check src tests benchmarks notebooks
	$(BIN)/lint-imports

test: env lint
	MPLBACKEND=Agg $(BIN)/python -m pytest

bench: env
	for b in benchmarks/*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) reports/*/ reports/index.html
