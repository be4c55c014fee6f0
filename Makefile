# camvault: the two commands a newcomer needs are `make run` and `make test`.
# Everything else here is what those two need on a fresh machine with only Python, pip, git and make.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SYSTEM_STAMP := $(VENV)/.system-packages
# Debian packages the test suite uses as real services: Chromium for the web pages, PostgreSQL for the fleet store.
DEBIAN_PACKAGES := chromium chromium-driver postgresql

.PHONY: run test lint format venv system-packages bench clean

run: $(STAMP)
	$(BIN)/camvault demo

test: $(STAMP) $(SYSTEM_STAMP) lint
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

bench: $(STAMP)
	$(BIN)/python -m benchmarks

venv: $(STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[test,dev]'
	touch $@

# Installs the Debian packages when a binary is missing and we may install (root, or passwordless sudo).
# Without them the browser and PostgreSQL tests skip and say why; everything else still runs.
$(SYSTEM_STAMP): $(BIN)/python
	@if command -v chromium >/dev/null && ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
		echo "system packages present"; \
	elif command -v apt-get >/dev/null; then \
		SUDO=""; [ "$$(id -u)" = 0 ] || SUDO="sudo -n"; \
		$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(DEBIAN_PACKAGES) \
			|| echo "warning: could not install $(DEBIAN_PACKAGES); browser and PostgreSQL tests will skip"; \
	else \
		echo "warning: no apt-get; browser and PostgreSQL tests will skip"; \
	fi
	touch $@

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache build dist
