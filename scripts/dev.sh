#!/usr/bin/env bash
# `make dev`: local development without Docker.
#
# 1. copies .env.example to .env when .env is missing,
# 2. makes sure Postgres and Redis run (scripts/services.sh),
# 3. builds echosenseix-api and echosenseix-worker,
# 4. runs `echosenseix-api migrate`,
# 5. runs the API and one worker in the foreground. Ctrl-C stops both; when
#    either exits, the other is stopped too.
#
# Extra arguments go to the worker, e.g. `scripts/dev.sh --queues email`.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

say() { printf 'dev: %s\n' "$*"; }

if [[ ! -f .env ]]; then
    cp .env.example .env
    say "created .env from .env.example (development values; edit it to taste)"
fi

scripts/services.sh

say "building echosenseix-api and echosenseix-worker"
cargo build -p echosenseix-api -p echosenseix-worker

# Where cargo put the binaries (honours CARGO_TARGET_DIR and .cargo/config).
target_dir=$(cargo metadata --format-version 1 --no-deps 2>/dev/null |
    sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
target_dir=${target_dir:-${CARGO_TARGET_DIR:-$ROOT/target}}
api="$target_dir/debug/echosenseix-api"
worker="$target_dir/debug/echosenseix-worker"

say "applying migrations (echosenseix-api migrate)"
"$api" migrate

api_pid=
worker_pid=
stopping=0

# shellcheck disable=SC2317 # invoked from the traps below
stop_children() {
    local pid pids=() i alive
    if [[ $stopping -eq 1 ]]; then return 0; fi
    stopping=1
    for pid in "$api_pid" "$worker_pid"; do
        if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
            pids+=("$pid")
        fi
    done
    ((${#pids[@]})) || return 0
    say "stopping api and worker (SIGTERM, they drain for up to 15s)"
    kill -TERM "${pids[@]}" 2>/dev/null || true
    for ((i = 0; i < 30; i++)); do
        alive=0
        for pid in "${pids[@]}"; do
            if kill -0 "$pid" 2>/dev/null; then alive=1; fi
        done
        ((alive)) || break
        sleep 0.5
    done
    for pid in "${pids[@]}"; do
        if kill -0 "$pid" 2>/dev/null; then
            say "process $pid did not stop in time: SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
        fi
    done
    wait 2>/dev/null || true
}

trap 'stop_children; exit 130' INT
trap 'stop_children; exit 143' TERM
trap 'stop_children' EXIT

say "starting api (PORT from .env, default 5000) and worker (WORKER_PORT, default 5001); Ctrl-C stops both"
"$api" serve &
api_pid=$!
"$worker" "$@" &
worker_pid=$!

# Whichever exits first brings the other one down.
status=0
wait -n || status=$?
say "a process exited (status $status); stopping the other"
exit "$status"
