# lstmbook: run the book's chapters, the tests and the benchmarks.
# `make` alone lists the targets. Every target that runs Python installs first if needed.

PYTHON  ?= python3
# Keras's own KERAS_BACKEND is honoured; BACKEND=jax is a shorthand for it.
BACKEND ?= $(or $(KERAS_BACKEND),tensorflow)
# One virtual environment per backend, each with its own framework only: .venv for TensorFlow,
# .venv-jax for JAX, where every chapter's kernel then starts without TensorFlow (2-3 s and
# about 460 MB less each; Keras imports TensorFlow whenever it is installed, to seed it).
VENV    ?= $(if $(filter tensorflow,$(BACKEND)),.venv,.venv-$(BACKEND))
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed
ARGS    ?=
# make all SEEDS=5: every chapter at seeds 42..46 (ARGS="--seed S" moves the first one).
# JOBS: notebooks executed at a time (each in its own kernel, the longest first; the results do not depend on it).
SEEDS   ?= 1
JOBS    ?= 2
EXTRAS  := $(BACKEND),test,dev

export KERAS_BACKEND := $(BACKEND)
export TF_CPP_MIN_LOG_LEVEL ?= 2
export MPLBACKEND := Agg
export PYTHONHASHSEED ?= 0

CHAPTERS := $(shell seq -f "ch%02g" 1 14)

.PHONY: help install test test-oldest all smoke report publish bench sweep lint clean notebooks site lab $(CHAPTERS)

help: ## list the targets
	@echo "lstmbook: the Keras 3 companion to 'Long Short-Term Memory Networks With Python'"
	@echo
	@echo "  make all         every chapter at full settings, as executed notebooks, into outputs/BACKEND/,"
	@echo "                   then outputs/BACKEND/REPORT.md (SEEDS=5: at seeds 42..46, the report shows"
	@echo "                   seeds passed and mean (min-max); JOBS=N: N notebooks at a time, default 2;"
	@echo "                   BACKEND=jax: on JAX, into outputs/jax/)"
	@echo "  make test        install if needed, then the unit tests and every chapter as a notebook (quick)"
	@echo "  make test-oldest the same tests on the lowest versions setup.cfg allows (in $(OLDEST))"
	@echo "  make ch01..ch14  one chapter (ARGS=--quick for a quick run; BACKEND=jax for JAX)"
	@echo "  make smoke       every chapter in quick mode, as notebooks (never writes docs/)"
	@echo "  make report      write outputs/BACKEND/REPORT.md from its runs' metrics.json (SEEDS=5 as for all)"
	@echo "  make publish     copy a finished multi-seed report and its figures into docs/ (docs/jax/ on JAX):"
	@echo "                   the only target that changes committed files"
	@echo "  make notebooks   executed notebooks in notebooks/ (ARGS=--quick for quick runs)"
	@echo "  make site        the rendered book in site/ (open site/index.html), from the last runs"
	@echo "  make lab         JupyterLab: the chapters open as notebooks from chapters/*.py (installs jupyterlab)"
	@echo "  make bench       the benchmarks, written to docs/BENCHMARKS.md"
	@echo "  make sweep       the bad-input sweep: every public function, bad and should-work inputs"
	@echo "  make lint        ruff"
	@echo "  make install     create $(VENV) and install lstmbook[$(EXTRAS)] (reruns when setup.cfg changes)"
	@echo "  make clean       remove build files and outputs"

install: $(STAMP) ## create the virtual environment

# Reinstall only when setup.cfg changes.
$(STAMP): setup.cfg pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[$(EXTRAS)]"
	touch $(STAMP)

# The test files in two pytest-xdist workers, which share each chapter's quick run (see
# tests/conftest.py); TEST_WORKERS=0 runs them all in one process.
TEST_WORKERS ?= 2
PYTEST_ARGS := -q -n $(TEST_WORKERS) --dist loadfile
# On a backend other than TensorFlow, the tests marked backend_independent (the report, the
# site, prep, the file system's faults, the cluster's plumbing) are left to the TensorFlow run.
TEST_MARKS := $(if $(filter tensorflow,$(BACKEND)),,-m "not backend_independent")

test: install ## unit tests and every chapter's quick run
	$(PY) -m pytest $(PYTEST_ARGS) $(TEST_MARKS)

# The floors in setup.cfg, tested: every direct dependency at the lowest release it allows
# (.ci/lowest.py writes the pins), in a virtual environment of its own. The library's tests
# all run; of the chapters, the notebooks marked floors (tests/test_notebooks.py) and the site.
OLDEST := .venv-oldest
$(OLDEST)/.installed: setup.cfg pyproject.toml .ci/lowest.py | install
	test -x $(OLDEST)/bin/python || $(PYTHON) -m venv $(OLDEST)
	$(OLDEST)/bin/python -m pip install --quiet --upgrade pip
	$(PY) .ci/lowest.py setup.cfg tensorflow test > $(OLDEST)/constraints.txt
	$(OLDEST)/bin/python -m pip install --quiet -c $(OLDEST)/constraints.txt -e ".[tensorflow,test]"
	touch $@

test-oldest: $(OLDEST)/.installed ## the tests on the oldest supported versions
	@$(OLDEST)/bin/python -m pip list 2>/dev/null | grep -iE "^(tensorflow|keras|numpy|pandas|scikit-learn|matplotlib|jax) "
	$(OLDEST)/bin/python -m pytest $(PYTEST_ARGS) -m "not chapter or floors"

all: install ## every chapter at full settings (at SEEDS seeds), then the report
	$(PY) -m chapters all --seeds $(SEEDS) --jobs $(JOBS) $(ARGS)

$(CHAPTERS): install
	$(PY) -m chapters $(patsubst ch%,%,$@) $(ARGS)

ch%: ## a chapter name that is not ch01..ch14
	@echo "make $@: there is no such chapter; the chapters are ch01 to ch14, with two digits (make ch06)" >&2
	@exit 2

smoke: install ## every chapter in quick mode
	$(PY) -m chapters all --quick $(ARGS)

report: install ## outputs/BACKEND/REPORT.md from the metrics (of SEEDS seeds)
	$(PY) -m chapters report --seeds $(SEEDS)

publish: install ## copy a finished multi-seed report into docs/ (docs/jax/ on JAX)
	$(PY) -m chapters publish

site: install ## the rendered book in site/
	$(PY) -m chapters site

bench: install ## benchmarks -> docs/BENCHMARKS.md
	$(PY) -m benchmarks
	$(PY) -m benchmarks.throughput

sweep: install ## the bad-input sweep (about a minute); ARGS="--json sweep.json" keeps every case
	$(PY) benchmarks/bad_inputs.py $(ARGS)

# make lab: JupyterLab at the repository's root. The chapters open as notebooks straight from
# chapters/*.py (jupytext's default viewer, set in this environment only), and the kernel
# (python3, in this environment) has the repository on its path and starts Keras quietly
# (chapters/_lab.py). A notebook is a quick run when its Setup cell says book.start(N, ["--quick"]).
LAB_STAMP := $(VENV)/.lab-installed
$(LAB_STAMP): $(STAMP) chapters/_lab.py
	$(PY) -m pip install --quiet -e ".[$(EXTRAS),lab]"
	$(PY) -m chapters._lab
	touch $@

lab: $(LAB_STAMP) ## JupyterLab, the chapters opened as notebooks from chapters/*.py
	$(VENV)/bin/jupyter lab --ServerApp.root_dir="$(CURDIR)" --ServerApp.default_url=/lab/tree/chapters $(LAB_ARGS)

notebooks: install ## executed notebooks in notebooks/
	$(PY) -m chapters notebooks $(ARGS)

lint: install ## ruff
	$(PY) -m ruff check lstmbook chapters tests benchmarks .ci

clean: ## remove build files and outputs
	rm -rf outputs build dist site $(OLDEST) *.egg-info .pytest_cache .ruff_cache .hypothesis notebooks
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
