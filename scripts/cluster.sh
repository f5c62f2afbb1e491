#!/usr/bin/env bash
# `make cluster`: the guide's multi-instance phase on one machine, without Docker.
#
#   nginx (Debian's package, installed with apt when missing) on CLUSTER_PORT (8080)
#     -> API instance 1 and 2 (CLUSTER_API_PORTS, 5101 5102)
#   worker "documents" (document-processing) and worker "messaging" (email,
#   webhook-delivery and the scheduled queues), on the shared Postgres and Redis.
#
# Subcommands (`scripts/cluster.sh help`):
#   start                build, migrate, start everything, wait until all are ready
#   stop                 SIGTERM everything it started (nginx last), wait for the drains
#   status               one line per process
#   kill-api N           SIGKILL API instance N (what a crash looks like to nginx)
#   start-api N          start API instance N again
#   add-worker NAME QUEUES   one more worker process (e.g. add-worker docs2 document-processing)
#   stop-worker NAME     SIGTERM one worker process
#
# The nginx configuration is rendered from docker/nginx.conf.in, the template of the
# shipped docker/nginx.conf (scripts/nginx-conf.sh static). Settings come from the
# environment, else .env, else development defaults (scripts/services.sh).
# CLUSTER_PROFILE=release builds and runs release binaries (use it for figures);
# CLUSTER_BUILD=0 skips the build and runs the binaries already there.
# Processes, logs and the rendered config live in CLUSTER_DIR (.cluster, git-ignored).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
DIR=$(realpath -m "${CLUSTER_DIR:-$ROOT/.cluster}")
PORT=${CLUSTER_PORT:-8080}
read -r -a API_PORTS <<<"${CLUSTER_API_PORTS:-5101 5102}"
PROFILE=${CLUSTER_PROFILE:-debug}

say() { printf 'cluster: %s\n' "$*"; }
die() {
    printf 'cluster: ERROR: %s\n' "$*" >&2
    exit 1
}

bin_dir() {
    local target
    target=$(cargo metadata --format-version 1 --no-deps 2>/dev/null |
        sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
    echo "${target:-${CARGO_TARGET_DIR:-$ROOT/target}}/$PROFILE"
}

pid_of() { cat "$DIR/$1.pid" 2>/dev/null || true; }
alive() {
    local pid
    pid=$(pid_of "$1")
    [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null
}

# Waits until URL answers 200 (up to 60 s).
wait_ready() {
    local url=$1 name=$2 i
    for ((i = 0; i < 120; i++)); do
        if curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null; then
            return 0
        fi
        alive "$name" || die "$name exited; see $DIR/$name.log"
        sleep 0.5
    done
    die "$name did not become ready at $url; see $DIR/$name.log"
}

# Runs a process in the background with its own log and pid file.
launch() {
    local name=$1
    shift
    alive "$name" && die "$name already runs (pid $(pid_of "$name"))"
    nohup "$@" >>"$DIR/$name.log" 2>&1 &
    echo $! >"$DIR/$name.pid"
}

start_api() {
    local n=$1 port=${API_PORTS[$(($1 - 1))]}
    [[ -n $port ]] || die "no port for API instance $n (CLUSTER_API_PORTS)"
    # nginx overwrites X-Forwarded-For, so the client address can be trusted.
    PORT=$port HOST=127.0.0.1 TRUST_PROXY_HEADERS=true \
        launch "api$n" "$(bin_dir)/echosenseix-api" serve
    wait_ready "http://127.0.0.1:$port/health/ready" "api$n"
    say "api$n ready on 127.0.0.1:$port (pid $(pid_of "api$n"))"
}

start_worker() { # name queues port
    WORKER_QUEUES=$2 WORKER_PORT=$3 WORKER_HOST=127.0.0.1 WORKER_NAME="cluster-$1" \
        launch "worker-$1" "$(bin_dir)/echosenseix-worker"
    wait_ready "http://127.0.0.1:$3/health" "worker-$1"
    say "worker-$1 ready: queues $2, health on 127.0.0.1:$3 (pid $(pid_of "worker-$1"))"
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start_nginx() {
    if ! command -v nginx >/dev/null 2>&1; then
        [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null ||
            die "nginx is missing and cannot be installed here (needs root and apt-get)"
        say "installing nginx (Debian's package)"
        apt-get update -qq
        # The package's own service would take port 80: keep it from starting.
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null
        rm -f /usr/sbin/policy-rc.d
    fi
    local servers=() p
    for p in "${API_PORTS[@]}"; do servers+=("127.0.0.1:$p"); done
    mkdir -p "$DIR/tmp"
    # Workers run as "nobody" when nginx starts as root: they write temp files here.
    chmod 1777 "$DIR/tmp"
    scripts/nginx-conf.sh static "$DIR" "$PORT" "${servers[@]}" >"$DIR/nginx.conf"
    nginx -t -q -c "$DIR/nginx.conf" -e "$DIR/error.log"
    nginx -c "$DIR/nginx.conf" -e "$DIR/error.log"
    wait_ready "http://127.0.0.1:$PORT/nginx-health" nginx
    say "nginx $(nginx -v 2>&1 | sed 's/.*\///') on http://127.0.0.1:$PORT -> ${servers[*]}"
}

start() {
    mkdir -p "$DIR"
    if [[ ! -f .env ]]; then
        cp .env.example .env
        say "created .env from .env.example (development values)"
    fi
    scripts/services.sh
    if [[ ${CLUSTER_BUILD:-1} == 0 ]]; then
        say "using the $PROFILE binaries in $(bin_dir) (CLUSTER_BUILD=0)"
    elif [[ $PROFILE == release ]]; then
        say "building echosenseix-api and echosenseix-worker (release)"
        cargo build --release -p echosenseix-api -p echosenseix-worker
    else
        say "building echosenseix-api and echosenseix-worker (debug)"
        cargo build -p echosenseix-api -p echosenseix-worker
    fi
    "$(bin_dir)/echosenseix-api" migrate >>"$DIR/migrate.log" 2>&1 ||
        die "migrations failed; see $DIR/migrate.log"
    local n
    for ((n = 1; n <= ${#API_PORTS[@]}; n++)); do start_api "$n"; done
    start_worker documents document-processing "$(free_port)"
    start_worker messaging email,webhook-delivery,analytics-aggregation,sweeper "$(free_port)"
    start_nginx
    say "up: curl http://127.0.0.1:$PORT/health ; stop with make cluster-stop"
}

# SIGTERM, then wait up to 40 s (the API drains for SHUTDOWN_DRAIN_SECS + in-flight).
stop_one() {
    local name=$1 pid i
    pid=$(pid_of "$name")
    if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid"
        for ((i = 0; i < 80; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.5
        done
        if kill -0 "$pid" 2>/dev/null; then
            say "$name did not stop in 40 s: SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
        fi
        say "stopped $name"
    fi
    rm -f "$DIR/$name.pid"
}

stop() {
    local f name
    for f in "$DIR"/api*.pid "$DIR"/worker-*.pid; do
        [[ -e $f ]] || continue
        name=$(basename "$f" .pid)
        stop_one "$name" &
    done
    wait
    if [[ -f $DIR/nginx.pid ]]; then
        nginx -c "$DIR/nginx.conf" -e "$DIR/error.log" -s quit 2>/dev/null || true
        rm -f "$DIR/nginx.pid"
        say "stopped nginx"
    fi
}

status() {
    local f name
    for f in "$DIR"/*.pid; do
        [[ -e $f ]] || continue
        name=$(basename "$f" .pid)
        if alive "$name"; then say "$name running (pid $(pid_of "$name"))"; else say "$name dead"; fi
    done
}

case "${1:-help}" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    kill-api)
        pid=$(pid_of "api${2:?N}")
        [[ -n $pid ]] || die "api$2 is not running"
        kill -KILL "$pid"
        rm -f "$DIR/api$2.pid"
        say "api$2 (pid $pid) killed with SIGKILL"
        ;;
    start-api) start_api "${2:?N}" ;;
    add-worker) start_worker "${2:?NAME}" "${3:?QUEUES}" "$(free_port)" ;;
    stop-worker) stop_one "worker-${2:?NAME}" ;;
    *) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//' ;;
esac
