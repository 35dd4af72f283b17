#!/usr/bin/env bash
# End-to-end cost of `hearth run -- true` against its floors, measured in one run on this machine:
#   - hearth run (bubblewrap, the default) vs bare bwrap with the same isolation
#   - hearth run --driver process vs a bare fork/exec of true
#   - the CLI's own start-up (hearth --version)
#   - server + agent overhead: accepted -> result stored, minus the sandbox's own run time
# Usage: bench/spine.sh [RUNS]   (needs hyperfine; prints a Markdown block for bench/RESULTS.md)
set -euo pipefail
runs=${1:-50}
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/hearth" --version >/dev/null
bin="$root/.artifacts/hearth/hearth"
work=$(mktemp -d)
export XDG_CONFIG_HOME="$work/config" XDG_DATA_HOME="$work/data"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$bin" dev --drivers bubblewrap,process --listen "127.0.0.1:$port" --data "$work/dev" >"$work/dev.out" 2>"$work/dev.err" &
dev=$!
trap 'kill -TERM $dev 2>/dev/null; wait $dev 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do grep -q "Admin API key" "$work/dev.out" 2>/dev/null && break; sleep 0.1; done
"$bin" run -- true >/dev/null 2>&1   # warm the server's JIT

# The same sandbox the bubblewrap driver builds (BubblewrapArguments: namespaces, binds, generated /etc), without Hearth.
scratch="$work/bwrap-scratch"; mkdir -p "$scratch/etc" "$scratch/work"
etc_binds=""
for f in passwd group hosts hostname nsswitch.conf resolv.conf; do : > "$scratch/etc/$f"; etc_binds+=" --ro-bind $scratch/etc/$f /etc/$f"; done
bwrap_cmd="bwrap --unshare-user --uid 1000 --gid 1000 --unshare-pid --unshare-ipc --unshare-uts --unshare-cgroup-try --unshare-net --die-with-parent --new-session --cap-drop ALL --hostname sandbox --ro-bind /usr /usr --symlink usr/bin /bin --symlink usr/sbin /sbin --symlink usr/lib /lib --symlink usr/lib64 /lib64 --proc /proc --dev /dev --tmpfs /tmp --dir /var/tmp --dir /etc$etc_binds --ro-bind-try /etc/ld.so.cache /etc/ld.so.cache --ro-bind-try /etc/alternatives /etc/alternatives --ro-bind-try /etc/localtime /etc/localtime --bind $scratch/work /sandbox --chdir /sandbox --clearenv --setenv PWD /sandbox true"

hyperfine -N --warmup 3 --runs "$runs" --export-json "$work/h.json" \
  -n "hearth run -- true (bubblewrap)" "$bin run -- true" \
  -n "bare bwrap true" "$bwrap_cmd" \
  -n "hearth run --driver process -- true" "$bin run --driver process -- true" \
  -n "bare true (fork/exec)" "true" \
  -n "hearth --version (CLI start-up)" "$bin --version" >/dev/null 2>&1

# accepted -> result stored, per run, from the server's own timestamps
"$bin" list --limit 0 -o json > "$work/runs.json"

python3 - "$work/h.json" "$work/runs.json" "$runs" <<'PY'
import json, sys, statistics, platform, os, datetime, subprocess
h = json.load(open(sys.argv[1])); runs = json.load(open(sys.argv[2]))["runs"]; n = int(sys.argv[3])
def pct(xs, p):
    xs = sorted(xs); k = max(0, min(len(xs) - 1, round(p / 100 * (len(xs) - 1)))); return xs[k]
rows = {}
for r in h["results"]:
    t = [x * 1000 for x in r["times"]]
    rows[r["command"]] = (statistics.median(t), pct(t, 95))
def when(s): return datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))
def server_side(driver):
    xs = [(when(r["ended_at"]) - when(r["created_at"])).total_seconds() * 1000
          for r in runs if r["command_summary"] == "true" and r.get("status") == "SUCCEEDED" and r.get("driver") == driver]
    return xs
cpu = subprocess.run(["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"], capture_output=True, text=True).stdout.strip()
print(f"### Spine: `hearth run -- true` ({datetime.date.today()})\n")
print(f"Machine: {os.cpu_count()} vCPU ({cpu}), {platform.system()} {platform.release()}. Command: `bench/spine.sh {n}` (hyperfine -N, {n} runs, 3 warm-up).\n")
print("| what | median ms | p95 ms |\n|---|---|---|")
for name, (m, p) in rows.items(): print(f"| {name} | {m:.1f} | {p:.1f} |")
bw = rows["hearth run -- true (bubblewrap)"][0]; bare_bw = rows["bare bwrap true"][0]
pr = rows["hearth run --driver process -- true"][0]; bare = rows["bare true (fork/exec)"][0]; cli = rows["hearth --version (CLI start-up)"][0]
for driver, bare_sandbox in (("bubblewrap", bare_bw), ("process", bare)):
    xs = server_side(driver if driver == "process" else None) if driver == "process" else server_side(None)
    if xs:
        m = statistics.median(xs)
        print(f"| server+agent, {driver}: accepted → result stored (server timestamps, ms resolution, {len(xs)} runs) | {m:.1f} | {pct(xs,95):.1f} |")
        print(f"| server+agent overhead, {driver} (above minus bare sandbox median) | {m - bare_sandbox:.1f} | |")
print(f"\nRatios in this run: hearth run (bubblewrap) / bare bwrap = {bw/bare_bw:.1f}x; CLI start-up is {cli:.0f} ms of the {bw:.0f} ms.")
PY
