#!/usr/bin/env bash
# Make sure the Postgres and Redis that EchoSenseiX needs are reachable.
#
# Used by `make dev`, `make test` and `.ci/run`. Safe to run again and again.
#
# DATABASE_URL and REDIS_URL come from the environment, else from `.env` at the
# repository root, else the defaults below. For each service, in order:
#   1. it already answers                       -> "found"
#   2. a Docker engine answers                  -> docker compose up -d <service>
#   3. the server binaries exist on this host   -> start a local server
#                                                  (data under .dev/, ignored by git)
#   4. root with apt-get                        -> apt-get install, then 3.
#   5. otherwise                                -> fail with a clear message
# Steps 2-4 only apply when the URL points at this machine.
# Finally the database named in DATABASE_URL is created when missing.
#
# Every action prints one line prefixed "services:".

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEV_DIR="$ROOT/.dev"
WAIT_SECONDS="${SERVICES_WAIT_SECONDS:-60}"

DEFAULT_DATABASE_URL="postgres://postgres@127.0.0.1:5432/echosenseix"
DEFAULT_REDIS_URL="redis://127.0.0.1:6379"

say() { printf 'services: %s\n' "$*"; }
die() {
    printf 'services: ERROR: %s\n' "$*" >&2
    exit 1
}
have() { command -v "$1" >/dev/null 2>&1; }

# --------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------

# The value of NAME in .env (last assignment wins), without surrounding quotes.
env_file_value() {
    local name=$1 file="$ROOT/.env" line value
    [[ -f $file ]] || return 1
    line=$(grep -E "^[[:space:]]*(export[[:space:]]+)?${name}[[:space:]]*=" "$file" | tail -n 1) || return 1
    value=${line#*=}
    value=${value#"${value%%[![:space:]]*}"}
    value=${value%"${value##*[![:space:]]}"}
    if [[ $value == \"*\" || $value == \'*\' ]]; then
        value=${value:1:${#value}-2}
    fi
    [[ -n $value ]] || return 1
    printf '%s' "$value"
}

setting() { # NAME DEFAULT
    local name=$1 default=$2 value
    if [[ -n ${!name:-} ]]; then
        printf '%s' "${!name}"
    elif value=$(env_file_value "$name"); then
        printf '%s' "$value"
    else
        printf '%s' "$default"
    fi
}

urldecode() {
    local s=${1//+/ }
    printf '%b' "${s//%/\\x}"
}

# Splits URL into URL_SCHEME URL_AUTH URL_HOST URL_PORT URL_PATH URL_QUERY.
parse_url() { # URL DEFAULT_PORT
    local url=$1 default_port=$2 hostport
    local re='^([a-zA-Z][a-zA-Z0-9+.-]*)://(([^@/?#]*)@)?([^/?#]*)(/([^?#]*))?(\?[^#]*)?(#.*)?$'
    [[ $url =~ $re ]] || die "cannot parse URL '${url%%@*}...'"
    URL_SCHEME=${BASH_REMATCH[1]}
    URL_AUTH=${BASH_REMATCH[3]}
    hostport=${BASH_REMATCH[4]}
    URL_PATH=${BASH_REMATCH[6]}
    URL_QUERY=${BASH_REMATCH[7]}
    if [[ $hostport =~ ^\[([^]]*)\](:([0-9]+))?$ ]]; then
        URL_HOST=${BASH_REMATCH[1]}
        URL_PORT=${BASH_REMATCH[3]}
    elif [[ $hostport == *:* ]]; then
        URL_HOST=${hostport%:*}
        URL_PORT=${hostport##*:}
    else
        URL_HOST=$hostport
        URL_PORT=
    fi
    URL_HOST=${URL_HOST:-127.0.0.1}
    URL_PORT=${URL_PORT:-$default_port}
    [[ $URL_PORT =~ ^[0-9]+$ ]] || die "bad port '$URL_PORT' in URL"
}

is_local_host() {
    case $1 in
    localhost | 127.* | ::1 | 0.0.0.0) return 0 ;;
    *) return 1 ;;
    esac
}

# The URL as written, for messages: the password is replaced by ***.
redact() {
    local url=$1
    if [[ $url =~ ^([^:/]+://[^:@/]*):[^@/]*@(.*)$ ]]; then
        printf '%s:***@%s' "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}"
    else
        printf '%s' "$url"
    fi
}

DATABASE_URL=$(setting DATABASE_URL "$DEFAULT_DATABASE_URL")
REDIS_URL=$(setting REDIS_URL "$DEFAULT_REDIS_URL")

parse_url "$DATABASE_URL" 5432
case $URL_SCHEME in postgres | postgresql) ;; *) die "DATABASE_URL must start with postgres:// (got $URL_SCHEME://)" ;; esac
PG_HOST=$URL_HOST
PG_PORT=$URL_PORT
PG_DB=$(urldecode "$URL_PATH")
PG_USER=postgres
if [[ -n $URL_AUTH ]]; then
    PG_USER=$(urldecode "${URL_AUTH%%:*}")
fi
PG_AUTH_PART=${URL_AUTH:+$URL_AUTH@}
PG_HOSTPART=$PG_HOST
if [[ $PG_HOSTPART == *:* ]]; then
    PG_HOSTPART="[$PG_HOSTPART]"
fi
# The same server, database "postgres": used to probe and to create the database.
PG_MAINT_URL="$URL_SCHEME://$PG_AUTH_PART$PG_HOSTPART:$PG_PORT/postgres$URL_QUERY"

parse_url "$REDIS_URL" 6379
case $URL_SCHEME in redis | rediss) ;; *) die "REDIS_URL must start with redis:// or rediss:// (got $URL_SCHEME://)" ;; esac
REDIS_HOST=$URL_HOST
REDIS_PORT=$URL_PORT
REDIS_PASSWORD=
if [[ $URL_AUTH == *:* ]]; then
    REDIS_PASSWORD=$(urldecode "${URL_AUTH#*:}")
fi

# --------------------------------------------------------------------------
# Probes
# --------------------------------------------------------------------------

tcp_open() { # HOST PORT
    (exec 3<>"/dev/tcp/$1/$2") >/dev/null 2>&1
}

pg_up() {
    if have pg_isready; then
        pg_isready -q -t 2 -d "$PG_MAINT_URL" >/dev/null 2>&1
    else
        tcp_open "$PG_HOST" "$PG_PORT"
    fi
}

redis_up() {
    local reply
    if have redis-cli; then
        reply=$(timeout 5 redis-cli -u "$REDIS_URL" --no-auth-warning ping 2>/dev/null) || return 1
        [[ $reply == PONG ]]
    else
        # Without redis-cli: speak RESP over bash's /dev/tcp.
        reply=$(
            exec 3<>"/dev/tcp/$REDIS_HOST/$REDIS_PORT" || exit 1
            if [[ -n $REDIS_PASSWORD ]]; then
                printf 'AUTH %s\r\n' "$REDIS_PASSWORD" >&3
                read -r -t 2 _ <&3 || exit 1
            fi
            printf 'PING\r\n' >&3
            read -r -t 2 line <&3 || exit 1
            printf '%s' "${line%$'\r'}"
        ) 2>/dev/null || return 1
        [[ $reply == +PONG ]]
    fi
}

wait_for() { # NAME PROBE
    local name=$1 probe=$2 i
    for ((i = 0; i < WAIT_SECONDS * 2; i++)); do
        if "$probe"; then
            return 0
        fi
        sleep 0.5
    done
    say "$name did not answer within ${WAIT_SECONDS}s"
    return 1
}

# --------------------------------------------------------------------------
# Docker
# --------------------------------------------------------------------------

COMPOSE=()
docker_engine() {
    have docker || return 1
    timeout 10 docker info >/dev/null 2>&1 || return 1
    if docker compose version >/dev/null 2>&1; then
        COMPOSE=(docker compose)
    elif have docker-compose; then
        COMPOSE=(docker-compose)
    else
        return 1
    fi
}

compose_up() { # SERVICE...
    say "starting $* with ${COMPOSE[*]} (Docker engine found)"
    (
        cd "$ROOT"
        POSTGRES_HOST_PORT=$PG_PORT REDIS_HOST_PORT=$REDIS_PORT \
            "${COMPOSE[@]}" up -d "$@"
    )
}

# --------------------------------------------------------------------------
# Local servers
# --------------------------------------------------------------------------

# Commands for the unprivileged postgres account when we are root
# (Postgres refuses to run as root).
as_pg_owner() {
    if [[ $EUID -eq 0 ]]; then
        id postgres >/dev/null 2>&1 || die "running as root and there is no 'postgres' user to own a local Postgres"
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

# Debian's cluster tools: start the cluster configured on our port, if any.
start_debian_cluster() {
    have pg_lsclusters && have pg_ctlcluster || return 1
    local version name port _rest
    while read -r version name port _rest; do
        [[ $port == "$PG_PORT" ]] || continue
        say "starting Debian cluster $version/$name on port $port (pg_ctlcluster)"
        if pg_ctlcluster --skip-systemctl-redirect "$version" "$name" start >/dev/null 2>&1 ||
            pg_up; then
            wait_for Postgres pg_up && return 0
        fi
        say "Debian cluster $version/$name did not start"
        return 1
    done < <(pg_lsclusters -h 2>/dev/null)
    return 1
}

# The directory holding initdb and pg_ctl: from PATH, else the newest (or the
# one matching an existing .dev/postgres data directory) under /usr/lib/postgresql.
pg_bindir() {
    local want="" dir
    if [[ -f $DEV_DIR/postgres/PG_VERSION ]]; then
        want=$(<"$DEV_DIR/postgres/PG_VERSION")
        if [[ -x /usr/lib/postgresql/$want/bin/initdb ]]; then
            printf '%s' "/usr/lib/postgresql/$want/bin"
            return 0
        fi
    fi
    if have initdb && have pg_ctl; then
        dir=$(dirname "$(readlink -f "$(command -v initdb)")")
        printf '%s' "$dir"
        return 0
    fi
    dir=$(find /usr/lib/postgresql -mindepth 3 -maxdepth 3 -path '*/bin/initdb' 2>/dev/null |
        sort -V | tail -n 1)
    [[ -n $dir ]] || return 1
    printf '%s' "$(dirname "$dir")"
}

start_dev_postgres() {
    local bindir data="$DEV_DIR/postgres" listen=$PG_HOST
    bindir=$(pg_bindir) || return 1
    if [[ $listen == 0.0.0.0 ]]; then
        listen=127.0.0.1
    fi
    mkdir -p "$DEV_DIR"
    if [[ ! -f $data/PG_VERSION ]]; then
        say "initialising a local Postgres in .dev/postgres (trust auth, superuser $PG_USER)"
        mkdir -p "$data"
        if [[ $EUID -eq 0 ]]; then
            chown postgres: "$data"
        fi
        chmod 700 "$data"
        as_pg_owner "$bindir/initdb" -D "$data" -U "$PG_USER" --auth=trust -E UTF8 \
            --locale=C.UTF-8 >"$DEV_DIR/postgres-initdb.log" 2>&1 ||
            as_pg_owner "$bindir/initdb" -D "$data" -U "$PG_USER" --auth=trust -E UTF8 \
                --no-locale >"$DEV_DIR/postgres-initdb.log" 2>&1 ||
            die "initdb failed, see .dev/postgres-initdb.log"
        {
            printf '\n# Added by scripts/services.sh for local development.\n'
            printf "unix_socket_directories = ''\n"
            printf 'max_connections = 300\n'
            printf 'synchronous_commit = off\n'
            if [[ -f $bindir/../lib/pg_stat_statements.so ]]; then
                printf "shared_preload_libraries = 'pg_stat_statements'\n"
            fi
        } >>"$data/postgresql.conf"
    fi
    say "starting local Postgres from .dev/postgres on $listen:$PG_PORT ($bindir/pg_ctl)"
    : >>"$DEV_DIR/postgres.log"
    if [[ $EUID -eq 0 ]]; then
        chown postgres: "$DEV_DIR/postgres.log"
    fi
    as_pg_owner "$bindir/pg_ctl" -D "$data" -l "$DEV_DIR/postgres.log" -w -t "$WAIT_SECONDS" \
        -o "-p $PG_PORT -c listen_addresses=$listen" start >/dev/null ||
        die "pg_ctl could not start Postgres, see .dev/postgres.log"
    wait_for Postgres pg_up
}

start_local_postgres() {
    start_debian_cluster && return 0
    start_dev_postgres
}

have_postgres_server() {
    { have pg_lsclusters && have pg_ctlcluster && [[ -n $(pg_lsclusters -h 2>/dev/null) ]]; } ||
        pg_bindir >/dev/null 2>&1
}

start_local_redis() {
    have redis-server || return 1
    local bind=(127.0.0.1 -::1)
    if [[ $REDIS_HOST == ::1 ]]; then
        bind=(::1)
    fi
    mkdir -p "$DEV_DIR/redis"
    say "starting local Redis in .dev/redis on port $REDIS_PORT (redis-server --daemonize yes)"
    local args=(--daemonize yes --bind "${bind[@]}" --port "$REDIS_PORT"
        --dir "$DEV_DIR/redis" --save "" --appendonly no
        --pidfile "$DEV_DIR/redis/redis.pid" --logfile "$DEV_DIR/redis/redis.log")
    if [[ -n $REDIS_PASSWORD ]]; then
        args+=(--requirepass "$REDIS_PASSWORD")
    fi
    redis-server "${args[@]}" >/dev/null || die "redis-server failed to start, see .dev/redis/redis.log"
    wait_for Redis redis_up
}

APT_UPDATED=0
apt_install() { # PACKAGE...
    [[ $EUID -eq 0 ]] && have apt-get || return 1
    say "installing $* with apt-get (no server found on this machine)"
    if [[ $APT_UPDATED -eq 0 ]]; then
        DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null || die "apt-get update failed"
        APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >/dev/null ||
        die "apt-get install $* failed"
}

# A Debian cluster created by apt-get only trusts local peers: open it to
# password-less TCP from localhost when the URL carries no password
# (development machines only; this cluster was installed a moment ago).
open_fresh_cluster() {
    have pg_lsclusters || return 0
    local version name port _rest hba
    while read -r version name port _rest; do
        [[ $port == "$PG_PORT" ]] || continue
        hba="/etc/postgresql/$version/$name/pg_hba.conf"
        [[ -f $hba ]] || continue
        if [[ $URL_AUTH != *:* ]] && ! grep -q 'scripts/services.sh' "$hba"; then
            say "allowing trust auth from localhost in $hba (freshly installed development cluster)"
            {
                printf '# Added by scripts/services.sh (development): trust TCP from localhost.\n'
                printf 'host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\n'
                cat "$hba"
            } >"$hba.new"
            chown --reference="$hba" "$hba.new"
            chmod --reference="$hba" "$hba.new"
            mv "$hba.new" "$hba"
            pg_ctlcluster --skip-systemctl-redirect "$version" "$name" reload >/dev/null 2>&1 || true
        fi
    done < <(pg_lsclusters -h 2>/dev/null)
}

# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------

need_pg=0
need_redis=0
if pg_up; then
    say "found Postgres at $PG_HOST:$PG_PORT"
else
    need_pg=1
fi
if redis_up; then
    say "found Redis at $REDIS_HOST:$REDIS_PORT"
else
    need_redis=1
fi

if [[ $need_pg -eq 1 ]] && ! is_local_host "$PG_HOST"; then
    die "Postgres at $(redact "$DATABASE_URL") does not answer, and it is not on this machine: start it or fix DATABASE_URL"
fi
if [[ $need_redis -eq 1 ]] && ! is_local_host "$REDIS_HOST"; then
    die "Redis at $(redact "$REDIS_URL") does not answer, and it is not on this machine: start it or fix REDIS_URL"
fi

if ((need_pg + need_redis > 0)) && docker_engine; then
    wanted=()
    if [[ $need_pg -eq 1 ]]; then wanted+=(postgres); fi
    if [[ $need_redis -eq 1 ]]; then wanted+=(redis); fi
    compose_up "${wanted[@]}"
    if [[ $need_pg -eq 1 ]]; then
        wait_for Postgres pg_up || die "the postgres container did not become ready"
        say "Postgres is up in Docker on port $PG_PORT"
        need_pg=0
    fi
    if [[ $need_redis -eq 1 ]]; then
        wait_for Redis redis_up || die "the redis container did not become ready"
        say "Redis is up in Docker on port $REDIS_PORT"
        need_redis=0
    fi
fi

if [[ $need_pg -eq 1 ]]; then
    if ! have_postgres_server; then
        apt_install postgresql postgresql-contrib ||
            die "Postgres is not running at $PG_HOST:$PG_PORT, there is no Docker engine, no local Postgres server, and no way to install one (need root and apt-get). Install PostgreSQL 15+ or start one at $(redact "$DATABASE_URL")."
        open_fresh_cluster
    fi
    start_local_postgres || die "could not start a local Postgres on port $PG_PORT"
    say "Postgres is up at $PG_HOST:$PG_PORT"
fi

if [[ $need_redis -eq 1 ]]; then
    if ! have redis-server; then
        apt_install redis-server ||
            die "Redis is not running at $REDIS_HOST:$REDIS_PORT, there is no Docker engine, no local redis-server, and no way to install one (need root and apt-get). Install Redis 7+ or start one at $(redact "$REDIS_URL")."
    fi
    start_local_redis || die "could not start a local Redis on port $REDIS_PORT"
    say "Redis is up at $REDIS_HOST:$REDIS_PORT"
fi

# --------------------------------------------------------------------------
# Database
# --------------------------------------------------------------------------

if [[ -z $PG_DB ]]; then
    say "DATABASE_URL names no database; nothing to create"
    exit 0
fi
have psql || die "psql is needed to check for database '$PG_DB' (install postgresql-client)"

exists=$(psql "$PG_MAINT_URL" -XqAt -v ON_ERROR_STOP=1 -v db="$PG_DB" 2>&1 <<'SQL'
SELECT count(*) FROM pg_database WHERE datname = :'db';
SQL
) || die "cannot connect to Postgres as $PG_USER: $exists"

if [[ $exists == 1 ]]; then
    say "database $PG_DB exists"
else
    out=$(psql "$PG_MAINT_URL" -XqAt -v ON_ERROR_STOP=1 -v db="$PG_DB" 2>&1 <<'SQL'
SELECT format('CREATE DATABASE %I', :'db')
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db') \gexec
SQL
    ) || die "could not create database $PG_DB: $out"
    say "created database $PG_DB"
fi
