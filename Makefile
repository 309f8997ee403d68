# Loket: `make run` starts everything on this machine; `make test` runs the whole suite.
SHELL := /bin/bash
VENV := .venv
LOKET := $(VENV)/bin/loket

.PHONY: run test check lint format setup train bench clean

setup:
	@bin/ensure-env app
	@bin/ensure-env rasa

run: setup
	@$(LOKET) run

train: setup
	@$(LOKET) train

test: setup
	@bin/ensure-browser
	@$(LOKET) train
	@$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: setup
	@$(VENV)/bin/ruff format --check .
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/mypy bot channels actions nlu catalog complaints
	@$(VENV)/bin/lint-imports

format: setup
	@$(VENV)/bin/ruff format .
	@$(VENV)/bin/ruff check --fix .

check: lint test

bench: setup
	@$(VENV)/bin/python bench/pipeline.py

clean:
	rm -rf $(VENV) .venv-rasa models var
