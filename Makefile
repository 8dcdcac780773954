# The two front-door commands: `make demo` and `make test`. Everything else is a step of those.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint format bench setup clean

VENDOR := src/rapport/web/static/vendor
HTMX := $(VENDOR)/htmx.min.js
SWAGGER := $(VENDOR)/swagger-ui

setup: $(STAMP) $(HTMX)

# The front-end libraries (htmx for the workspace, Swagger UI for /api/v1/docs), from the npm registry by the
# lockfile; copied into static/ (git-ignored), so every page works offline under the same CSP.
$(HTMX): package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund --silent
	mkdir -p $(VENDOR) $(SWAGGER)
	cp node_modules/swagger-ui-dist/swagger-ui-bundle.js node_modules/swagger-ui-dist/swagger-ui.css $(SWAGGER)/
	cp node_modules/htmx.org/dist/htmx.min.js $(HTMX)
	cp node_modules/axe-core/axe.min.js $(VENDOR)/ && rm -rf $(VENDOR)/icons && cp -r node_modules/lucide-static/icons $(VENDOR)/icons

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit("Rapport needs Python 3.11 or newer" if sys.version_info < (3, 11) else 0)'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

HOST ?= 127.0.0.1
PORT ?= 8000

demo: setup  ## set up, load the demo organisation and serve it (make demo PORT=8123 HOST=0.0.0.0)
	$(BIN)/rapport demo --host $(HOST) --port $(PORT)

test: setup  ## set up and run lint, the layer contracts (pyproject's importlinter) and the whole test suite
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/lint-imports
	$(BIN)/pytest

lint: setup
	$(BIN)/ruff check src tests bench
	$(BIN)/lint-imports

format: setup
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

bench: setup  ## the performance benchmark (see bench/README.md)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) data node_modules $(VENDOR)
