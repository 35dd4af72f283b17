#!/usr/bin/env bash
# Validates deploy/: the alert rules and example config (promtool, from Debian's prometheus package), every query of
# the Grafana dashboard (each parsed by promtool as a rule), the dashboard's JSON (jq) and the systemd units
# (systemd-analyze verify, with the binary's path replaced: it need not be installed).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
promtool check rules "$here/prometheus/hearth-alerts.yml"
cp "$here/prometheus/hearth-alerts.yml" "$tmp/"
echo "token-0123456789abcdef" > "$tmp/token"
sed "s|/etc/prometheus/hearth-metrics-token|$tmp/token|; s|  - hearth-alerts.yml|  - $tmp/hearth-alerts.yml|" \
  "$here/prometheus/prometheus.example.yml" > "$tmp/prometheus.yml"
promtool check config "$tmp/prometheus.yml"
jq -e '.panels | length > 0' "$here/grafana/hearth-dashboard.json" > /dev/null
count=0
while IFS= read -r expr; do
  count=$((count + 1))
  quoted="'$(printf '%s' "$expr" | sed "s/'/''/g")'"
  printf 'groups:\n- name: dashboard\n  rules:\n  - record: dashboard:query\n    expr: %s\n' "$quoted" > "$tmp/query.yml"
  promtool check rules "$tmp/query.yml" > /dev/null || { echo "dashboard query does not parse: $expr" >&2; exit 1; }
done < <(jq -r '.panels[].targets[].expr' "$here/grafana/hearth-dashboard.json" \
  | sed 's/\$__rate_interval/5m/g; s/\$server_job/hearth-server/g; s/\$agent_job/hearth-agent/g')
echo "dashboard: $count queries parse"
for unit in hearth-server hearth-agent; do sed 's|/usr/local/bin/hearth|/bin/true|' "$here/systemd/$unit.service" > "$tmp/$unit.service"; done
systemd-analyze verify "$tmp/hearth-server.service" "$tmp/hearth-agent.service"
echo "deploy: all checks passed"
