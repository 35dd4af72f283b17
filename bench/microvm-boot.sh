#!/usr/bin/env bash
# What a task in a fresh microVM costs next to a container: wall time of `hearth run --image IMG -- true` through a real
# server (SQLite) and agent, with --driver microvm (QEMU microvm; KVM where it works, software emulation, TCG,
# elsewhere: the agent's label driver.microvm.backend says which) and --driver oci in the same session. The first
# microvm run builds the image's ext4 disk and the initramfs and is reported apart. The agent keeps a warm pool of one
# VM (1cpu-256mb, the size a run without --cpus/--memory gets) for IMAGE: a run of IMAGE takes it (warm), a run of the
# same image under a second tag (same digest, same disk, not pooled) boots cold; before each run the pool is full again
# (polled on the agent's /metrics), so cold and warm runs both see one idle VM beside them. Needs root, qemu-system-x86, qemu-utils, linux-image-cloud-amd64, e2fsprogs, busybox-static, umoci, skopeo,
# docker-registry, runc or crun. Usage: bench/microvm-boot.sh [RUNS] [HEARTH_BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib/busybox-registry.sh
runs=${1:-5}
# The binary as built (./hearth rebuilds it first when sources changed), with its native libraries beside it.
binary=${2:-$PWD/.artifacts/hearth/hearth}
[[ -n ${2:-} ]] || ./hearth --version >/dev/null
work=$(mktemp -d /tmp/hearth-vmbench-XXXX)
port=$(free_port)
rport=$(free_port)
mport=$(free_port)
cleanup() {
  for pid in ${agent:-} ${server:-} ${registry:-}; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

start_registry "$work" "$rport"
busybox_layout "$work" sh true echo uname
push_layout "$work" "127.0.0.1:$rport/bench/busybox:1"
push_layout "$work" "127.0.0.1:$rport/bench/busybox:cold"
image="127.0.0.1:$rport/bench/busybox:1"
cold_image="127.0.0.1:$rport/bench/busybox:cold"

printf 'data_dir: %s/server\nstore:\n  driver: sqlite\n  path: %s/hearth.db\n' "$work" "$work" > "$work/server.yaml"
"$binary" server --config "$work/server.yaml" --listen "127.0.0.1:$port" > "$work/server.log" 2>&1 & server=$!
until grep -q "listening on" "$work/server.log"; do kill -0 "$server" || { cat "$work/server.log"; exit 1; }; sleep 0.2; done
key=$(grep -o 'hk_[^ ]*' "$work/server.log"); grep -o 'ha_[^ ]*' "$work/server.log" | tr -d '\n' > "$work/token"
chmod 600 "$work/token"
"$binary" agent --server "http://127.0.0.1:$port" --token-file "$work/token" --name vmbench --capacity 1 \
  --drivers oci,microvm --scratch "$work/scratch" --images "$work/images" --state-dir "$work/state" \
  --microvm-pool "1cpu-256mb=1@$image" --metrics-listen "127.0.0.1:$mport" > "$work/agent.log" 2>&1 & agent=$!
until grep -q "registered as" "$work/agent.log"; do kill -0 "$agent" || { cat "$work/agent.log"; exit 1; }; sleep 0.2; done

run() { HEARTH_SERVER="http://127.0.0.1:$port" HEARTH_API_KEY="$key" "$binary" run --driver "$1" --image "${2:-$image}" -- true >/dev/null 2>&1; }
seconds() { local start end; start=$(date +%s%N); run "$@"; end=$(date +%s%N); printf "%.2f" "$(echo "($end - $start) / 1000000000" | bc -l)"; }
metrics() { curl -fs "http://127.0.0.1:$mport/metrics"; }
# The pool is full again (its VM booted and waiting), or the agent died.
pool_full() {
  until metrics | grep -q '^hearth_vm_pool_size{.*size_class="1cpu-256mb".*} 1'; do kill -0 "$agent" || { cat "$work/agent.log"; exit 1; }; sleep 0.2; done
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2 ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2)}'; }

echo "machine: $(uname -srm), $(nproc) vCPU; $(qemu-system-x86_64 --version | head -1)"
echo "backend: $(HEARTH_SERVER="http://127.0.0.1:$port" HEARTH_API_KEY="$key" "$binary" agents -o json | grep -o '"driver.microvm.backend": *"[^"]*"' | head -1)"
echo "date: $(date -u +%Y-%m-%dT%H:%MZ), load $(cut -d' ' -f1 /proc/loadavg)"
echo "microvm first run (disk and initramfs built): $(seconds microvm "$cold_image") s"
run oci
oci=(); vm=(); warm=()
for _ in $(seq "$runs"); do
  oci+=("$(seconds oci)")
  pool_full; vm+=("$(seconds microvm "$cold_image")")
  pool_full; warm+=("$(seconds microvm)")
done
echo "oci          : median $(printf '%s\n' "${oci[@]}" | median) s over $runs runs (${oci[*]})"
echo "microvm cold : median $(printf '%s\n' "${vm[@]}" | median) s over $runs runs (${vm[*]})"
echo "microvm warm : median $(printf '%s\n' "${warm[@]}" | median) s over $runs runs (${warm[*]}), a pooled VM taken"
echo "agent's boot histogram (how long tasks waited for their VM):"
metrics | grep -E '^hearth_vm_boot_seconds_(count|sum)' | sed 's/^/  /'

echo "load after: $(cut -d' ' -f1 /proc/loadavg)"
