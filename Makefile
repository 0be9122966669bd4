# Breakroom — `make run` opens the app, `make test` runs the whole suite. Both set up on first use.
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: setup run test lint bench clean

setup:
	@bash packaging/setup.sh

run: setup
	@$(PY) main.py $(ARGS)

test: setup
	@QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q -n 2 -p no:cacheprovider $(PYTEST_ARGS)
	@$(VENV)/bin/ruff check .

lint: setup
	@$(VENV)/bin/ruff check .

bench: setup
	@$(PY) benchmarks/io.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
