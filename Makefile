# The two commands of the README: `make demo` and `make test`. Both set up .venv if missing.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 5000
STAMP := $(VENV)/.installed

.PHONY: demo test install translations i18n lint bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) translations

translations: $(STAMP)
	@if [ -d matchmaker/translations ]; then $(BIN)/pybabel -q compile -d matchmaker/translations; fi

# Extract the messages and merge them into the Indonesian catalog (created if missing).
i18n: $(STAMP)
	@pot=$$(mktemp --suffix=.pot) && \
	$(BIN)/pybabel -q extract -F babel.cfg -k _l -k lazy_gettext -k lazy_ngettext:1,2 \
		-c TRANSLATORS: --sort-by-file --no-wrap --project=Sinergi -o $$pot . && \
	$(BIN)/pybabel -q update --init-missing --no-wrap --no-fuzzy-matching --ignore-obsolete \
		-i $$pot -d matchmaker/translations -l id; \
	status=$$?; rm -f $$pot; exit $$status

demo: install
	PORT=$(PORT) $(BIN)/matchmaker demo --port $(PORT)

test: install
	$(BIN)/pytest -q

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: install
	$(BIN)/python bench/engine.py --needs 2000 --offers 20000

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache .mypy_cache
