# Every target sets itself up: a fresh clone needs only Python 3.11+ and make.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck bench clean

# setup.py builds the file-system walk in C where libtsk's headers are (libtsk-dev); see docs/evidence.md.
$(STAMP): pyproject.toml setup.py evidence_intake/evidence/_tskwalk.c
	@$(PYTHON) -c 'import sys; sys.exit("Python 3.11 or newer is needed (found %s)" % sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python samples/demo.py

LINTED := evidence_intake chain_of_custody tests bench $(wildcard samples)

lint: $(STAMP)
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)
	$(BIN)/mypy

# Reference tools that come from PyPI live in their own environment, so that their dependencies
# (case-utils brings pandas and numpy) never load into the tool under test.
TOOLS := .tools
$(TOOLS)/.installed: Makefile
	$(PYTHON) -m venv $(TOOLS)/case-utils
	$(TOOLS)/case-utils/bin/python -m pip install --quiet 'case-utils>=0.17'
	mkdir -p $(TOOLS)/bin
	ln -sf ../case-utils/bin/case_validate $(TOOLS)/bin/case_validate
	@touch $@

test: lint $(TOOLS)/.installed
	PATH="$(CURDIR)/$(TOOLS)/bin:$$PATH" $(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) $(TOOLS) build *.egg-info demo-case evidence_intake/evidence/_tskwalk.*.so
