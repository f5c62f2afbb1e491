#!/usr/bin/env python3
"""Offline checks of deploy/prometheus/alerts.yml and deploy/grafana/*.json.

- the Grafana dashboard against a schema of what Grafana needs to import it (uid, title,
  unique panel ids, grid positions inside 24 columns, a PromQL target per panel);
- the alert rules' shape when promtool is not installed (promtool check rules is stricter);
- every metric named in an alert or a panel is one the code emits (a renamed metric would
  otherwise leave a silent alert or an empty graph).
"""
import json
import pathlib
import re
import sys

import jsonschema
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]

DASHBOARD_SCHEMA = {
    "type": "object",
    "required": ["uid", "title", "panels", "schemaVersion", "templating"],
    "properties": {
        "uid": {"type": "string", "pattern": "^[a-zA-Z0-9_-]{1,40}$"},
        "title": {"type": "string", "minLength": 1},
        "schemaVersion": {"type": "integer", "minimum": 30},
        "panels": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["id", "type", "title", "gridPos", "targets", "datasource"],
                "properties": {
                    "id": {"type": "integer"},
                    "type": {"enum": ["timeseries", "stat", "gauge", "table", "bargauge"]},
                    "gridPos": {
                        "type": "object",
                        "required": ["x", "y", "w", "h"],
                        "properties": {
                            "x": {"type": "integer", "minimum": 0, "maximum": 23},
                            "w": {"type": "integer", "minimum": 1, "maximum": 24},
                        },
                    },
                    "targets": {
                        "type": "array",
                        "minItems": 1,
                        "items": {"type": "object", "required": ["refId", "expr"]},
                    },
                },
            },
        },
    },
}

RULES_SCHEMA = {
    "type": "object",
    "required": ["groups"],
    "properties": {
        "groups": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name", "rules"],
                "properties": {
                    "rules": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["alert", "expr", "labels", "annotations"],
                            "properties": {
                                "alert": {"type": "string", "pattern": "^[A-Z][A-Za-z0-9]+$"},
                                "for": {"type": "string", "pattern": "^[0-9]+[smh]$"},
                                "labels": {
                                    "type": "object",
                                    "required": ["severity"],
                                    "properties": {"severity": {"enum": ["warning", "critical"]}},
                                },
                                "annotations": {"type": "object", "required": ["summary", "description"]},
                            },
                        },
                    }
                },
            },
        }
    },
}

PROMQL_WORDS = {
    "sum", "max", "min", "avg", "count", "rate", "increase", "delta", "deriv", "irate",
    "histogram_quantile", "absent", "by", "on", "and", "or", "unless", "without", "ignoring",
    "max_over_time", "min_over_time", "avg_over_time", "absent_over_time", "le", "bool",
    "offset", "topk", "bottomk", "group_left", "group_right", "vector", "scalar", "inf",
}
# Series Prometheus makes itself, not the code.
PROMETHEUS_OWN = {"up"}


def metrics_in(expr):
    expr = re.sub(r'"[^"]*"', "", expr)
    expr = re.sub(r"\{[^}]*\}", "", expr)
    expr = re.sub(r"\[[^\]]*\]", "", expr)
    expr = re.sub(r"\b(by|on|without|ignoring)\s*\([^)]*\)", "", expr)
    names = set()
    for m in re.finditer(r"\b([a-zA-Z_:][a-zA-Z0-9_:]*)\b(\s*\()?", expr):
        name, call = m.group(1), m.group(2)
        if call or name in PROMQL_WORDS or re.fullmatch(r"[0-9a-z]+[smhd]?", name) and "_" not in name:
            continue
        names.add(name)
    return names


def emitted_metrics():
    literal, templates = set(), []
    pattern = re.compile(r'(?:counter|gauge|histogram)!\(\s*(?:format!\(\s*)?"([a-z0-9_{}]+)"')
    for path in (ROOT / "crates").rglob("*.rs"):
        for name in pattern.findall(path.read_text(encoding="utf-8")):
            if "{" in name:
                templates.append(re.compile(re.sub(r"\{[^}]*\}", "[a-z_]+", name) + "$"))
            else:
                literal.add(name)
    return literal, templates


def known(name, literal, templates):
    base = re.sub(r"_(bucket|sum|count)$", "", name)
    return (
        name in PROMETHEUS_OWN
        or name in literal
        or base in literal
        or any(t.match(name) or t.match(base) for t in templates)
    )


def main():
    errors = []
    literal, templates = emitted_metrics()
    rules_path = ROOT / "deploy/prometheus/alerts.yml"
    rules = yaml.safe_load(rules_path.read_text(encoding="utf-8"))
    jsonschema.validate(rules, RULES_SCHEMA)
    exprs = [(f"alert {r['alert']}", r["expr"]) for g in rules["groups"] for r in g["rules"]]
    for path in sorted((ROOT / "deploy/grafana").glob("*.json")):
        dash = json.loads(path.read_text(encoding="utf-8"))
        jsonschema.validate(dash, DASHBOARD_SCHEMA)
        ids = [p["id"] for p in dash["panels"]]
        if len(ids) != len(set(ids)):
            errors.append(f"{path.name}: panel ids repeat")
        for p in dash["panels"]:
            g = p["gridPos"]
            if g["x"] + g["w"] > 24:
                errors.append(f"{path.name}: panel {p['title']} overflows the 24 columns")
            exprs += [(f"{path.name} panel {p['title']!r}", t["expr"]) for t in p["targets"]]
    for where, expr in exprs:
        for name in sorted(metrics_in(expr)):
            if not known(name, literal, templates):
                errors.append(f"{where}: metric {name} is not emitted by any crate")
    for e in errors:
        print(f"FAIL {e}", file=sys.stderr)
    if errors:
        return 1
    print(f"ok: {len(exprs)} PromQL expressions name only emitted metrics; dashboard and rules well-formed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
