PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev

.DEFAULT_GOAL := help
.PHONY: help run chat test lint typecheck validate bench clean

help:  ## list targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit("Python 3.11+ is required") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP) $@

run: $(STAMP)  ## install, migrate and start the Telegram bot
	$(BIN)/interview-bot run

chat: $(STAMP)  ## hold a mock interview in the terminal (no token needed)
	$(BIN)/interview-bot chat

validate: $(STAMP)  ## check the question bank
	$(BIN)/interview-bot questions validate

lint: $(DEV_STAMP)  ## ruff and mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Two workers: the suite is mostly CPU, and this project's reference machine has two cores.
PYTEST_WORKERS ?= 2

test: lint  ## ruff, mypy and the whole test suite
	$(BIN)/pytest -q -n $(PYTEST_WORKERS) --dist worksteal

bench: $(DEV_STAMP)  ## CPU per answer against a bare echo bot
	$(BIN)/python bench/answer_cpu.py

clean:  ## remove the virtualenv and caches
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
