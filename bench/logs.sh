#!/usr/bin/env bash
# The log path (issue 18): follow latency on one server and across two, a 10 MB log fetched, lines per second into one
# task's log, through real server and agent processes; on SQLite, then on a throwaway PostgreSQL cluster with two servers.
# Usage: bench/logs.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dotnet build "$root/bench/Hearth.Bench.Logs" -c Release -nologo -v q >/dev/null
bench="$root/bench/Hearth.Bench.Logs/bin/Release/net10.0/Hearth.Bench.Logs.dll"
# The server, the agent and the CLI are the binary users run: ./hearth's Native AOT build.
"$root/hearth" --version >/dev/null
export HEARTH_BINARY="$root/.artifacts/hearth/hearth"

echo "## $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) vCPU ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(uname -sr), load $(cut -d' ' -f1-3 /proc/loadavg), hearth $(git -C "$root" rev-parse --short HEAD)"
dotnet "$bench" sqlite

source "$root/bench/throwaway-postgres.sh"
dotnet "$bench" postgres "$postgres_url" --servers 2
