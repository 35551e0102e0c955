# Two commands do everything on a fresh machine:
#   make book   build the site into _build/html (installs what it needs first)
#   make test   unit tests, quick-profile nbval over every chapter, site build
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: install book test test-accelerate lint format outputs release lock clean

install: $(INSTALLED)

$(INSTALLED): requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	touch $@

# Pin every transitive package of requirements.txt: install it into an empty venv and freeze that.
lock:
	rm -rf _build/lock-venv
	$(PYTHON) -m venv _build/lock-venv
	_build/lock-venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	{ echo "# Every package requirements.txt needs, pinned: made by 'make lock' (Python 3.11, Linux x86-64)."; \
	  _build/lock-venv/bin/python -m pip freeze --all --exclude pip; } > requirements.lock

book: $(INSTALLED)
	$(BIN)/jupyter-book build . --warningiserror --keep-going --quiet

test: $(INSTALLED) lint
	$(BIN)/python scripts/pace.py  # this machine's pace, so that the times below compare by ratios
	$(BIN)/python -m pytest tests
	RESNET_BOOK_PROFILE=quick $(BIN)/python -m pytest --nbval --nbval-current-env --durations=0 book

# The GPU code path (mixed precision + XLA) forced on this CPU: every chapter's quick profile under nbval.
test-accelerate: $(INSTALLED)
	RESNET_BOOK_ACCELERATE=on RESNET_BOOK_PROFILE=quick $(BIN)/python -m pytest --nbval --nbval-current-env --durations=0 book

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
