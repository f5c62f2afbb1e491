#!/usr/bin/env bash
# A private Postgres primary with streaming replicas (default 2) on free
# ports, migrated, until Ctrl-C: for trying replica routing by hand. Uses the
# test harness (crates/storage/src/test_support/pg_cluster.rs); needs the
# Debian Postgres binaries (installs postgresql when initdb is missing).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    echo "installing postgresql (for initdb, pg_basebackup)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
exec ${CARGO:-cargo} run -q -p echosenseix-storage --features test-support --example replicas -- "$@"
