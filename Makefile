# Two entry points a fresh machine needs: `make run` and `make test`.
# Each creates the virtual environment when it is missing or out of date.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run demo test lint bench dist clean-venv

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/pressroom

demo: $(STAMP)
	$(VENV)/bin/pressroom demo

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests
	$(VENV)/bin/ruff format --check src tests
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

bench: $(STAMP)
	$(VENV)/bin/pressroom bench --json

clean-venv:
	rm -rf $(VENV)

# Packaging (packaging/INSTALL.md): `make wheel` builds the sdist and wheel and checks
# them with twine; `make dist` builds the PyInstaller bundle dist/pressroom/ and
# smoke-tests it (minutes, ~300 MB: not part of `make test`).
.PHONY: wheel
wheel: $(STAMP)
	$(PY) -m build --outdir dist .
	$(PY) -m twine check --strict dist/*.whl dist/*.tar.gz

dist: $(STAMP)
	PY=$(PY) bash packaging/build-and-smoke.sh
