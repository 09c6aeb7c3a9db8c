PYTHON ?= python3

.PHONY: deps test-deps demo test lint format

deps:
	@$(PYTHON) tools/misc/install_requirements.py runtime

test-deps:
	@$(PYTHON) tools/misc/install_requirements.py runtime tests

demo: deps
	$(PYTHON) tools/demo.py

lint: test-deps
	$(PYTHON) -m ruff check .
	$(PYTHON) -m ruff format --check .

format:
	$(PYTHON) -m ruff format .
	$(PYTHON) -m ruff check --fix .

test: lint
	$(PYTHON) -m pytest -q tests
