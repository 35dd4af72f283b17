#!/usr/bin/env bash
# The CLI's own start-up against its floor, measured side by side in one run on this machine:
#   - a Native AOT program that prints one line, built by the same SDK with default AOT settings (the floor)
#   - hearth --version, hearth run --help (parses the whole command tree), hearth status of a run on no server
# Usage: bench/cli-startup.sh [RUNS] [BASELINE_HEARTH]   (installs hyperfine when missing; prints a Markdown block for
# bench/RESULTS.md). BASELINE_HEARTH: another hearth binary (an earlier build) whose --version is timed in the same run.
set -euo pipefail
runs=${1:-100}
baseline=${2:-}
root="$(cd "$(dirname "$0")/.." && pwd)"
if ! command -v hyperfine >/dev/null; then
  echo "cli-startup.sh: installing hyperfine" >&2
  apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hyperfine >&2
fi
"$root/hearth" --version >/dev/null
bin="$root/.artifacts/hearth/hearth"
floor_dir="$root/.artifacts/aot-floor"
dotnet publish "$root/bench/Hearth.Bench.AotFloor/Hearth.Bench.AotFloor.csproj" -c Release -r linux-x64 \
  -p:PublishAot=true -o "$floor_dir" -nologo -v q >&2
floor="$floor_dir/Hearth.Bench.AotFloor"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export XDG_CONFIG_HOME="$work/config"   # no config: status fails fast on the unreachable default server

extra=()
[[ -n "$baseline" ]] && extra=(-n "baseline: $baseline --version" "$baseline --version")
hyperfine -N --warmup 5 --runs "$runs" --export-json "$work/h.json" -i \
  -n "AOT floor (prints one line)" "$floor" \
  -n "hearth --version" "$bin --version" \
  -n "hearth run --help" "$bin run --help" \
  -n "hearth status x --server http://127.0.0.1:9 (refused)" "$bin status x --server http://127.0.0.1:9" \
  "${extra[@]}" >/dev/null 2>&1

python3 - "$work/h.json" "$runs" "$bin" "$floor" <<'PY'
import json, sys, statistics, platform, os, datetime, subprocess
h = json.load(open(sys.argv[1])); n = int(sys.argv[2])
cpu = subprocess.run(["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"],
                     capture_output=True, text=True).stdout.strip()
size = lambda p: os.path.getsize(p) / 1e6
print(f"### CLI start-up against the AOT floor ({datetime.date.today()})\n")
print(f"Machine: {os.cpu_count()} vCPU ({cpu}), {platform.system()} {platform.release()}. "
      f"Command: `bench/cli-startup.sh {n}` (hyperfine -N, {n} runs, 5 warm-up). "
      f"Binaries: hearth {size(sys.argv[3]):.1f} MB, floor {size(sys.argv[4]):.1f} MB.\n")
print("| what | median ms | p95 ms | × floor (medians) |\n|---|---|---|---|")
rows = []
for r in h["results"]:
    t = sorted(x * 1000 for x in r["times"])
    rows.append((r["command"], statistics.median(t), t[max(0, round(0.95 * (len(t) - 1)))]))
base = rows[0][1]
for name, m, p in rows: print(f"| {name} | {m:.1f} | {p:.1f} | {m / base:.2f} |")
PY
