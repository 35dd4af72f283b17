#!/usr/bin/env bash
# Benchmarks the oci driver against a bare OCI runtime run of the same spec and rootfs.
# Starts its own docker-registry on a free loopback port, builds a busybox-static image with umoci,
# pushes it with skopeo, then runs bench/Hearth.Oci.Bench. Needs root, runc (or crun), umoci, skopeo,
# docker-registry, busybox-static. Usage: bench/oci-bench.sh [ITERATIONS] [RUNTIME] [USERNS: off|auto|BASE:SIZE]
set -euo pipefail
cd "$(dirname "$0")/.."
iterations=${1:-30}
runtime=${2:-runc}
userns=${3:-off}
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cleanup() { [[ -n ${registry_pid:-} ]] && kill "$registry_pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

cat >"$work/registry.yml" <<YML
version: 0.1
log: { level: error }
storage: { filesystem: { rootdirectory: $work/registry } }
http: { addr: 127.0.0.1:$port }
YML
docker-registry serve "$work/registry.yml" >/dev/null 2>&1 &
registry_pid=$!
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/v2/" >/dev/null 2>&1 && break; sleep 0.05; done

mkdir -p "$work/rootfs/bin"
cp /bin/busybox "$work/rootfs/bin/busybox"
for applet in sh true echo sleep; do ln -s busybox "$work/rootfs/bin/$applet"; done
tar -C "$work/rootfs" -cf "$work/rootfs.tar" .
umoci init --layout "$work/layout" >/dev/null
umoci new --image "$work/layout:bb" >/dev/null
umoci raw add-layer --image "$work/layout:bb" "$work/rootfs.tar" >/dev/null
umoci config --image "$work/layout:bb" --config.cmd /bin/true >/dev/null
skopeo copy --quiet --dest-tls-verify=false "oci:$work/layout:bb" "docker://127.0.0.1:$port/bench/busybox:1"

dotnet build bench/Hearth.Oci.Bench -c Release -nologo -v q >/dev/null
echo "machine: $(uname -srm), $(nproc) vCPU, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); $($runtime --version | head -1)"
echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"
echo "command: bench/oci-bench.sh $iterations $runtime $userns"
echo
echo "| what | runs | median ms | p95 ms | mean ms |"
echo "|---|---|---|---|---|"
dotnet bench/Hearth.Oci.Bench/bin/Release/net10.0/Hearth.Oci.Bench.dll "127.0.0.1:$port/bench/busybox:1" "$iterations" "$runtime" "$userns"
