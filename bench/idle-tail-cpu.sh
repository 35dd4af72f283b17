#!/usr/bin/env bash
# What an idle task costs its agent: CPU time of a `hearth agent` process over 20 s while it runs N tasks that write
# nothing (`sleep`), through a real server on SQLite. Measures the output tails' polling (and the heartbeats).
# Usage: bench/idle-tail-cpu.sh [TASKS] HEARTH_BINARY...
set -euo pipefail
tasks=${1:-8}; shift
tick=$(getconf CLK_TCK)
for binary in "$@"; do
  work=$(mktemp -d /tmp/hearth-idlecpu-XXXX)
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  : > "$work/server.log"; : > "$work/agent.log"
  printf 'data_dir: %s/server\nstore:\n  driver: sqlite\n  path: %s/hearth.db\n' "$work" "$work" > "$work/server.yaml"
  "$binary" server --config "$work/server.yaml" --listen "127.0.0.1:$port" > "$work/server.log" 2>&1 & server=$!
  until grep -q "listening on" "$work/server.log"; do sleep 0.2; done
  key=$(grep -o 'hk_[^ ]*' "$work/server.log"); grep -o 'ha_[^ ]*' "$work/server.log" | tr -d '\n' > "$work/token"
  chmod 600 "$work/token"
  "$binary" agent --server "http://127.0.0.1:$port" --token-file "$work/token" --name idle --capacity "$tasks" \
    --drivers process --default-driver process --scratch "$work/scratch" > "$work/agent.log" 2>&1 & agent=$!
  until grep -q "registered as" "$work/agent.log"; do sleep 0.2; done
  for _ in $(seq "$tasks"); do
    HEARTH_SERVER="http://127.0.0.1:$port" HEARTH_API_KEY="$key" "$binary" run -d -- sleep 40 >/dev/null
  done
  sleep 8
  cpu() { awk '{print $14 + $15}' "/proc/$agent/stat"; }
  before=$(cpu); sleep 20; after=$(cpu)
  echo "$("$binary" --version): $tasks idle tasks, agent CPU $(( (after - before) * 1000 / tick )) ms over 20 s, load $(cut -d' ' -f1 /proc/loadavg)"
  kill "$agent" "$server"; wait "$agent" "$server" 2>/dev/null || true
  rm -rf "$work"
done
