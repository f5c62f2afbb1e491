#!/usr/bin/env bash
# One API instance SIGKILLed under load, then brought back: the figure of docs/SCALING.md.
#
# With `make cluster` running (CLUSTER_PROFILE=release for figures), runs the cargo
# driver through nginx for DURATION seconds with a progress line every second, kills
# api1 with SIGKILL at KILL_AT seconds and starts it again at BACK_AT seconds. The
# driver's per-second lines (cumulative requests and errors) show the error rate
# over the seconds after the kill. Prints figures; asserts nothing.
#
#   scripts/measure/kill_api.sh            # DURATION=40 KILL_AT=12 BACK_AT=25 USERS=50
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION=${DURATION:-40}
KILL_AT=${KILL_AT:-12}
BACK_AT=${BACK_AT:-25}
USERS=${USERS:-50}
BASE=${BASE:-http://127.0.0.1:${CLUSTER_PORT:-8080}}
target=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
cargo build --release -q -p echosenseix-loadtest

"$target/release/echosenseix-loadtest" --base-url "$BASE" --users "$USERS" \
    --duration "${DURATION}s" --ramp-up 2s --progress 1s --think-time "${THINK:-0ms}" \
    --json "${JSON:-/tmp/kill_api.json}" &
driver=$!
trap 'kill "$driver" 2>/dev/null || true' EXIT
sleep "$KILL_AT"
echo "[kill] $(date +%T.%N | cut -c1-12) SIGKILL api1"
scripts/cluster.sh kill-api 1
sleep $((BACK_AT - KILL_AT))
echo "[back] $(date +%T.%N | cut -c1-12) starting api1"
scripts/cluster.sh start-api 1
wait "$driver" || true
trap - EXIT
