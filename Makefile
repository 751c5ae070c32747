# abcresearch: every target builds its own .venv first, so a fresh clone needs only python3, venv and make.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: help demo test bench lint clean venv lab bytecode

help: ## list the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,dask]'
	@# pip byte-compiles what it installs, but not an editable package: without this, where
	@# PYTHONDONTWRITEBYTECODE is set (CI, containers) every process compiled abcresearch's
	@# modules from source (0.25-0.4 s per command, batch worker and kernel)
	$(PY) -m compileall -q src
	touch $(STAMP)

venv: $(STAMP) ## create .venv and install abcresearch with its test and dask extras

# the package's modules edited since the install compiled again (a no-op when none was): where
# PYTHONDONTWRITEBYTECODE is set every process would compile an edited module from source
bytecode: $(STAMP)
	@$(PY) -m compileall -q src

demo: bytecode ## run the main job on the bundled synthetic sample province
	$(PY) -m abcresearch.demo

lab: bytecode ## start JupyterLab at the repository root (LAB_ARGS="--no-browser --port 8890" to pass options)
	cd $(CURDIR) && $(VENV)/bin/jupyter lab --ServerApp.root_dir=$(CURDIR) \
		$(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS)

test: bytecode ## run the test suite on every core (pytest-xdist; one worker per test module)
	$(PY) -m pytest -q -n auto --dist loadfile

lint: $(STAMP) ## ruff (style, imports, numpy docstrings, annotations) and mypy on the library
	$(VENV)/bin/ruff check src tests benchmarks docs
	$(VENV)/bin/mypy src

bench: bytecode ## run every benchmark script and print its figures
	@for f in benchmarks/bench_*.py; do echo "== $$f"; $(PY) $$f || exit 1; done

clean: ## remove generated data, reports and the venv
	rm -rf $(VENV) data/store data/synth reports/* build *.egg-info src/*.egg-info
