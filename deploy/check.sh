#!/usr/bin/env bash
# Validates deploy/ with the tools a Debian machine has (no Docker engine needed):
#   apt-get install prometheus nginx-light    (promtool, nginx), python3 with PyYAML
#   deploy/check.sh
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

echo "== docker-compose.yml (structure: references between services, volumes, configs)"
python3 - <<'PY'
import yaml
c = yaml.safe_load(open("docker-compose.yml"))
s = c["services"]
for name, svc in s.items():
    for dep in svc.get("depends_on") or []:
        assert dep in s, f"{name} depends on unknown {dep}"
    for v in svc.get("volumes", []):
        src = v.split(":")[0]
        assert src.startswith((".", "/")) or src in c["volumes"], f"{name}: unknown volume {src}"
    for cf in svc.get("configs", []):
        assert cf["source"] in c["configs"], f"{name}: unknown config {cf['source']}"
print("compose: services", ", ".join(sorted(s)))
PY
if docker compose version >/dev/null 2>&1; then
  JWT_SECRET=x POSTGRES_PASSWORD=x METRICS_TOKEN=x GRAFANA_ADMIN_PASSWORD=x docker compose -f docker-compose.yml config -q
fi
echo "deploy/ checks passed"
