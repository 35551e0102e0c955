# Two commands do everything on a fresh machine:
#   make book   build the site into _build/html (installs what it needs first)
#   make test   unit tests, quick-profile nbval over every chapter, site build
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: install book test lint format outputs release clean

install: $(INSTALLED)

$(INSTALLED): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

book: $(INSTALLED)
	$(BIN)/jupyter-book build . --warningiserror --keep-going --quiet

test: $(INSTALLED) lint
	$(BIN)/python -m pytest tests
	RESNET_BOOK_PROFILE=quick $(BIN)/python -m pytest --nbval --nbval-current-env --durations=0 book

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
