#!/usr/bin/env python3
"""Offline checks of the rendered Kubernetes manifests that a schema cannot make.

Usage: check_manifests.py RENDERED.yaml API_HELP.txt WORKER_HELP.txt SECRETS.env

1. Every environment variable the manifests give a container (its `env`, the keys of
   the ConfigMaps it loads with envFrom, and the keys of secrets.example.env for the
   Secret it loads) is one that container's binary reads: the names come from the
   binaries' own `--help` (clap prints `[env: NAME=...]`), never from a copy here.
2. KEDA objects (no schema ships for them) point at what exists: the ScaledObject's
   target Deployment, its TriggerAuthentication, and a Redis ready list of a queue
   that Deployment's WORKER_QUEUES serves.
3. Every Deployment has liveness and readiness probes, requests and limits, and runs
   as non-root without privilege escalation.
"""

import re
import sys

import yaml

# Read by the binaries outside clap, so absent from --help: tracing's EnvFilter
# reads RUST_LOG itself (crates/settings/src/telemetry.rs).
OUTSIDE_CLAP = {"RUST_LOG"}


def env_names(help_text):
    return set(re.findall(r"\[env: ([A-Z0-9_]+)", help_text)) | OUTSIDE_CLAP


def env_file_keys(path):
    keys = set()
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#"):
                keys.add(line.split("=", 1)[0])
    return keys


def main(rendered, api_help, worker_help, secrets_env):
    with open(rendered, encoding="utf-8") as f:
        docs = [d for d in yaml.safe_load_all(f) if d]
    with open(api_help, encoding="utf-8") as f:
        reads_api = env_names(f.read())
    with open(worker_help, encoding="utf-8") as f:
        reads_worker = env_names(f.read())
    secret_keys = env_file_keys(secrets_env)
    by_kind = {}
    for d in docs:
        by_kind.setdefault(d["kind"], {})[d["metadata"]["name"]] = d
    configmaps = {n: set((d.get("data") or {}).keys()) for n, d in by_kind.get("ConfigMap", {}).items()}
    errors = []

    def pod_specs():
        for kind in ("Deployment", "Job"):
            for name, d in by_kind.get(kind, {}).items():
                yield kind, name, d["spec"]["template"]["spec"]

    for kind, name, spec in pod_specs():
        for c in spec["containers"]:
            image = c["image"]
            reads = reads_worker if "worker" in image.split("/")[-1] else reads_api
            where = f"{kind}/{name} container {c['name']}"
            given = {e["name"]: "env" for e in c.get("env", [])}
            for source in c.get("envFrom", []):
                if "configMapRef" in source:
                    cm = source["configMapRef"]["name"]
                    if cm not in configmaps:
                        errors.append(f"{where}: envFrom ConfigMap {cm} is not in the manifests")
                    given.update({k: f"ConfigMap {cm}" for k in configmaps.get(cm, ())})
                if "secretRef" in source:
                    given.update({k: "Secret (secrets.example.env)" for k in secret_keys})
            for var, origin in sorted(given.items()):
                # The shared ConfigMap may carry a setting only the other binary reads.
                shared = origin.startswith("ConfigMap") or origin.startswith("Secret")
                known = (reads_api | reads_worker) if shared else reads
                if var not in known:
                    errors.append(f"{where}: {var} (from {origin}) is read by no binary")
            if kind == "Deployment":
                for probe in ("livenessProbe", "readinessProbe"):
                    if probe not in c:
                        errors.append(f"{where}: no {probe}")
                res = c.get("resources", {})
                if not res.get("requests") or not res.get("limits"):
                    errors.append(f"{where}: resources need requests and limits")
            sc = c.get("securityContext", {})
            if sc.get("allowPrivilegeEscalation") is not False:
                errors.append(f"{where}: allowPrivilegeEscalation must be false")
        if spec.get("securityContext", {}).get("runAsNonRoot") is not True:
            errors.append(f"{kind}/{name}: runAsNonRoot must be true")

    deployments = by_kind.get("Deployment", {})
    auths = by_kind.get("TriggerAuthentication", {})
    for name, so in by_kind.get("ScaledObject", {}).items():
        target = so["spec"]["scaleTargetRef"]["name"]
        if target not in deployments:
            errors.append(f"ScaledObject/{name}: target Deployment {target} does not exist")
            continue
        container = deployments[target]["spec"]["template"]["spec"]["containers"][0]
        env = {e["name"]: e.get("value", "") for e in container.get("env", [])}
        served = env.get("WORKER_QUEUES", "").split(",")
        prefix = configmaps.get("echosenseix-config") and by_kind["ConfigMap"]["echosenseix-config"]["data"].get("REDIS_PREFIX", "esx")
        for t in so["spec"]["triggers"]:
            if t["type"] != "redis":
                errors.append(f"ScaledObject/{name}: unexpected trigger type {t['type']}")
                continue
            ref = t.get("authenticationRef", {}).get("name")
            if ref not in auths:
                errors.append(f"ScaledObject/{name}: TriggerAuthentication {ref} does not exist")
            lst = t["metadata"]["listName"]
            queues = [f"{prefix}:{q}:active" for q in served]
            if lst not in queues:
                errors.append(f"ScaledObject/{name}: list {lst} is none of {queues}")
            if int(t["metadata"]["listLength"]) < 1:
                errors.append(f"ScaledObject/{name}: listLength must be positive")

    for e in errors:
        print(f"FAIL {e}")
    checked = sum(1 for _ in pod_specs())
    print(f"{rendered}: {checked} workloads, {len(by_kind.get('ScaledObject', {}))} ScaledObjects, "
          f"{len(errors)} problems")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
