PYTHON ?= python3

.PHONY: deps test-deps demo test

deps:
	@$(PYTHON) tools/misc/install_requirements.py runtime

test-deps:
	@$(PYTHON) tools/misc/install_requirements.py runtime tests

demo: deps
	$(PYTHON) tools/demo.py

test: test-deps
	$(PYTHON) -m pytest -q tests
