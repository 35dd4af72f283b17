#!/usr/bin/env bash
# The log path (issue 18): follow latency on one server and across two, a 10 MB log fetched, lines per second into one
# task's log, through real server and agent processes; on SQLite, then on a throwaway PostgreSQL cluster with two servers.
# Usage: bench/logs.sh [HEARTH_BINARY...]
#   With no argument, the worktree's ./hearth (Native AOT) is measured. With several (e.g. a build of main and one of a
#   branch), each is measured in turn in the same run, SQLite then PostgreSQL (a fresh database each), for a ratio.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dotnet build "$root/bench/Hearth.Bench.Logs" -c Release -nologo -v q >/dev/null
bench="$root/bench/Hearth.Bench.Logs/bin/Release/net10.0/Hearth.Bench.Logs.dll"
binaries=("$@")
if [ ${#binaries[@]} -eq 0 ]; then
  # The server, the agent and the CLI are the binary users run: ./hearth's Native AOT build.
  "$root/hearth" --version >/dev/null
  binaries=("$root/.artifacts/hearth/hearth")
fi

echo "## $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) vCPU ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(uname -sr), load $(cut -d' ' -f1-3 /proc/loadavg)"
source "$root/bench/throwaway-postgres.sh"
n=0
for binary in "${binaries[@]}"; do
  export HEARTH_BINARY="$binary"
  echo "### $("$binary" --version), load $(cut -d' ' -f1-3 /proc/loadavg)"
  dotnet "$bench" sqlite
  n=$((n + 1))
  "${runas[@]}" "$pgbin/createdb" -h 127.0.0.1 -p "$port" -U hearth "bench$n"
  dotnet "$bench" postgres "${postgres_url/Database=bench/Database=bench$n}" --servers 2
done
