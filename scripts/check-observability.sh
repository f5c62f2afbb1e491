#!/usr/bin/env bash
# Checks the alert rules and the Grafana dashboard offline (run by `make test`):
#   - promtool (Debian's `prometheus` package, installed with apt-get when missing)
#     checks deploy/prometheus/alerts.yml and runs its unit tests alerts.test.yml;
#     where apt-get cannot install it, a schema check of the rules stands in (said so);
#   - deploy/prometheus/check_observability.py validates the dashboard against a schema
#     and fails on any metric an alert or a panel names that no crate emits.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { echo "check-observability: $*"; }

if ! command -v promtool >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
    say "installing promtool (Debian package prometheus, apt-get)"
    if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends prometheus; } >/dev/null 2>&1; then
        say "apt-get could not install prometheus"
    fi
fi
if command -v promtool >/dev/null 2>&1; then
    (cd deploy/prometheus && promtool check rules alerts.yml && promtool test rules alerts.test.yml)
else
    say "promtool unavailable: alert rules get the schema check only (no rule unit tests)"
fi

python3 -c 'import yaml, jsonschema' 2>/dev/null || {
    say "installing pyyaml and jsonschema (pip)"
    python3 -m pip install --quiet --disable-pip-version-check pyyaml jsonschema
}
PYTHONDONTWRITEBYTECODE=1 python3 deploy/prometheus/check_observability.py
