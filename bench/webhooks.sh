#!/usr/bin/env bash
# The webhook receiver bench (bench/Hearth.Bench.Webhooks) on SQLite, then on a throwaway PostgreSQL (one fresh
# database per run), for each built tree given, one after the other, with the load average before each run:
#   bench/webhooks.sh REQUESTS CONCURRENCY ROUNDS TREE...   (build each tree's bench project in Release first)
# Each run: a warm-up, then ROUNDS rounds of REQUESTS of each kind (floor, ignored, push); medians at the end.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
total=$1; concurrency=$2; rounds=$3; shift 3
source "$root/bench/throwaway-postgres.sh"
for tree in "$@"; do
  dll="$tree/bench/Hearth.Bench.Webhooks/bin/Release/net10.0/Hearth.Bench.Webhooks.dll"
  echo "== $tree at $(git -C "$tree" rev-parse --short HEAD), SQLite, $(date -u +%H:%M:%S) UTC, load $(cut -d' ' -f1-3 /proc/loadavg)"
  dotnet "$dll" "$total" "$concurrency" "$rounds"
  db="hooks_$(date +%s%N)"
  "${runas[@]}" "$pgbin/createdb" -h 127.0.0.1 -p "$port" -U hearth "$db"
  echo "== $tree at $(git -C "$tree" rev-parse --short HEAD), PostgreSQL, $(date -u +%H:%M:%S) UTC, load $(cut -d' ' -f1-3 /proc/loadavg)"
  dotnet "$dll" "$total" "$concurrency" "$rounds" "${postgres_url/Database=bench/Database=$db}"
done
