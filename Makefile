# Two entry points a fresh machine needs: `make run` and `make test`.
# Each creates the virtual environment when it is missing or out of date.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run demo test lint typecheck bench dist clean-venv

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

lint: $(STAMP) typecheck
	$(VENV)/bin/ruff check src tests
	$(VENV)/bin/ruff format --check src tests
	$(VENV)/bin/lint-imports

# mypy, strict (pyproject.toml [tool.mypy]), on the modules that pass it today; add a
# package here once it is clean. Imports outside the list are read for their types but
# their own errors are not reported here (`mypy` alone reports everything).
TYPECHECKED := -p pressroom.secure -p pressroom.ledger -p pressroom.station -m pressroom.app \
	-m pressroom.engine -m pressroom.engine.events -m pressroom.engine.job \
	-m pressroom.engine.journal -m pressroom.engine.pipeline -m pressroom.engine.recovery \
	-m pressroom.engine.run -m pressroom.engine.sources

typecheck: $(STAMP)
	$(VENV)/bin/mypy --follow-imports=silent $(TYPECHECKED)

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
