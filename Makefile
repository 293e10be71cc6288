# Backprop by Hand — every workflow is a thin wrapper over pip, JupyterLab, nbgrader or pytest.
# Run `make help` for the list.

PYTHON     ?= python3
VENV       ?= .venv
ASSIGNMENT ?= ex01_backprop
JOBS       ?= 1
PORT       ?= 8888
PYTEST_ARGS ?=
# `make solutions`: a grace period after the due date (2d, 36h, 90m); FORCE=1 releases them now.
SOLUTIONS_AFTER ?=
FORCE      ?=
# The environment JupyterHub and every user's server run (world-readable, from the system Python).
HUB_ENV    ?= /opt/backprop-by-hand/hub-env
HUB_PYTHON ?= /usr/bin/python3
HUB_PORT   ?= 8000

BIN   := $(abspath $(VENV))/bin
# Jupyter refuses to run as root unless told (containers, CI).
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)
STAMP := $(VENV)/.installed
# The shared environment of `make hub-env` is built by that target only: on a JupyterHub an
# instructor's `make autograde VENV=<it>` uses it and never tries to install into it.
MANAGED_ENV := $(wildcard $(VENV)/.built-requirements)

# nbgrader calls `alembic` (and the kernel) from PATH: the environment's bin/ comes first.
export PATH := $(BIN):$(PATH)
# TensorFlow's C++ logging goes to stderr, which would zero a graded test cell
# (course/kernel/environment.py's QUIET_TENSORFLOW; tests/project/test_codebase.py keeps them equal).
export TF_CPP_MIN_LOG_LEVEL := 3
export TF_ENABLE_ONEDNN_OPTS := 0

.PHONY: help system-deps setup lab test test-fast sync release solutions autograde feedback export report demo present bench hub hub-env lock clean

# Variables that help texts name are shown with their values.
HELP_VARS := VENV PORT JOBS HUB_ENV HUB_PORT
help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -e 's/:.*## /\t/' \
	  $(foreach v,$(HELP_VARS),-e 's|$$($(v))|$($(v))|g') | expand -t 12

setup: $(if $(MANAGED_ENV),,$(STAMP))  ## create $(VENV) with the pinned dependencies and the course package (idempotent)

$(STAMP): requirements.txt requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt -c requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	$(BIN)/jupyter server extension enable --sys-prefix --py nbgrader >/dev/null 2>&1 || \
	  $(BIN)/jupyter server extension enable --sys-prefix nbgrader.server_extensions.formgrader
	@touch $@
	@echo "environment ready in $(VENV)"

lab: setup  ## start JupyterLab at the course root (nbgrader menus included)
	JUPYTER_CONFIG_PATH=$(CURDIR)/etc/jupyter$(if $(JUPYTER_CONFIG_PATH),:$(JUPYTER_CONFIG_PATH)) \
	  $(BIN)/jupyter lab --ServerApp.root_dir=$(CURDIR) --port=$(PORT) $(ROOT_FLAG)

# The whole suite runs in TEST_WORKERS pytest-xdist processes (0: one process, tests in file
# order).  --dist loadfile keeps each file's tests, and so its module fixtures, in one
# worker; tests/conftest.py puts files with slow tests first, so xdist must not reorder.
TEST_WORKERS ?= 2
XDIST = $(if $(filter-out 0,$(TEST_WORKERS)),-n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder)

# As root, the suite includes the JupyterHub test, which needs the shared hub environment.
# The Debian packages come first (as root they are installed; otherwise named, and make stops).
test: system-deps setup $(if $(ROOT_FLAG),hub-env)  ## run the whole test suite (as root: installs the Debian packages it needs)
	$(BIN)/python -m pytest $(XDIST) $(PYTEST_ARGS)

system-deps:  ## check (as root: install) the Debian packages `make test` needs
	@bash deploy/system_packages.sh test

# The fast lane: no nbgrader run, browser, kernel or server (markers in pyproject.toml).
FAST_LANE := not nbgrader and not browser and not server and not hub

test-fast: setup  ## unit tests and in-process grader corpora, for the edit-test loop
	$(BIN)/python -m pytest -m "$(FAST_LANE)" $(PYTEST_ARGS)

sync: setup  ## bring each source notebook and its text twin in source_py/ up to date (the newer side wins)
	$(BIN)/jupytext --sync source/$(ASSIGNMENT)/*.ipynb

release: sync  ## regenerate release/ from source/ (after `make sync`) and validate it
	$(BIN)/nbgrader generate_assignment $(ASSIGNMENT) --force --CourseDirectory.ignore='["__pycache__", "*.pyc", ".ipynb_checkpoints"]'
	$(BIN)/nbgrader validate source/$(ASSIGNMENT)/*.ipynb
	$(BIN)/nbgrader validate --invert release/$(ASSIGNMENT)/*.ipynb

solutions: setup  ## release the solutions (ex01_backprop_solutions) through the exchange after the due date (+ SOLUTIONS_AFTER=2d); FORCE=1 now
	$(BIN)/python -m course.instructor.solutions $(ASSIGNMENT) $(if $(SOLUTIONS_AFTER),--after "$(SOLUTIONS_AFTER)") $(if $(filter 1 yes true,$(FORCE)),--force)

autograde: setup  ## grade everything in submitted/ (JOBS=n grades students in n processes)
	$(BIN)/python -m course.instructor.autograde $(ASSIGNMENT) --jobs $(JOBS)

feedback: setup  ## write HTML feedback for every graded student into feedback/
	$(BIN)/nbgrader generate_feedback $(ASSIGNMENT) --force

export: setup  ## write grades.csv from the gradebook
	$(BIN)/nbgrader export

report: setup  ## write reports/: misconceptions.csv, student_outcomes.csv, class_report.html
	$(BIN)/python -m course.instructor.report $(ASSIGNMENT)

demo: setup  ## the whole pipeline on synthetic students in a scratch course (KEEP=dir keeps it)
	$(BIN)/python -m course.instructor.demo $(ASSIGNMENT) $(if $(KEEP),--keep $(KEEP))

# Voila finds the course's page template (share/jupyter/voila/templates/classroom) on JUPYTER_PATH.
present: setup  ## serve the classroom explorer with Voila
	JUPYTER_PATH=$(CURDIR)/share/jupyter$(if $(JUPYTER_PATH),:$(JUPYTER_PATH)) \
	  $(BIN)/voila demos/backprop_explorer.ipynb --port=$(PORT) --no-browser  # settings: voila.json

bench: setup  ## print performance figures (and write artifacts/bench.json)
	$(BIN)/python -m tests.bench.run

hub-env:  ## build the shared environment for JupyterHub and its users in $(HUB_ENV) (cached)
	@bash deploy/system_packages.sh hub
	HUB_ENV=$(HUB_ENV) HUB_PYTHON=$(HUB_PYTHON) bash deploy/build_hub_env.sh

hub: hub-env  ## (root) a local JupyterHub on 127.0.0.1:$(HUB_PORT) with demo instructor and student accounts
	$(HUB_ENV)/bin/python deploy/localhub.py --port $(HUB_PORT) --hub-env $(HUB_ENV)

lock: ## re-pin requirements.lock from a fresh install of requirements.txt
	rm -rf $(VENV).lock && $(PYTHON) -m venv $(VENV).lock
	$(VENV).lock/bin/pip install --quiet -r requirements.txt
	( echo "# Every package of a working environment, pinned; used as pip constraints by \`make setup\`."; \
	  echo "# Regenerate with \`make lock\` after changing requirements.txt."; \
	  $(VENV).lock/bin/pip freeze --exclude-editable ) > requirements.lock
	rm -rf $(VENV).lock

clean:  ## remove generated student data and caches (keeps source/ and release/)
	rm -rf submitted feedback gradebook.db .exchange artifacts .pytest_cache
	find autograded -mindepth 1 -not -name README.md -prune -exec rm -rf {} +
