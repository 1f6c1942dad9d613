# One-word entry points. `make run` and `make test` are the two commands a fresh clone needs.
PYTHON ?= python3
VENV   := .venv
export OFFICE_PYTHON ?= $(CURDIR)/$(VENV)/bin/python

.PHONY: setup lint-setup run build test test-py test-web lint fmt bench services

## setup: create the pinned Python runtime that generated programs run in (.venv)
setup: $(VENV)/.installed

$(VENV)/.installed: python/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r python/requirements.txt
	$(VENV)/bin/python -c "import pandas, numpy, openpyxl, matplotlib"
	touch $@

## lint-setup: the pinned Python lint tools (ruff) in .venv
lint-setup: $(VENV)/.lint-installed

$(VENV)/.lint-installed: $(VENV)/.installed python/requirements-lint.txt
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r python/requirements-lint.txt
	touch $@

## build: the `office` binary (release)
build:
	cargo build --release -p office-http --bin office

## run: set up and serve the REST API on 127.0.0.1:8000 (SQLite, in-process queue, offline planner)
run: setup build
	./target/release/office serve

## test: set up and run every test (unit, conformance, end to end)
test: setup
	cargo test --workspace --no-fail-fast
	$(MAKE) test-py
	$(MAKE) test-web

## test-py: build the Python module's wheel, install it into a fresh venv, run its pytest suite
test-py: setup
	office-py/tests/run.sh

## test-web: the web page in headless chromium (Debian's package, driven by playwright-core
## from tests/web/package-lock.json) against a real `office serve`; screenshots in target/web-test/
test-web: setup
	cargo build -p office-http --bin office
	cd tests/web && npm ci --no-audit --no-fund --silent && npm test

## lint: formatting and clippy, warnings as errors; ruff on the Python the repo ships (ruff.toml)
lint: lint-setup
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings
	$(VENV)/bin/ruff check --no-cache

fmt:
	cargo fmt --all

## bench: end-to-end latency of a trivial job through the in-process pipeline, and the Rust stages alone
bench: setup
	cargo bench -p office-benches
