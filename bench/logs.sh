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

pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
pgroot=$(mktemp -d /tmp/hearth-bench-pg-XXXX)
runas=(); [ "$(id -u)" = 0 ] && { chown postgres "$pgroot"; runas=(runuser -u postgres --); }
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"${runas[@]}" "$pgbin/initdb" -D "$pgroot/data" -U hearth -A trust -E UTF8 --no-instructions >/dev/null
trap '"${runas[@]}" "$pgbin/pg_ctl" stop -m immediate -D "$pgroot/data" >/dev/null 2>&1 || true; rm -rf "$pgroot"' EXIT
"${runas[@]}" "$pgbin/pg_ctl" start -w -D "$pgroot/data" -l "$pgroot/server.log" \
  -o "-p $port -k $pgroot -c listen_addresses=127.0.0.1 -c max_connections=300" >/dev/null
"${runas[@]}" "$pgbin/createdb" -h 127.0.0.1 -p "$port" -U hearth bench
echo "PostgreSQL $("$pgbin/postgres" --version | awk '{print $3}')"
dotnet "$bench" postgres "Host=127.0.0.1;Port=$port;Username=hearth;Database=bench" --servers 2
