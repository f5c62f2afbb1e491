#!/usr/bin/env bash
# `make e2e` (and `make test`): the operator console in a real browser.
#
# Builds echosenseix-api and echosenseix-worker from this tree (debug), creates a private
# database on TEST_DATABASE_URL's server and a private Redis key prefix, migrates, starts
# the API on a free port with an ADMIN_TOKEN, then runs e2e/console.mjs (playwright-core
# driving Debian's Chromium), which starts two worker processes itself. Chromium is
# installed with apt-get and playwright-core with npm when missing (said so). Screenshots
# go to target/e2e/; logs to target/e2e/logs/. Everything it started is stopped, and the
# database and keys are removed, on exit. E2E_LOAD=N adds a run with N webhook deliveries
# in flight and screenshots of the console under that load (console-load*.png).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
say() { echo "e2e: $*"; }
die() {
    echo "e2e: ERROR: $*" >&2
    exit 1
}

CHROMIUM=${E2E_CHROMIUM:-/usr/bin/chromium}
if [[ ! -x $CHROMIUM ]]; then
    command -v apt-get >/dev/null || die "$CHROMIUM is missing and apt-get is not available"
    say "installing Chromium (Debian package chromium, apt-get)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
if [[ ! -d e2e/node_modules/playwright-core ]]; then
    say "installing playwright-core (npm, e2e/package-lock.json; no browser download)"
    (cd e2e && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --silent)
fi

TARGET=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
TARGET=${TARGET:-$ROOT/target}
say "building echosenseix-api and echosenseix-worker (debug)"
cargo build --quiet -p echosenseix-api -p echosenseix-worker

OUT="$TARGET/e2e"
RUN="$OUT/logs"
rm -rf "$RUN" "$OUT"/*.png
mkdir -p "$RUN/uploads" "$RUN/outbox"

ADMIN_DB_URL=${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
NAME="esx_e2e_$(date +%s)_$$"
DB_URL="${ADMIN_DB_URL%/*}/$NAME"
PREFIX="e2e-$NAME"
REDIS=${TEST_REDIS_URL:-redis://127.0.0.1:6379}
API_PID=""
cleanup() {
    local rc=$?
    if [[ -n $API_PID ]] && kill -0 "$API_PID" 2>/dev/null; then
        kill -TERM "$API_PID"
        wait "$API_PID" 2>/dev/null || true
    fi
    psql -q "$ADMIN_DB_URL" -c "DROP DATABASE IF EXISTS \"$NAME\" WITH (FORCE)" >/dev/null 2>&1 || true
    redis-cli -u "$REDIS" --scan --pattern "$PREFIX:*" 2>/dev/null |
        xargs -r -n 500 redis-cli -u "$REDIS" DEL >/dev/null 2>&1 || true
    ((rc == 0)) || say "failed; logs in $RUN"
    exit "$rc"
}
trap cleanup EXIT
psql -q "$ADMIN_DB_URL" -c "CREATE DATABASE \"$NAME\"" >/dev/null

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
PORT=$(free_port)
export DATABASE_URL="$DB_URL" REDIS_URL="$REDIS" REDIS_PREFIX="$PREFIX"
export ENCRYPTION_KEY="$(openssl rand -hex 32 2>/dev/null || python3 -c 'import secrets; print(secrets.token_hex(32))')"
export STORAGE_URL="$RUN/uploads" EMAIL_OUTBOX_DIR="$RUN/outbox" LOG_FORMAT=text RUST_LOG=info
export WORKER_HOST=127.0.0.1 WORKER_HEARTBEAT_SECS=1 WORKER_POLL_INTERVAL_MS=200
# The load run (E2E_LOAD=N) delivers webhooks to a receiver on 127.0.0.1, some failing.
export WEBHOOK_ALLOW_PRIVATE=true WEBHOOK_DISABLE_AFTER=1000000
[[ -z ${E2E_LOAD:-} ]] || export JOB_MAX_ATTEMPTS=webhook-delivery=2
E2E_ADMIN_TOKEN="e2e-operator-$(python3 -c 'import secrets; print(secrets.token_hex(16))')"

"$TARGET/debug/echosenseix-api" migrate >>"$RUN/migrate.log" 2>&1 || die "migrations failed; see $RUN/migrate.log"
HOST=127.0.0.1 PORT=$PORT ADMIN_TOKEN="$E2E_ADMIN_TOKEN" \
    "$TARGET/debug/echosenseix-api" serve >>"$RUN/api.log" 2>&1 &
API_PID=$!
for ((i = 0; i < 120; i++)); do
    curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$PORT/health/ready" 2>/dev/null && break
    kill -0 "$API_PID" 2>/dev/null || die "the API exited; see $RUN/api.log"
    sleep 0.5
done
say "API on http://127.0.0.1:$PORT (database $NAME, prefix $PREFIX)"

E2E_API="http://127.0.0.1:$PORT" E2E_ADMIN_TOKEN="$E2E_ADMIN_TOKEN" E2E_SHOTS="$OUT" \
    E2E_DIR="$RUN" E2E_WORKER_BIN="$TARGET/debug/echosenseix-worker" E2E_CHROMIUM="$CHROMIUM" \
    node e2e/console.mjs
