#!/usr/bin/env bash
# `up` of a three-service project until every health check passes (bench/compose/compose.yaml: db, api waiting for db
# healthy, web waiting for api healthy), by Hearth (`hearth up -d --wait`, one server on SQLite and one agent with the
# oci driver) and by Debian's docker-compose 1.29 on a hand-started dockerd, alternating, in one session, with the
# same busybox image (pushed to a loopback registry for Hearth, imported into dockerd for docker-compose).
# Needs root, docker.io and docker-compose (bench only: test.sh does not install them), busybox-static, umoci, skopeo,
# docker-registry, runc or crun. Usage: bench/compose-up.sh [ROUNDS] [HEARTH_BINARY] [BASELINE_BINARY]
# With BASELINE_BINARY (a hearth built from another commit) its server and agent run beside the first pair, and its
# `up` takes its turn in each round, so both are measured in the same session as docker-compose.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib/busybox-registry.sh
rounds=${1:-5}
binary=${2:-$PWD/.artifacts/hearth/hearth}
baseline=${3:-}
[[ -n ${2:-} ]] || ./hearth --version >/dev/null
work=$(mktemp -d /tmp/hearth-upbench-XXXX)
rport=$(free_port)
export BENCH_WEB_PORT
cleanup() {
  [[ -S $work/docker/docker.sock ]] && DOCKER_HOST=unix://$work/docker/docker.sock docker-compose \
    -f bench/compose/compose.yaml -p benchup down -t 1 >/dev/null 2>&1 || true
  for pid in $(cat "$work/pids" 2>/dev/null) ${registry:-} ${dockerd:-}; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  # dockerd (run with --iptables=false: it adds no rules, and its userland proxy publishes the port) leaves its bridge.
  ip link delete docker0 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# The image: busybox with its applets, for both.
mkdir -p "$work/rootfs/www"
echo ok > "$work/rootfs/www/index.html"
busybox_layout "$work" sh httpd wget true
start_registry "$work" "$rport"
push_layout "$work" "127.0.0.1:$rport/bench/busybox:1"

mkdir -p "$work/docker"
dockerd --data-root "$work/docker/root" --exec-root "$work/docker/exec" --pidfile "$work/docker/dockerd.pid" \
  -H "unix://$work/docker/docker.sock" --iptables=false --ip-masq=false > "$work/dockerd.log" 2>&1 & dockerd=$!
export DOCKER_HOST=unix://$work/docker/docker.sock
until docker info >/dev/null 2>&1; do kill -0 "$dockerd" || { cat "$work/dockerd.log"; exit 1; }; sleep 0.1; done
docker import -c 'CMD ["/bin/sh"]' "$work/rootfs.tar" bench-busybox:1 >/dev/null

# One server (SQLite) and one agent (oci) of a hearth binary, under $work/$2; prints its URL and API key.
start_hearth() {
  local bin=$1 dir=$work/$2 port srv agt key
  mkdir -p "$dir"; port=$(free_port)
  printf 'data_dir: %s/server\nstore:\n  driver: sqlite\n  path: %s/hearth.db\n' "$dir" "$dir" > "$dir/server.yaml"
  "$bin" server --config "$dir/server.yaml" --listen "127.0.0.1:$port" > "$dir/server.log" 2>&1 & srv=$!
  until grep -q "listening on" "$dir/server.log"; do kill -0 "$srv" || { cat "$dir/server.log" >&2; exit 1; }; sleep 0.2; done
  key=$(grep -o 'hk_[^ ]*' "$dir/server.log"); grep -o 'ha_[^ ]*' "$dir/server.log" | tr -d '\n' > "$dir/token"
  chmod 600 "$dir/token"
  "$bin" agent --server "http://127.0.0.1:$port" --token-file "$dir/token" --name "upbench-$2" --capacity 8 \
    --drivers oci --scratch "$dir/scratch" --images "$dir/images" --state-dir "$dir/state" > "$dir/agent.log" 2>&1 & agt=$!
  until grep -q "registered as" "$dir/agent.log"; do kill -0 "$agt" || { cat "$dir/agent.log" >&2; exit 1; }; sleep 0.2; done
  echo "$srv $agt" >> "$work/pids"
  echo "http://127.0.0.1:$port $key"
}
read -r server_url server_key < <(start_hearth "$binary" new) || true
[[ -n ${server_key:-} ]] || { echo "hearth did not start" >&2; exit 1; }
if [[ -n $baseline ]]; then
  read -r base_url base_key < <(start_hearth "$baseline" base) || true
  [[ -n ${base_key:-} ]] || { echo "the baseline hearth did not start" >&2; exit 1; }
fi

now() { date +%s%N; }
elapsed() { printf "%.2f" "$(echo "($(now) - $1) / 1000000000" | bc -l)"; }
compose_healthy() {
  local id status
  for id in $(docker-compose -f bench/compose/compose.yaml -p benchup ps -q); do
    status=$(docker inspect --format '{{.State.Health.Status}}' "$id")
    [[ $status == healthy ]] || return 1
  done
  [[ $(docker-compose -f bench/compose/compose.yaml -p benchup ps -q | wc -l) == 3 ]]
}
docker_up() {
  local start; start=$(now)
  BENCH_IMAGE=bench-busybox:1 docker-compose -f bench/compose/compose.yaml -p benchup up -d >/dev/null 2>&1
  until BENCH_IMAGE=bench-busybox:1 compose_healthy; do sleep 0.05; done
  elapsed "$start"
  BENCH_IMAGE=bench-busybox:1 docker-compose -f bench/compose/compose.yaml -p benchup down -t 1 >/dev/null 2>&1
}
# hearth_up BINARY URL KEY: one `up -d --wait` until healthy, then down.
hearth_up() {
  local start; start=$(now)
  HEARTH_SERVER=$2 HEARTH_API_KEY=$3 BENCH_IMAGE=127.0.0.1:$rport/bench/busybox:1 "$1" up -f bench/compose/compose.yaml \
    -p benchup -d --wait >/dev/null 2>"$work/up.err" || { cat "$work/up.err" >&2; exit 1; }
  elapsed "$start"
  HEARTH_SERVER=$2 HEARTH_API_KEY=$3 "$1" down -p benchup >/dev/null 2>&1
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2 ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2)}'; }

# One warm-up each (image unpack, first network), not counted.
BENCH_WEB_PORT=$(free_port); docker_up >/dev/null
BENCH_WEB_PORT=$(free_port); hearth_up "$binary" "$server_url" "$server_key" >/dev/null
[[ -z $baseline ]] || { BENCH_WEB_PORT=$(free_port); hearth_up "$baseline" "$base_url" "$base_key" >/dev/null; }
: > "$work/docker.times"; : > "$work/hearth.times"; : > "$work/base.times"
for ((i = 1; i <= rounds; i++)); do
  BENCH_WEB_PORT=$(free_port); docker_up >> "$work/docker.times"; echo >> "$work/docker.times"
  BENCH_WEB_PORT=$(free_port); hearth_up "$binary" "$server_url" "$server_key" >> "$work/hearth.times"; echo >> "$work/hearth.times"
  if [[ -n $baseline ]]; then
    BENCH_WEB_PORT=$(free_port); hearth_up "$baseline" "$base_url" "$base_key" >> "$work/base.times"; echo >> "$work/base.times"
  fi
done
d=$(median < "$work/docker.times"); h=$(median < "$work/hearth.times")
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "docker-compose 1.29 up -d until healthy: median ${d}s of $rounds ($(tr '\n' ' ' < "$work/docker.times"))"
echo "hearth up -d --wait:                     median ${h}s of $rounds ($(tr '\n' ' ' < "$work/hearth.times"))"
echo "ratio hearth/docker-compose: $(printf '%.2f' "$(echo "$h / $d" | bc -l)")"
if [[ -n $baseline ]]; then
  b=$(median < "$work/base.times")
  echo "baseline hearth up -d --wait:            median ${b}s of $rounds ($(tr '\n' ' ' < "$work/base.times"))"
  echo "ratio baseline/docker-compose: $(printf '%.2f' "$(echo "$b / $d" | bc -l)")"
fi
# Where the last round's time went, from the project's events (server clock): per service, created -> started (placement,
# lease, image, sandbox start), started -> healthy (the checks), and the wait from the dependency's healthy to created.
trace() {
  HEARTH_SERVER=$2 HEARTH_API_KEY=$3 "$1" events -p benchup -o json | python3 -c '
import json, sys
from datetime import datetime
ev = json.load(sys.stdin)["events"]
last = max(i for i, e in enumerate(ev) if e["service"] == "db" and e["kind"] == "created")
t = {}
for e in ev[last:]:
    t.setdefault((e["service"], e["kind"]), datetime.fromisoformat(e["at"]))
ms = lambda a, b: "%5.0f" % ((t[b] - t[a]).total_seconds() * 1000) if a in t and b in t else "    -"
prev = None
for s in ("db", "api", "web"):
    wait = ms((prev, "healthy"), (s, "created")) if prev else "    -"
    print("  %-4s dependency healthy -> created %s ms, created -> started %s ms, started -> healthy %s ms" % (
        s, wait, ms((s, "created"), (s, "started")), ms((s, "started"), (s, "healthy"))))
    prev = s
'
}
echo "trace of the last round (hearth):"; trace "$binary" "$server_url" "$server_key"
[[ -z $baseline ]] || { echo "trace of the last round (baseline):"; trace "$baseline" "$base_url" "$base_key"; }
