#!/usr/bin/env bash
# Renders docker/nginx.conf.in, the one nginx configuration of this repository.
#
#   scripts/nginx-conf.sh compose                 # -> docker/nginx.conf (compose, nginx >= 1.27.3)
#   scripts/nginx-conf.sh static DIR PORT A:P...  # -> stdout: Debian's nginx 1.22, for make cluster
#   scripts/nginx-conf.sh check                   # fails when docker/nginx.conf is stale
#
# compose: Docker's DNS and `server api:5000 resolve`, so `--scale api=N` needs no
# reload. static: nginx before 1.27.3 has no "resolve" in open source, so the
# instances are listed by address (DIR holds the pid file, logs and temp files).
set -euo pipefail
cd "$(dirname "$0")/.."
TEMPLATE=docker/nginx.conf.in

render() { # error_log pid mime access_log listen temp_paths resolver servers
    local out
    out=$(<"$TEMPLATE")
    out=${out//@ERROR_LOG@/$1}
    out=${out//@PID_FILE@/$2}
    out=${out//@MIME_TYPES@/$3}
    out=${out//@ACCESS_LOG@/$4}
    out=${out//@LISTEN@/$5}
    out=${out//@TEMP_PATHS@/$6}
    out=${out//@RESOLVER@/$7}
    out=${out//@UPSTREAM_SERVERS@/$8}
    printf '%s\n' "$out"
}

compose() {
    local resolver
    resolver=$'\n    # Docker\'s embedded DNS. With "resolve" below, nginx re-reads the addresses of\n    # "api" every 10s, so `docker compose up --scale api=N` takes effect without a\n    # restart (open-source nginx >= 1.27.3).\n    resolver 127.0.0.11 valid=10s ipv6=off;\n'
    render /var/log/nginx/error.log /var/run/nginx.pid /etc/nginx/mime.types \
        /var/log/nginx/access.log 80 "" "$resolver" \
        "        server api:5000 resolve max_fails=3 fail_timeout=10s;"
}

static() { # dir listen_port addr:port...
    local dir=$1 port=$2 servers="" temp
    shift 2
    for a in "$@"; do
        # One failure takes an instance out for 5 s; passive checks are all that
        # open-source nginx has, and proxy_next_upstream retries the request meanwhile.
        servers+="        server $a max_fails=1 fail_timeout=5s;"$'\n'
    done
    temp=$'\n    # A private nginx run by `make cluster`: its temp files stay in its directory.\n'
    for t in client_body proxy fastcgi uwsgi scgi; do
        temp+="    ${t}_temp_path $dir/tmp/$t;"$'\n'
    done
    render "$dir/error.log" "$dir/nginx.pid" /etc/nginx/mime.types "$dir/access.log" \
        "127.0.0.1:$port" "$temp" "" "${servers%$'\n'}"
}

case "${1:-}" in
    compose) compose >docker/nginx.conf ;;
    static) shift; static "$@" ;;
    check)
        if ! diff -u docker/nginx.conf <(compose); then
            echo "docker/nginx.conf is stale: run scripts/nginx-conf.sh compose" >&2
            exit 1
        fi ;;
    *) echo "usage: $0 compose | static DIR PORT HOST:PORT... | check" >&2; exit 2 ;;
esac
