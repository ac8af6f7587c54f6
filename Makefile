# btcflows — every target bootstraps .venv itself; on a fresh machine `make demo` and `make test`
# are the only set-up.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
SPARK_STAMP := $(VENV)/.spark-installed-stamp
REAL_DATA ?= ../shared/data/feb2026
REAL_WAREHOUSE ?= warehouse/feb2026.duckdb
DEMO_WAREHOUSE ?= warehouse/btcflows.duckdb
export PYTHONDONTWRITEBYTECODE

.PHONY: install manifest demo demo-real test test-spark java dev serve bench lint docs report clean chromium

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "installing into $(VENV) (first run only) ..."
	@($(BIN)/pip install -q --disable-pip-version-check uv && \
	  $(BIN)/uv pip install -q --python $(PY) --compile-bytecode -e '.[dev]') || \
	  $(BIN)/pip install -q --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

manifest: install
	@$(PY) -c "from pipelines.dbt_project import prepare_if_stale; prepare_if_stale()"

## simulate, replay, materialize everything, print the crash window (SIMULATED data)
demo: manifest
	$(BIN)/btcflows demo

## import the real February 2026 data (when ../shared/data/feb2026 is present) into its own warehouse;
## its report draws the real dealer-gamma profile beside the simulated demo's (when `make demo` has run)
demo-real: manifest
	@test -d $(REAL_DATA) || { echo "no real data at $(REAL_DATA): nothing to import"; exit 1; }
	BTCFLOWS_WAREHOUSE=$(REAL_WAREHOUSE) BTCFLOWS_ARCHIVE=warehouse/feb2026-archive $(BIN)/btcflows import $(REAL_DATA)
	BTCFLOWS_WAREHOUSE=$(REAL_WAREHOUSE) $(BIN)/btcflows query \
	  "select trade_date, data_mode, btc_usd_4pm, btc_usd_4pm_age_minutes, ibit_close, ibit_return, ibit_dollar_volume, ibit_flow_usd, total_etf_flow_usd, cme_front_basis_annualized, dvol from fct_daily_snapshot_4pm_et where trade_date between '2026-01-28' and '2026-02-10' order by 1"
	BTCFLOWS_WAREHOUSE=$(REAL_WAREHOUSE) $(BIN)/btcflows query \
	  "select snapshot_utc, venues, data_mode, option_lines_priced, reference_price_btc_usd, zero_gamma_level_usd, neg_gamma_band_low_strike, neg_gamma_band_high_strike, total_gex_usd_per_1pct from fct_dealer_gamma_summary order by 1"
	BTCFLOWS_WAREHOUSE=$(REAL_WAREHOUSE) $(BIN)/btcflows report --around 2026-02-05 \
	  $(if $(wildcard $(DEMO_WAREHOUSE)),--beside $(DEMO_WAREHOUSE))

## install and run the test suite (the browser test needs chromium: installed when absent)
test: manifest chromium
	$(PY) -m pytest -q -n 2 --dist loadfile --durations=15

## the same dbt project on Spark (local mode) from the raw lake, every mart compared with DuckDB's build
## (installs a JRE from Debian's packages when `java` is missing, and pyspark + dbt-spark into .venv)
test-spark: manifest java $(SPARK_STAMP)
	BTCFLOWS_SPARK_TESTS=1 $(PY) -m pytest -q -s tests/spark --durations=5

$(SPARK_STAMP): pyproject.toml $(STAMP)
	@echo "installing pyspark and dbt-spark into $(VENV) ..."
	@$(BIN)/uv pip install -q --python $(PY) --compile-bytecode -e '.[dev,spark]' || \
	  $(BIN)/pip install -q --disable-pip-version-check -e '.[dev,spark]'
	@touch $(SPARK_STAMP)

java:
	@command -v java >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless)
	@command -v java >/dev/null 2>&1 || { echo "no java on PATH and openjdk-17-jre-headless could not be installed"; exit 1; }

## the Dagster UI on 127.0.0.1:3000 (webserver, daemon, code server) on the warehouse's instance
## (the one `btcflows` runs record into: DAGSTER_HOME, else <warehouse dir>/dagster_home)
dev: manifest
	DAGSTER_HOME=$$($(BIN)/btcflows instance) $(BIN)/dagster dev -h 127.0.0.1 -p 3000

## the deployment: webserver and daemon on the warehouse's instance, logs in <instance>/serve-logs/;
## Ctrl-C (or SIGTERM) stops both. README: "Running as a service".
SERVE_HOST ?= 127.0.0.1
SERVE_PORT ?= 3000
serve: manifest
	@export DAGSTER_HOME="$$($(BIN)/btcflows instance)" && logs="$$DAGSTER_HOME/serve-logs" && mkdir -p "$$logs" && \
	echo "Dagster instance $$DAGSTER_HOME; UI on http://$(SERVE_HOST):$(SERVE_PORT); logs in $$logs/" && \
	{ $(BIN)/dagster-daemon run >> "$$logs/daemon.log" 2>&1 & daemon=$$!; \
	  $(BIN)/dagster-webserver -h $(SERVE_HOST) -p $(SERVE_PORT) >> "$$logs/webserver.log" 2>&1 & webserver=$$!; \
	  trap 'kill $$daemon $$webserver 2>/dev/null' INT TERM; \
	  while kill -0 $$daemon 2>/dev/null && kill -0 $$webserver 2>/dev/null; do sleep 2; done; \
	  kill $$daemon $$webserver 2>/dev/null; wait; echo "stopped (see $$logs/)"; }

## headless Chromium for the report's browser test (Debian's package), only when it is missing
chromium:
	@test -x /usr/bin/chromium || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) || \
	  echo "could not install chromium: the browser test will be skipped"

## dbt docs of the warehouse in BTCFLOWS_WAREHOUSE (default warehouse/btcflows.duckdb) on http://127.0.0.1:8080
DOCS_WAREHOUSE = $(abspath $(or $(BTCFLOWS_WAREHOUSE),warehouse/btcflows.duckdb))
docs: manifest
	@test -f $(DOCS_WAREHOUSE) || { echo "no warehouse at $(DOCS_WAREHOUSE): run make demo first"; exit 1; }
	cd dbt_project && BTCFLOWS_WAREHOUSE=$(DOCS_WAREHOUSE) $(CURDIR)/$(BIN)/dbt docs generate --profiles-dir . --target-path target/docs
	cd dbt_project && BTCFLOWS_WAREHOUSE=$(DOCS_WAREHOUSE) $(CURDIR)/$(BIN)/dbt docs serve --profiles-dir . --target-path target/docs --host 127.0.0.1 --port 8080 --no-browser

bench: manifest
	$(PY) benchmarks/run.py

lint: install
	$(BIN)/ruff check pipelines tests benchmarks

clean:
	rm -rf warehouse/*.duckdb warehouse/*.wal warehouse/*.dbt warehouse/archive warehouse/reports dbt_project/target
