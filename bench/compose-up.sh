#!/usr/bin/env bash
# `up` of a three-service project until every health check passes (bench/compose/compose.yaml: db, api waiting for db
# healthy, web waiting for api healthy), by Hearth (`hearth up -d --wait`, one server on SQLite and one agent with the
# oci driver) and by Debian's docker-compose 1.29 on a hand-started dockerd, alternating, in one session, with the
# same busybox image (pushed to a loopback registry for Hearth, imported into dockerd for docker-compose).
# Needs root, docker.io and docker-compose (bench only: test.sh does not install them), busybox-static, umoci, skopeo,
# docker-registry, runc or crun. Usage: bench/compose-up.sh [ROUNDS] [HEARTH_BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
binary=${2:-$PWD/.artifacts/hearth/hearth}
[[ -n ${2:-} ]] || ./hearth --version >/dev/null
work=$(mktemp -d /tmp/hearth-upbench-XXXX)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(free_port); rport=$(free_port)
export BENCH_WEB_PORT
cleanup() {
  [[ -S $work/docker/docker.sock ]] && DOCKER_HOST=unix://$work/docker/docker.sock docker-compose \
    -f bench/compose/compose.yaml -p benchup down -t 1 >/dev/null 2>&1 || true
  for pid in ${agent:-} ${server:-} ${registry:-} ${dockerd:-}; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  # dockerd (run with --iptables=false: it adds no rules, and its userland proxy publishes the port) leaves its bridge.
  ip link delete docker0 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# The image: busybox with its applets, for both.
mkdir -p "$work/rootfs/bin" "$work/rootfs/tmp" "$work/rootfs/www"
echo ok > "$work/rootfs/www/index.html"
cp /bin/busybox "$work/rootfs/bin/busybox"
for applet in sh httpd wget true; do ln -s busybox "$work/rootfs/bin/$applet"; done
tar -C "$work/rootfs" -cf "$work/rootfs.tar" .
printf 'version: 0.1\nlog: { level: error }\nstorage: { filesystem: { rootdirectory: %s/registry } }\nhttp: { addr: 127.0.0.1:%s }\n' \
  "$work" "$rport" > "$work/registry.yml"
docker-registry serve "$work/registry.yml" >/dev/null 2>&1 & registry=$!
until curl -fs "http://127.0.0.1:$rport/v2/" >/dev/null 2>&1; do sleep 0.05; done
umoci init --layout "$work/layout" >/dev/null
umoci new --image "$work/layout:bb" >/dev/null
umoci raw add-layer --image "$work/layout:bb" "$work/rootfs.tar" >/dev/null
skopeo copy --quiet --dest-tls-verify=false "oci:$work/layout:bb" "docker://127.0.0.1:$rport/bench/busybox:1"

mkdir -p "$work/docker"
dockerd --data-root "$work/docker/root" --exec-root "$work/docker/exec" --pidfile "$work/docker/dockerd.pid" \
  -H "unix://$work/docker/docker.sock" --iptables=false --ip-masq=false > "$work/dockerd.log" 2>&1 & dockerd=$!
export DOCKER_HOST=unix://$work/docker/docker.sock
until docker info >/dev/null 2>&1; do kill -0 "$dockerd" || { cat "$work/dockerd.log"; exit 1; }; sleep 0.1; done
docker import -c 'CMD ["/bin/sh"]' "$work/rootfs.tar" bench-busybox:1 >/dev/null

printf 'data_dir: %s/server\nstore:\n  driver: sqlite\n  path: %s/hearth.db\n' "$work" "$work" > "$work/server.yaml"
"$binary" server --config "$work/server.yaml" --listen "127.0.0.1:$port" > "$work/server.log" 2>&1 & server=$!
until grep -q "listening on" "$work/server.log"; do kill -0 "$server" || { cat "$work/server.log"; exit 1; }; sleep 0.2; done
key=$(grep -o 'hk_[^ ]*' "$work/server.log"); grep -o 'ha_[^ ]*' "$work/server.log" | tr -d '\n' > "$work/token"
chmod 600 "$work/token"
"$binary" agent --server "http://127.0.0.1:$port" --token-file "$work/token" --name upbench --capacity 8 \
  --drivers oci --scratch "$work/scratch" --images "$work/images" --state-dir "$work/state" > "$work/agent.log" 2>&1 & agent=$!
until grep -q "registered as" "$work/agent.log"; do kill -0 "$agent" || { cat "$work/agent.log"; exit 1; }; sleep 0.2; done
export HEARTH_SERVER="http://127.0.0.1:$port" HEARTH_API_KEY="$key"

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
hearth_up() {
  local start; start=$(now)
  BENCH_IMAGE=127.0.0.1:$rport/bench/busybox:1 "$binary" up -f bench/compose/compose.yaml -p benchup -d --wait \
    >/dev/null 2>"$work/up.err" || { cat "$work/up.err" >&2; exit 1; }
  elapsed "$start"
  "$binary" down -p benchup >/dev/null 2>&1
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2 ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2)}'; }

# One warm-up each (image unpack, first network), not counted.
BENCH_WEB_PORT=$(free_port); docker_up >/dev/null
BENCH_WEB_PORT=$(free_port); hearth_up >/dev/null
: > "$work/docker.times"; : > "$work/hearth.times"
for ((i = 1; i <= rounds; i++)); do
  BENCH_WEB_PORT=$(free_port); docker_up >> "$work/docker.times"; echo >> "$work/docker.times"
  BENCH_WEB_PORT=$(free_port); hearth_up >> "$work/hearth.times"; echo >> "$work/hearth.times"
done
d=$(median < "$work/docker.times"); h=$(median < "$work/hearth.times")
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "docker-compose 1.29 up -d until healthy: median ${d}s of $rounds ($(tr '\n' ' ' < "$work/docker.times"))"
echo "hearth up -d --wait:                     median ${h}s of $rounds ($(tr '\n' ' ' < "$work/hearth.times"))"
echo "ratio hearth/docker-compose: $(printf '%.2f' "$(echo "$h / $d" | bc -l)")"
