# Sourced by the benchmarks: starts a throwaway PostgreSQL cluster on a free loopback port (default settings: fsync and
# synchronous_commit on) with an empty database 'bench', stops and deletes it when the script exits, and sets
# $postgres_url to its connection string.
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
postgres_url="Host=127.0.0.1;Port=$port;Username=hearth;Database=bench"
