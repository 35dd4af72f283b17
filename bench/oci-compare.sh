#!/usr/bin/env bash
# One run, four ways to start `true` in the same busybox-static image:
#   hearth run --image REF -- true   end to end: CLI -> `hearth dev` (server + local agent; its oci runtime is `auto`:
#                                    crun where it works, else runc) -> result; plus, from the server's own timestamps,
#                                    accepted -> result stored for the same runs (what the CLI's start-up is not)
#   hearth run -- true               the same path with bubblewrap, for comparison
#   runc run                          bare runtime, a `runc spec` bundle on the same rootfs
#   podman run --rm                   rootful podman (crun, netavark), default network and --network none
#   docker run --rm                   a dockerd started here (runc), default network and --network none
# Everything runs against its own state: a docker-registry on a free loopback port (the image is pushed there
# with umoci + skopeo), `hearth dev` on a free loopback port with temp data and XDG dirs, podman with its own
# --root/--runroot/--tmpdir and containers.conf, dockerd with its own data-root/exec-root/pidfile/socket.
# All of it is stopped and removed on exit, including the bridges and firewall chains podman and docker add.
#
# Needs root and: runc, umoci, skopeo, docker-registry, busybox-static, hyperfine, jq, python3, and
#   apt-get install --no-install-recommends podman netavark aardvark-dns catatonit docker.io
# hearth is built from `git archive HEAD` (a clean snapshot, not the working tree) the way `./hearth` builds it (so with
# the same publish settings as users get), unless HEARTH_BIN is set.
# Usage: bench/oci-compare.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-30}
work=$(mktemp -d /tmp/hearth-oci-compare.XXXXXX)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() { for _ in $(seq 200); do "$@" >/dev/null 2>&1 && return 0; sleep 0.05; done; echo "timed out: $*" >&2; return 1; }
links_before=$(ls /sys/class/net)
tables_before=$(nft list tables)
iptables_before=$(iptables-save)
forward_policy=$(iptables -S FORWARD | awk '$1 == "-P" {print $3}')

# TERM (background jobs of a script ignore INT), then KILL if it is still there after 20 s.
stop() {
  kill -TERM "$1" 2>/dev/null || return 0
  for _ in $(seq 200); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$1" 2>/dev/null
  wait "$1" 2>/dev/null
}

cleanup() {
  set +e
  [[ -n ${dev_pid:-} ]] && stop "$dev_pid"
  if [[ -n ${dockerd_pid:-} ]]; then
    "${docker[@]}" rmi -f bench-bb:1 >/dev/null 2>&1
    stop "$dockerd_pid"
  fi
  [[ -n ${podman:-} ]] && "${podman[@]}" rmi -af >/dev/null 2>&1
  [[ -n ${registry_pid:-} ]] && stop "$registry_pid"
  # Bridges podman and docker created (docker0, podman0) and their firewall chains; hearth's own bridge
  # (hearth0) is not touched here: `-- true` runs without a network.
  for link in $(ls /sys/class/net); do
    grep -qx "$link" <<<"$links_before" || case $link in docker0|podman*|cni-podman*) ip link del "$link";; esac
  done
  if [[ "$(iptables-save)" != "$iptables_before" ]]; then
    iptables-save | grep -v -E 'DOCKER|NETAVARK|docker0|podman' | iptables-restore
    iptables -P FORWARD "$forward_policy"
  fi
  # Tables that appeared during the run (iptables-nft's filter/nat) and hold no rule any more.
  while read -r table; do
    [[ -z $table ]] || grep -qxF "$table" <<<"$tables_before" && continue
    nft list $table | grep -vqE '^\s*(table|chain|type|\}|$)' || nft delete $table
  done <<<"$(nft list tables)"
  grep -F "$work" /proc/mounts | awk '{print $2}' | sort -r | xargs -r -n1 umount -l
  rm -rf "$work"
}
trap cleanup EXIT

# --- registry and image -------------------------------------------------------------------------------------
reg_port=$(free_port)
cat >"$work/registry.yml" <<YML
version: 0.1
log: { level: error }
storage: { filesystem: { rootdirectory: $work/registry } }
http: { addr: 127.0.0.1:$reg_port }
YML
docker-registry serve "$work/registry.yml" >/dev/null 2>&1 &
registry_pid=$!
wait_for curl -fs "http://127.0.0.1:$reg_port/v2/"

rootfs=$work/rootfs
mkdir -p "$rootfs/bin" "$rootfs/etc" "$rootfs/tmp" "$rootfs/proc" "$rootfs/sys" "$rootfs/dev"
cp /bin/busybox "$rootfs/bin/busybox"
for applet in sh true echo sleep; do ln -s busybox "$rootfs/bin/$applet"; done
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$rootfs/etc/passwd"
printf 'root:x:0:\n' >"$rootfs/etc/group"
tar -C "$rootfs" -cf "$work/rootfs.tar" .
umoci init --layout "$work/layout" >/dev/null
umoci new --image "$work/layout:bb" >/dev/null
umoci raw add-layer --image "$work/layout:bb" "$work/rootfs.tar" >/dev/null
umoci config --image "$work/layout:bb" --config.cmd /bin/true >/dev/null
image="127.0.0.1:$reg_port/bench/busybox:1"
skopeo copy --quiet --dest-tls-verify=false "oci:$work/layout:bb" "docker://$image"

# --- hearth dev ---------------------------------------------------------------------------------------------
if [[ -z ${HEARTH_BIN:-} ]]; then
  mkdir -p "$work/src"
  git archive HEAD | tar -x -C "$work/src"
  "$work/src/hearth" --version >/dev/null
  HEARTH_BIN=$work/src/.artifacts/hearth/hearth
fi
# The driver alone (start, wait, dispose in-process), from the same snapshot when it was built here.
oci_bench_src=${work}/src/bench/Hearth.Oci.Bench
[[ -d $oci_bench_src ]] || oci_bench_src=bench/Hearth.Oci.Bench
dotnet build "$oci_bench_src" -c Release -o "$work/oci-bench" -nologo -v q >/dev/null
export XDG_CONFIG_HOME=$work/xdg/config XDG_DATA_HOME=$work/xdg/data XDG_STATE_HOME=$work/xdg/state XDG_CACHE_HOME=$work/xdg/cache
dev_port=$(free_port)
"$HEARTH_BIN" dev --listen "127.0.0.1:$dev_port" --data "$work/dev" >"$work/dev.log" 2>&1 &
dev_pid=$!
wait_for test -s "$XDG_CONFIG_HOME/hearth/config.yaml"
wait_for curl -fs "http://127.0.0.1:$dev_port/health"
"$HEARTH_BIN" images pull "$image" >/dev/null 2>&1

# --- bare runc bundle on the same rootfs --------------------------------------------------------------------
bundle=$work/bundle
mkdir -p "$bundle"
(cd "$bundle" && runc spec)
jq --arg root "$rootfs" '.root = {path: $root, readonly: true} | .process.terminal = false | .process.args = ["true"]' \
  "$bundle/config.json" >"$bundle/config.tmp" && mv "$bundle/config.tmp" "$bundle/config.json"
runc_root=$work/runc

# --- podman (own storage and containers.conf; the feasibility doc's ulimit fix) -----------------------------
cat >"$work/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF
export CONTAINERS_CONF=$work/containers.conf
podman=(podman --root "$work/podman/root" --runroot "$work/podman/run" --tmpdir "$work/podman/tmp")
"${podman[@]}" import --change 'CMD ["/bin/true"]' "$work/rootfs.tar" localhost/bench-bb:1 >/dev/null 2>&1

# --- dockerd started by hand ----------------------------------------------------------------------------------
# Optional: a host without dockerd (docker.io not installed) measures the other rows.
docker_rows=()
if command -v dockerd >/dev/null; then
  d=$work/docker
  mkdir -p "$d"
  dockerd --data-root "$d/root" --exec-root "$d/exec" --pidfile "$d/dockerd.pid" -H "unix://$d/docker.sock" >"$d/dockerd.log" 2>&1 &
  dockerd_pid=$!
  docker=(/usr/bin/docker -H "unix://$d/docker.sock")
  wait_for "${docker[@]}" info
  "${docker[@]}" import -c 'CMD ["/bin/true"]' "$work/rootfs.tar" bench-bb:1 >/dev/null
  docker_rows=(-n "docker run --rm" "${docker[*]} run --rm bench-bb:1 true"
               -n "docker run --rm --network none" "${docker[*]} run --rm --network none bench-bb:1 true")
fi

# --- measure --------------------------------------------------------------------------------------------------
# A server runs for days: let its JIT tier up on both paths first, so the first rows do not pay for it alone.
for _ in $(seq 15); do
  "$HEARTH_BIN" run --image "$image" -- true >/dev/null 2>&1
  "$HEARTH_BIN" run -- true >/dev/null 2>&1
done
hyperfine -N --warmup 3 --runs "$runs" --style none --export-json "$work/times.json" \
  -n "hearth run --image (end to end)" "$HEARTH_BIN run --image $image -- true" \
  -n "hearth run -- true (bubblewrap, end to end)" "$HEARTH_BIN run -- true" \
  -n "hearth list --limit 1 (CLI start + one API call)" "$HEARTH_BIN list --limit 1" \
  -n "bare runc run" "runc --root $runc_root run --bundle $bundle bench-bare" \
  -n "podman run --rm" "${podman[*]} run --rm localhost/bench-bb:1 true" \
  -n "podman run --rm --network none" "${podman[*]} run --rm --network none localhost/bench-bb:1 true" \
  "${docker_rows[@]}" >/dev/null
# accepted -> result stored, per run, from the server's own timestamps (warm-ups included; ms resolution)
"$HEARTH_BIN" list --limit 0 -o json >"$work/runs.json"
dotnet "$work/oci-bench/Hearth.Oci.Bench.dll" "$image" "$runs" runc >"$work/driver.md"
dotnet "$work/oci-bench/Hearth.Oci.Bench.dll" "$image" "$runs" crun >>"$work/driver.md" || true

echo "machine: $(uname -srm), $(nproc) vCPU, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(. /etc/os-release; echo "$PRETTY_NAME")"
echo "versions: $(runc --version | head -1); $(crun --version 2>/dev/null | head -1); $(podman --version); $(command -v dockerd >/dev/null && /usr/bin/docker --version || echo "no dockerd"); hearth $(git rev-parse --short HEAD)"
echo "date: $(date -u +%Y-%m-%dT%H:%MZ); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "command: bench/oci-compare.sh $runs"
echo
python3 - "$work/times.json" "$work/driver.md" "$work/runs.json" <<'PY'
import datetime, json, statistics, sys
results = json.load(open(sys.argv[1]))["results"]
driver = [l.strip().strip("|").split("|") for l in open(sys.argv[2]) if l.startswith("| ")]
runs = json.load(open(sys.argv[3]))["runs"]
def when(s): return datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))
def server_side(driver_name):
    # The newest runs are the measured ones (hyperfine's warm-ups included), not the JIT warm-up before them.
    mine = sorted((r for r in runs if r["command_summary"] == "true" and r.get("status") == "SUCCEEDED" and r.get("driver") == driver_name),
                  key=lambda r: r["created_at"])[-(len(results[0]["times"]) + 3):]
    return [(when(r["ended_at"]) - when(r["created_at"])).total_seconds() * 1000 for r in mine]
def p95(xs):
    xs = sorted(xs); k = 0.95 * (len(xs) - 1); f = int(k)
    return xs[f] + (xs[min(f + 1, len(xs) - 1)] - xs[f]) * (k - f)
rows = [(r["command"], len(r["times"]), statistics.median(r["times"]) * 1000, p95(r["times"]) * 1000) for r in results]
rows += [(c[0].strip() + " (in process, Hearth.Oci.Bench)", int(c[1]), float(c[2]), float(c[3])) for c in driver]
for label, name in (("server + agent, oci: accepted -> result stored (server timestamps)", "oci"),
                    ("server + agent, bubblewrap: accepted -> result stored (server timestamps)", None)):
    xs = server_side(name)
    if xs: rows.append((label, len(xs), statistics.median(xs), p95(xs)))
podman = next(m for n, _, m, _ in rows if n == "podman run --rm")
podman_none = next(m for n, _, m, _ in rows if n == "podman run --rm --network none")
print("| what | runs | median ms | p95 ms | median / podman | median / podman --network none |")
print("|---|---|---|---|---|---|")
for name, n, median, high in rows:
    print(f"| {name} | {n} | {median:.1f} | {high:.1f} | {median / podman:.2f}x | {median / podman_none:.2f}x |")
PY
