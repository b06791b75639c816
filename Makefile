# The two commands a new user needs: `make demo` and `make test` (see README.md).
VENV ?= .venv
PYTHON ?= python3
BIN = $(VENV)/bin
# ports of `make demo` (web server, Amazon and eBay simulators, local SQS for order notifications):
# make demo PORT=8001 SIM_PORT=8766 EBAY_SIM_PORT=8770 SQS_PORT=8771 SHOPIFY_SIM_PORT=8772 when taken
PORT ?= 8000
SIM_PORT ?= 8765
EBAY_SIM_PORT ?= 8767
SQS_PORT ?= 8769
# the demo shop's Shopify simulator (read by `stockroom demo` from the environment)
SHOPIFY_SIM_PORT ?= 8768
export SHOPIFY_SIM_PORT

.PHONY: demo test lint bench install clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit("Stockroom needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/.installed

demo: $(BIN)/.installed
	$(BIN)/stockroom demo --port $(PORT) --sim-port $(SIM_PORT) --ebay-sim-port $(EBAY_SIM_PORT) --sqs-port $(SQS_PORT)

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/lint-imports

test: lint
	VENV=$(VENV) bash scripts/run-tests

bench: $(BIN)/.installed
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var/test
