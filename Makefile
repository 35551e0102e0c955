# Two commands do everything on a fresh machine:
#   make book   build the site into _build/html (installs what it needs first)
#   make test   unit tests, quick-profile nbval over every chapter, site build, and the two slower
#               checks below on a few chapters
# Slower checks over the whole book, each on its own (make test runs them on a few chapters; NOTEBOOKS="..." chooses):
#   make test-accelerate   every chapter's quick profile with the GPU code path forced on this CPU
#   make test-colab        every chapter's quick profile in Colab's runtime (_build/venv-colab, from requirements-colab.txt)
# make lock rewrites requirements.lock, with every file's SHA-256, from requirements.txt (UPGRADE=1: unpinned
# packages to their newest releases); make install installs it with pip's --require-hashes.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

# Colab runs Python 3.13: the first of python3.13 and pyenv's 3.13 that runs, else $(PYTHON).
PYENV_ROOT ?= $(HOME)/.pyenv
COLAB_PYTHON ?= $(firstword $(foreach p,python3.13 $(wildcard $(PYENV_ROOT)/versions/3.13*/bin/python3.13),$(if $(shell $(p) -c '' 2>/dev/null && echo runs),$(p))) $(PYTHON))
# In _build, which the site build, git, ruff and pytest all skip: jupyter-book would read a venv at the top as pages.
COLAB_VENV ?= _build/venv-colab
COLAB_INSTALLED := $(COLAB_VENV)/.installed

# pip-compile resolves for the Python it runs on: the lock is for Python 3.11 on Linux x86-64, as CI.
LOCK_TOOLS := _build/lock-tools
# What test-accelerate and test-colab run under nbval: the whole book unless told otherwise.
NOTEBOOKS ?= book
# pytest's workers (pytest-xdist): two on the book's 2-core CPU, where a kernel tracing a graph keeps one core
# busy. --dist loadfile keeps each test file, and each notebook, whole on one worker: one kernel runs a notebook
# top to bottom, and a module's fixtures are made once. WORKERS=0 runs everything in one process.
WORKERS ?= 2
PYTEST := -m pytest -n $(WORKERS) --dist loadfile

.PHONY: install install-colab book test test-book test-colab-sample test-accelerate-sample test-accelerate test-colab lint format outputs release lock clean

# The lock's NumPy, pandas, matplotlib, Keras and IPython need Python 3.11 or newer. Before a venv is made or
# filled: one line naming the version found when it is older. $(call need_python,target,venv,python,variable,advice)
# checks the venv's python when the venv exists, else the python that would make it.
define need_python
@if test -x $(2)/bin/python; then p=$(2)/bin/python; fix="Delete $(2) and run make $(1) $(4)=$(5)."; \
else p=$(3); fix="Set $(4)=$(5): make $(1) $(4)=$(5)."; fi; \
if ! command -v "$$p" >/dev/null 2>&1; then echo "make $(1): the book needs Python 3.11 or newer; $$p is not found. $$fix" >&2; exit 1; fi; \
if ! "$$p" -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1; then \
  found=$$("$$p" -c 'import platform; print(platform.python_version())' 2>/dev/null || echo "not a Python that runs"); \
  echo "make $(1): the book needs Python 3.11 or newer; $$p is $$found. $$fix" >&2; exit 1; fi
endef

install: $(INSTALLED)

$(INSTALLED): requirements.lock
	$(call need_python,install,$(VENV),$(PYTHON),PYTHON,python3.11)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	touch $@

install-colab: $(COLAB_INSTALLED)

$(COLAB_INSTALLED): requirements-colab.txt
	$(call need_python,install-colab,$(COLAB_VENV),$(COLAB_PYTHON),COLAB_PYTHON,python3.13)
	test -x $(COLAB_VENV)/bin/python || { $(COLAB_PYTHON) -m venv $(COLAB_VENV) && echo '*' > $(COLAB_VENV)/.gitignore; }
	$(COLAB_VENV)/bin/python -c 'import sys; v = sys.version_info[:2]; print("$(COLAB_VENV): Python " + sys.version.split()[0] + ("" if v == (3, 13) else " (Colab runs 3.13: set COLAB_PYTHON to a python3.13)"))'
	$(COLAB_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-colab.txt
	$(COLAB_VENV)/bin/python -m pip check
	touch $@

lock:
	$(PYTHON) -c 'import sys; sys.exit(None if sys.version_info[:2] == (3, 11) else "make lock: requirements.lock is for Python 3.11; run make lock PYTHON=python3.11")'
	test -x $(LOCK_TOOLS)/bin/python || $(PYTHON) -m venv $(LOCK_TOOLS)
	$(LOCK_TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check pip-tools==7.6.2
	CUSTOM_COMPILE_COMMAND="make lock  # Linux x86-64; 'make lock UPGRADE=1' moves unpinned packages to their newest releases" \
	  $(LOCK_TOOLS)/bin/pip-compile --quiet --generate-hashes --strip-extras --allow-unsafe --no-emit-index-url --no-emit-find-links \
	  $(if $(UPGRADE),--upgrade) --output-file requirements.lock requirements.txt

book: $(INSTALLED)
	$(BIN)/jupyter-book build . --warningiserror --keep-going --quiet

# What CI time allows of the two slower checks below: Colab's versions on chapters 3, 5 and 6, E0/E3 and the
# results page (their compared outputs print tables and every custom layer of lib.blocks; chapter 4, whose
# layers E0/E3 shares, takes three times E0/E3's time), and the GPU code path on the fastest notebook of float16
# shrinkage layers (chapter 4 passes too, in about six times the time: make test-accelerate NOTEBOOKS=...).
COLAB_IN_TEST := book/03_resnet50.ipynb book/05_fault_diagnosis.ipynb book/06_at_scale.ipynb book/e0_e3_drsn.ipynb book/results.ipynb
ACCELERATE_IN_TEST := book/e0_e3_drsn.ipynb

# After the unit tests, the three nbval runs go side by side (two make jobs; each prints its output whole
# when it ends): a quick run is mostly single-threaded tracing, so the cores stay busy, and Colab's env
# installs while the book runs.
test: $(INSTALLED) lint
	$(BIN)/python scripts/pace.py  # this machine's pace, so that the times below compare by ratios
	$(BIN)/python $(PYTEST) --durations=15 tests
	$(MAKE) --no-print-directory --jobs=2 --output-sync=target test-book test-colab-sample test-accelerate-sample

# Every chapter's quick profile under nbval in the main env.
test-book: $(INSTALLED)
	RESNET_BOOK_PROFILE=quick $(BIN)/python $(PYTEST) --nbval --nbval-current-env --durations=0 book

test-colab-sample:
	$(MAKE) --no-print-directory test-colab NOTEBOOKS="$(COLAB_IN_TEST)"

test-accelerate-sample:
	$(MAKE) --no-print-directory test-accelerate NOTEBOOKS="$(ACCELERATE_IN_TEST)"

# The GPU code path (mixed precision + XLA) forced on this CPU: every chapter's quick profile under nbval.
test-accelerate: $(INSTALLED)
	RESNET_BOOK_ACCELERATE=on RESNET_BOOK_PROFILE=quick $(BIN)/python $(PYTEST) --nbval --nbval-current-env --durations=0 $(NOTEBOOKS)

# Colab's versions (TensorFlow 2.20, Keras 3.13, NumPy 2.1, Python 3.13): every chapter's quick profile under nbval.
test-colab: $(COLAB_INSTALLED)
	RESNET_BOOK_PROFILE=quick $(COLAB_VENV)/bin/python $(PYTEST) --nbval --nbval-current-env --durations=0 $(NOTEBOOKS)

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(INSTALLED)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .
	$(BIN)/python scripts/notebook_form.py book/*.ipynb

outputs: $(INSTALLED)
	$(BIN)/python scripts/execute_notebooks.py $(if $(CHAPTER),book/$(CHAPTER).ipynb,book/*.ipynb) --profile $(or $(PROFILE),full)

release: $(INSTALLED)
	$(BIN)/python scripts/release.py $(VERSION)

clean:
	rm -rf _build
