#!/usr/bin/env bash
# The webhook receiver bench (bench/Hearth.Bench.Webhooks) on SQLite, then on a throwaway PostgreSQL (one fresh
# database per run), for each built tree given, one after the other, with the load average before each run:
#   bench/webhooks.sh REQUESTS CONCURRENCY ROUNDS TREE...   (build each tree's bench project in Release first)
# Each run: a warm-up, then ROUNDS rounds of REQUESTS of each kind (floor, ignored, push); medians at the end.
set -euo pipefail
# The server ships as Native AOT: its code is optimised from the start, no JIT runs beside it, and its idle thread-pool
# workers do not spin (src/Hearth.Cli/Hearth.Cli.csproj). The bench runs the server in process on the JIT: with tiered
# compilation the background compiler took up to a third of the process's CPU rounds after the warm-up, and with tiering
# off the framework's precompiled (ReadyToRun) code is never optimised further. So: every method compiled optimised
# once, and no spinning, for every tree alike.
export DOTNET_TieredCompilation=0 DOTNET_ReadyToRun=0 DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0
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
