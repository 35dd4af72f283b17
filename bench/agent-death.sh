#!/usr/bin/env bash
# Agent death to replicas healthy elsewhere: one server (SQLite, lease TTL and heartbeat as given) and two agents on
# this host (oci driver, each its own compose-network range and bridge prefix), a service of REPLICAS busybox replicas
# with a 1 s health check spread over both. Each round kill -9's the agent running most of the replicas and times how
# long until every replica runs healthy on the other one (read from `hearth ps -o json` every 100 ms), then starts the
# killed agent again (it stops the copies it left) and waits until nothing of the old copies is left.
# Needs root, busybox-static, umoci, skopeo, docker-registry, jq, runc or crun.
# Usage: bench/agent-death.sh [ROUNDS] [REPLICAS] [TTL] [HEARTH_BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib/busybox-registry.sh
rounds=${1:-5}
replicas=${2:-4}
ttl=${3:-5s}
binary=${4:-$PWD/.artifacts/hearth/hearth}
[[ -n ${4:-} ]] || ./hearth --version >/dev/null
work=$(mktemp -d /tmp/hearth-deathbench-XXXX)
marker=$((RANDOM + 700000))
port=$(free_port); rport=$(free_port)
declare -A agent_pid
cleanup() {
  "$binary" down -p deathbench >/dev/null 2>&1 || true
  for pid in "${agent_pid[@]}" ${server:-} ${registry:-}; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  for name in a b; do
    "$binary" agent reap --scratch "$work/scratch-$name" --images "$work/images" --service-bridge-prefix "hdb$name" >/dev/null 2>&1 || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

busybox_layout "$work" sh sleep touch test
start_registry "$work" "$rport"
push_layout "$work" "127.0.0.1:$rport/bench/busybox:1"

cat > "$work/compose.yaml" <<EOF
name: deathbench
services:
  svc:
    image: 127.0.0.1:$rport/bench/busybox:1
    restart: always
    command: ["sh", "-c", "touch /tmp/ok; exec sleep $marker"]
    deploy:
      replicas: $replicas
    healthcheck:
      test: ["CMD-SHELL", "test -f /tmp/ok"]
      interval: 1s
      start_interval: 1s
      retries: 2
EOF
printf 'data_dir: %s/server\nleases:\n  ttl: %s\n  heartbeat: 1s\n  rescue_interval: 200ms\n' "$work" "$ttl" > "$work/server.yaml"
"$binary" server --config "$work/server.yaml" --listen "127.0.0.1:$port" > "$work/server.log" 2>&1 & server=$!
until grep -q "listening on" "$work/server.log"; do kill -0 "$server" || { cat "$work/server.log"; exit 1; }; sleep 0.2; done
key=$(grep -o 'hk_[^ ]*' "$work/server.log"); grep -o 'ha_[^ ]*' "$work/server.log" | tr -d '\n' > "$work/token"
chmod 600 "$work/token"
export HEARTH_SERVER="http://127.0.0.1:$port" HEARTH_API_KEY="$key"

start_agent() { # NAME (a or b): its range 10.21N.0.0/16 and bridges hdbN
  local name=$1 index; index=$([[ $1 == a ]] && echo 1 || echo 2)
  : > "$work/agent-$name.log"
  "$binary" agent --server "$HEARTH_SERVER" --token-file "$work/token" --name "death-$name" --capacity 16 --drivers oci \
    --scratch "$work/scratch-$name" --images "$work/images" --state-dir "$work/state-$name" \
    --service-subnets "10.21$index.0.0/16" --service-bridge-prefix "hdb$name" > "$work/agent-$name.log" 2>&1 &
  agent_pid[$name]=$!
  until grep -q "registered as" "$work/agent-$name.log"; do
    kill -0 "${agent_pid[$name]}" || { cat "$work/agent-$name.log"; exit 1; }; sleep 0.1
  done
}
start_agent a; start_agent b
"$binary" up -f "$work/compose.yaml" -d --wait --wait-timeout 120 >/dev/null 2>"$work/up.err" || { cat "$work/up.err" >&2; exit 1; }

now() { date +%s%N; }
copies() { pgrep -xf "sleep $marker" | wc -l; }
all_on() { # AGENT: every replica running healthy there
  "$binary" ps -p deathbench -o json | jq -e --arg a "$1" --argjson n "$replicas" \
    '[.replicas[] | select(.agent == $a and .state == "running" and .health == "healthy")] | length == $n' >/dev/null
}
busiest() {
  "$binary" ps -p deathbench -o json | jq -r '[.replicas[].agent] | group_by(.) | max_by(length) | .[0]' | sed 's/^death-//'
}
: > "$work/times"
for ((i = 1; i <= rounds; i++)); do
  victim=$(busiest); survivor=$([[ $victim == a ]] && echo b || echo a)
  start=$(now)
  kill -9 "${agent_pid[$victim]}"; wait "${agent_pid[$victim]}" 2>/dev/null || true
  until all_on "death-$survivor"; do sleep 0.1; done
  took=$(printf '%.2f' "$(echo "($(now) - $start) / 1000000000" | bc -l)")
  echo "round $i: killed death-$victim, $replicas replica(s) healthy on death-$survivor after ${took}s" >&2
  echo "$took" >> "$work/times"
  start_agent "$victim"
  until [[ $(copies) == "$replicas" ]]; do sleep 0.1; done
done
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2 ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2)}'; }
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "lease ttl $ttl, heartbeat 1s, $replicas replicas: kill -9 of an agent to every replica healthy on the other:" \
  "median $(median < "$work/times")s of $rounds ($(tr '\n' ' ' < "$work/times"))"
