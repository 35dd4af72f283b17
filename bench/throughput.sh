#!/usr/bin/env bash
# Trivial tasks per second through a real server + N agents against the raw SQL claim loop on the same database,
# on SQLite and on a throwaway PostgreSQL cluster (default settings: fsync and synchronous_commit on).
# Usage: bench/throughput.sh [TASKS] [AGENTS] [ROUNDS] [--simulated] [--servers N]
#   --simulated  the harness plays the agents over the real protocol (no sandbox): what the server can dispatch
#   --servers N  N servers on the PostgreSQL database, agents spread over them (SQLite is then skipped)
set -euo pipefail
tasks=${1:-1000}; agents=${2:-8}; rounds=${3:-3}
extra=("${@:4}")
root="$(cd "$(dirname "$0")/.." && pwd)"
dotnet build "$root/bench/Hearth.Bench.Throughput" -c Release -nologo -v q >/dev/null
bench="$root/bench/Hearth.Bench.Throughput/bin/Release/net10.0/Hearth.Bench.Throughput.dll"
# The server and agents are the binary users run: ./hearth's Native AOT build, unless HEARTH_BINARY names another
# (a build of main, to compare in the same session).
if [ -z "${HEARTH_BINARY:-}" ]; then
  "$root/hearth" --version >/dev/null
  export HEARTH_BINARY="$root/.artifacts/hearth/hearth"
fi

echo "## $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) vCPU ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(uname -sr), load $(cut -d' ' -f1-3 /proc/loadavg), $("$HEARTH_BINARY" --version)"
if [[ " ${extra[*]} " != *" --servers "* ]]; then
  sqlite_extra=(); [[ " ${extra[*]} " == *" --simulated "* ]] && sqlite_extra=(--simulated)
  dotnet "$bench" sqlite "$tasks" "$agents" "$rounds" "${sqlite_extra[@]}"
fi

source "$root/bench/throwaway-postgres.sh"
dotnet "$bench" postgres "$postgres_url" "$tasks" "$agents" "$rounds" "${extra[@]}"
