#!/usr/bin/env bash
# Offline check of deploy/kubernetes (run by `make test`, also `make check-deploy`):
#   1. renders the base and every overlay with `kubectl kustomize`,
#   2. validates each against the Kubernetes OpenAPI schemas (kubernetes-validate
#      --strict, installed from PyPI with pip when missing),
#   3. checks that every environment variable set is one the binaries read (from their
#      --help) and that the KEDA objects point at real Deployments and queues,
#   4. checks that docker/nginx.conf is the rendering of docker/nginx.conf.in,
#   5. checks that docs/OPERATIONS.md and .env.example name every setting the binaries read.
# Needs kubectl (with its built-in kustomize; installed with apt when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
K8S=deploy/kubernetes
TARGET=${CARGO_TARGET_DIR:-target}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

say() { echo "check-deploy: $*"; }

if ! command -v kubectl >/dev/null 2>&1; then
    say "installing kubectl (apt kubernetes-client)"
    apt-get update -qq && apt-get install -y -qq kubernetes-client >/dev/null
fi
if ! command -v kubernetes-validate >/dev/null 2>&1; then
    say "installing kubernetes-validate (pip)"
    python3 -m pip install --quiet --disable-pip-version-check kubernetes-validate
fi
python3 -c 'import yaml' 2>/dev/null || python3 -m pip install --quiet pyyaml

# The binaries' own list of settings. `make test` has just built them (with the test
# run's features) and says so with CHECK_DEPLOY_BUILD=0, saving a second build.
if [ "${CHECK_DEPLOY_BUILD:-1}" != 0 ]; then
    cargo build --quiet -p echosenseix-api -p echosenseix-worker
fi
{ "$TARGET/debug/echosenseix-api" serve --help; "$TARGET/debug/echosenseix-api" migrate --help; } >"$OUT/api-help.txt"
"$TARGET/debug/echosenseix-worker" --help >"$OUT/worker-help.txt"

status=0
# docker/nginx.conf must be the rendering of its template (make cluster renders the same one).
scripts/nginx-conf.sh check || status=1
for dir in "$K8S/base" "$K8S"/overlays/*/; do
    dir=${dir%/}
    name=$(echo "$dir" | tr '/' '-')
    kubectl kustomize "$dir" >"$OUT/$name.yaml"
    # KEDA's kinds have no bundled schema (a warning, hidden); check_manifests.py checks them.
    if ! kubernetes-validate --strict --quiet --no-warn "$OUT/$name.yaml"; then
        say "FAIL $dir does not match the Kubernetes schemas"
        status=1
    fi
    python3 "$K8S/check/check_manifests.py" "$OUT/$name.yaml" "$OUT/api-help.txt" \
        "$OUT/worker-help.txt" "$K8S/secrets.example.env" || status=1
done
# Every setting a binary reads is documented (docs/OPERATIONS.md) and in .env.example.
for var in $(cat "$OUT/api-help.txt" "$OUT/worker-help.txt" | grep -o '\[env: [A-Z0-9_]*' | cut -c7- | sort -u); do
    for doc in docs/OPERATIONS.md .env.example; do
        if ! grep -qw "$var" "$doc"; then
            say "FAIL $var (read by the binaries, see their --help) is missing from $doc"
            status=1
        fi
    done
done
[ "$status" = 0 ] && say "ok"
exit "$status"
