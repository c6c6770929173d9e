# Two commands for a newcomer: `make demo` and `make test`. Everything else is a helper target.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip

.PHONY: demo test test-deps test-webhook-delivery install-demo install-test translations translations-update package site bench reliability fuzz mutation clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.demo-installed: pyproject.toml | $(BIN)/python
	$(PIP) install --quiet -e '.[demo]'
	touch $@

$(VENV)/.test-installed: pyproject.toml | $(BIN)/python
	$(PIP) install --quiet -e '.[test]'
	touch $@

install-demo: $(VENV)/.demo-installed
install-test: $(VENV)/.test-installed

# Babel compiles the .po catalogs at build time, from a venv of its own: it never ships in the Lambda zip, and
# stays out of .venv because flask_wtf imports babel whenever it is installed (the answer path would pay for it).
I18N_VENV := .cache/i18n-venv
PYBABEL   := $(I18N_VENV)/bin/pybabel
$(PYBABEL): pyproject.toml
	$(PYTHON) -m venv $(I18N_VENV)
	$(I18N_VENV)/bin/python -m pip install --quiet $$($(PYTHON) -c "import tomllib; \
	  print(*tomllib.load(open('pyproject.toml', 'rb'))['project']['optional-dependencies']['i18n'])")
	touch $@

CATALOGS := survey_app/translations
PO_FILES := $(wildcard $(CATALOGS)/*/LC_MESSAGES/messages.po)
%.mo: %.po | $(PYBABEL)
	$(PYBABEL) compile --statistics -i $< -o $@

## Compile the gettext catalogs (.po -> .mo; only those whose .po changed). The app reads nothing else.
translations: $(PO_FILES:.po=.mo) $(PYBABEL)

## After adding or changing English text: rewrite messages.pot from it and merge it into every other language.
translations-update: $(PYBABEL)
	$(I18N_VENV)/bin/python scripts/po_template.py
	for lang in $(filter-out en,$(PO_FILES:$(CATALOGS)/%/LC_MESSAGES/messages.po=%)); do \
	  $(PYBABEL) update --no-fuzzy-matching --ignore-obsolete -i $(CATALOGS)/messages.pot -d $(CATALOGS) -l $$lang; \
	done

## Serve the app on http://127.0.0.1:5000 on an embedded (moto) DynamoDB, seeded with demo data.
demo: install-demo translations
	$(BIN)/survey-app demo --port 5000

## Install what the tests need (Python packages, Chromium, DynamoDB Local) and run the whole suite.
## TEST_WORKERS=1 runs it in one process (as plain `pytest` does).
TEST_WORKERS ?= 2
test: install-test test-deps translations
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup

test-deps:
	bash scripts/test-deps.sh

## The deployed jobs function signing and sending a webhook to a receiver on a public address: in a network namespace
## whose loopback holds 8.8.8.8 (seen by nothing outside it), as the machine has no public address (needs root);
## the zip is built first, outside it (the build may fetch packages).
test-webhook-delivery: install-test test-deps translations package
	unshare -n sh -c 'ip link set lo up && ip addr add 8.8.8.8/32 dev lo && SURVEY_DEPLOYED_REUSE_ZIP=1 $(BIN)/python -m pytest tests/deployed/test_read_api_deployed.py -k signed'

## Build the Lambda zip (dist/survey-app-lambda.zip) with zappa, from a lean runtime-only environment.
package:
	bash scripts/package.sh production

## Build the static site for S3/CloudFront into site/dist, with content-hashed asset names.
site: install-test
	$(BIN)/python scripts/build_site.py

## Benchmarks on DynamoDB Local and moto; rewrites docs/benchmarks.md (not tests: nothing fails on a slow machine).
bench: install-test test-deps translations
	$(BIN)/python bench/run_all.py

## The heavy race and fault-injection runs (minutes); their light versions run in `make test`.
reliability: install-test test-deps translations
	SURVEY_HEAVY=1 $(BIN)/python -m pytest tests/reliability -q -rA

## Fuzzing that explores: new random examples every run, ten times as many (`make test` replays seeded ones).
fuzz: install-test translations
	FUZZ_PROFILE=explore FUZZ_EXAMPLES_SCALE=10 $(BIN)/python -m pytest tests/fuzz -q -k "not dynamodb_local"

## Mutation testing (slow, not in `make test`): share of mutants killed per module, survivors listed.
mutation: install-test translations
	$(PIP) install --quiet -e '.[mutation]'
	$(BIN)/python scripts/mutation.py

clean:
	rm -rf $(VENV) .cache .pytest_cache dist site/dist $(CATALOGS)/*/LC_MESSAGES/*.mo
