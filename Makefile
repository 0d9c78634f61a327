# lstmbook: run the book's chapters, the tests and the benchmarks.
# `make` alone lists the targets. Every target that runs Python installs first if needed.

PYTHON  ?= python3
VENV    ?= .venv
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed
BACKEND ?= tensorflow
ARGS    ?=
EXTRAS  := test,dev

export KERAS_BACKEND := $(BACKEND)
export TF_CPP_MIN_LOG_LEVEL ?= 2
export MPLBACKEND := Agg
export PYTHONHASHSEED ?= 0

CHAPTERS := $(shell seq -f "ch%02g" 1 14)

.PHONY: help install test all smoke report bench lint clean notebooks $(CHAPTERS)

help: ## list the targets
	@echo "lstmbook: the Keras 3 companion to 'Long Short-Term Memory Networks With Python'"
	@echo
	@echo "  make all         run every chapter at full settings, then write docs/REPORT.md"
	@echo "  make test        install if needed, then the unit tests and every chapter's quick run"
	@echo "  make ch01..ch14  one chapter (ARGS=--quick for a quick run; BACKEND=jax for JAX)"
	@echo "  make smoke       every chapter in quick mode"
	@echo "  make report      write docs/REPORT.md from outputs/*/metrics.json"
	@echo "  make bench       the benchmarks, written to docs/BENCHMARKS.md"
	@echo "  make notebooks   write notebooks/chNN_slug.ipynb from the chapter modules"
	@echo "  make lint        ruff"
	@echo "  make install     create $(VENV) and install lstmbook[test,dev] (reruns when setup.cfg changes)"
	@echo "  make clean       remove build files and outputs"

install: $(STAMP) ## create the virtual environment

# Reinstall only when setup.cfg changes (or when BACKEND=jax asks for the jax extra).
$(STAMP): setup.cfg pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[$(EXTRAS)]"
	touch $(STAMP)

ifeq ($(BACKEND),jax)
install: $(VENV)/.jax
$(VENV)/.jax: $(STAMP)
	$(PY) -m pip install --quiet -e ".[test,dev,jax]"
	touch $@
endif

test: install ## unit tests and every chapter's quick run
	$(PY) -m pytest -q

all: install ## every chapter at full settings, then the report
	$(PY) -m chapters all $(ARGS)

$(CHAPTERS): install
	$(PY) -m chapters $(patsubst ch%,%,$@) $(ARGS)

smoke: install ## every chapter in quick mode
	@set -e; for n in $$(seq 1 14); do $(PY) -m chapters $$n --quick $(ARGS); done

report: install ## docs/REPORT.md from the metrics
	$(PY) -m lstmbook.report

bench: install ## benchmarks -> docs/BENCHMARKS.md
	$(PY) -m benchmarks

notebooks: install ## chapters as Jupyter notebooks in notebooks/
	mkdir -p notebooks
	$(PY) -m jupytext --to ../notebooks//ipynb chapters/ch[0-9][0-9]_*.py

lint: install ## ruff
	$(PY) -m ruff check lstmbook chapters tests benchmarks

clean: ## remove build files and outputs
	rm -rf outputs build dist *.egg-info .pytest_cache .ruff_cache .hypothesis notebooks
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
