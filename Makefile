# abcresearch: every target builds its own .venv first, so a fresh clone needs only python3, venv and make.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: help demo test bench lint clean venv

help: ## list the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,dask]'
	touch $(STAMP)

venv: $(STAMP) ## create .venv and install abcresearch with its test and dask extras

demo: $(STAMP) ## run the main job on the bundled synthetic sample province
	$(PY) -m abcresearch.demo

test: $(STAMP) ## run the test suite
	$(PY) -m pytest -q

bench: $(STAMP) ## run every benchmark script and print its figures
	@for f in benchmarks/bench_*.py; do echo "== $$f"; $(PY) $$f || exit 1; done

clean: ## remove generated data, reports and the venv
	rm -rf $(VENV) data/store data/synth reports/* build *.egg-info src/*.egg-info
