# The README's commands. Each target sets itself up: a local .venv, the package with its
# extras (editable), the system Graphviz when `dot` is missing, and Chromium for the
# browser tests of the explorer pages when it is missing. A second run skips
# what is already done.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
GRAPHVIZ_STAMP := $(VENV)/.graphviz-stamp
CHROMIUM_STAMP := $(VENV)/.chromium-stamp
LAB_STAMP := $(VENV)/.lab-stamp

.PHONY: setup demo test lint typecheck unit notebooks exercises lab bench clean

setup: $(STAMP) $(GRAPHVIZ_STAMP) $(CHROMIUM_STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "backproplab needs Python >= 3.10; set PYTHON=python3.x")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,bench]'
	@touch $@

$(GRAPHVIZ_STAMP): scripts/ensure-graphviz.sh
	@bash scripts/ensure-graphviz.sh
	@mkdir -p $(VENV) && touch $@

# The explorer pages are tested in a real browser: Debian's chromium and chromium-driver.
$(CHROMIUM_STAMP): scripts/ensure-chromium.sh
	@bash scripts/ensure-chromium.sh
	@mkdir -p $(VENV) && touch $@

demo: setup
	$(PY) -m nn

lint: setup
	$(VENV)/bin/ruff check autograd nn tests benchmarks notebooks/course
	$(VENV)/bin/ruff format --check autograd nn tests benchmarks notebooks/course

typecheck: setup
	$(VENV)/bin/mypy --strict autograd nn notebooks/course

unit: setup
	$(PY) -m pytest -q -n 2

test: lint typecheck unit

notebooks: setup
	$(PY) -m notebooks.run

# The learner's copies: every notebook in ./exercises, its solution cells blanked.
exercises: setup
	$(PY) -m notebooks.course.blank --out exercises

# JupyterLab (the `lab` extra) only for reading the course: the tests execute notebooks
# without it. The server runs until Ctrl-C; on a machine without a browser it prints the
# address to open. Jupyter refuses to start as root unless told: containers and fresh
# machines often are root, so say it there.
$(LAB_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -e '.[lab]'
	@touch $@

lab: $(STAMP) $(GRAPHVIZ_STAMP) $(LAB_STAMP)
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks $(LAB_ARGS) \
		$$(test "$$(id -u)" = 0 && echo --allow-root)

bench: setup
	$(PY) -m benchmarks

clean:
	rm -rf $(VENV) out exercises .pytest_cache .mypy_cache .ruff_cache .hypothesis
