# Cascade: two commands for users (make run, make test); the rest for developers.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: run test bench lint typecheck package package-smoke soak clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/python main.py $(ARGS)

lint: $(STAMP)
	$(BIN)/lint-imports

# Types of analytics/, market/ and cascade_vocab/ (config in pyproject.toml [tool.mypy]).
typecheck: $(STAMP)
	$(BIN)/python -m mypy

# pytest exits 5 when it collected nothing: that is a failure here, not a pass.
# The real-keyring tests run first, in their own D-Bus session; the whole suite's summary comes last.
test: $(STAMP) lint typecheck
	sh tests/integration/run_real_keyring.sh $(BIN)/python
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q -p no:cacheprovider; rc=$$?; \
	  if [ $$rc -eq 5 ]; then echo "no tests were collected" >&2; exit 1; fi; exit $$rc

bench: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m benchmarks $(ARGS)

# A one-folder desktop bundle in dist/cascade/ (PyInstaller), and its smoke test (frozen app, offscreen screenshot).
package:
	bash packaging/build.sh

package-smoke: package
	bash packaging/smoke.sh

# The real window against the fake exchange under random faults (default 10 min; ARGS="--seconds 180").
soak: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m tests.reliability.soak $(ARGS)

clean:
	rm -rf $(VENV) .bench build dist .pytest_cache .hypothesis
