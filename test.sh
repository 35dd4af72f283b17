#!/usr/bin/env bash
# Runs Hearth's whole test suite. Installs the system packages the product and the tests start when they are missing
# (the tests start the servers they need themselves: registry, PostgreSQL, hearth, and stop them; what a crashed or
# hung test host left running is stopped here). Ends with one line over every test project, also when the build
# fails or a test host aborts. Its arguments go to both `dotnet build` and `dotnet test`.
#
#   HEARTH_TEST_HANG_TIMEOUT  a test silent this long fails with a dump of its host (default 5m)
#   HEARTH_TEST_DEADLINE      the whole `dotnet test` is stopped after this (default 40m: the suite takes under 20 on two cores; twice that is a hang)
#   HEARTH_TEST_ARGS          more arguments for `dotnet test` only, e.g. '--filter FullyQualifiedName~Lock'
set -euo pipefail
cd "$(dirname "$0")"
root=$PWD

# Every program the product or the tests start, by the Debian package that ships it. Essential packages (coreutils,
# bash, sh, hostname) are not listed.
packages=(
  bubblewrap      # bwrap: the bubblewrap driver
  runc crun       # the OCI driver's runtimes
  iproute2        # ip: the OCI bridge network (netns, veth, bridge); the tests' upstream namespace
  nftables        # nft: the OCI bridge network's published ports and masquerade
  procps          # sysctl in a container's network namespace; kill and ps in the tests
  util-linux      # nsenter (the OCI driver's sysfs mount), runuser (the tests' PostgreSQL as 'postgres')
  mount           # mount: the OCI driver's cgroup fix on hybrid hosts
  git             # the agent's checkouts; the tests' repositories and git daemon
  skopeo umoci    # the tests build and push images into a local registry with them
  docker-registry # the tests' local registry
  buildah         # the buildah driver: compose services' build: (and its tests)
  busybox-static  # the tests' image contents and upstream httpd; the microvm driver's guest init
  qemu-system-x86 qemu-utils  # the microvm driver: QEMU's microvm machine and qemu-img (task overlays)
  linux-image-cloud-amd64     # the microvm driver's default guest kernel
  e2fsprogs       # mkfs.ext4 -d, debugfs: the microvm driver's root disks and workspace disks (in and out)
  socat           # the microvm driver's vsock guest relay (Firecracker, Flintlock: copied into their initramfs)
  gcc libc6-dev   # ./hearth links the Native AOT CLI with them (the native CLI tests and the benchmarks run it)
  postgresql      # the tests' throwaway clusters (initdb, pg_ctl, postgres)
  python3         # this script's closing line
  nodejs          # npm and node: the OpenAPI documents' linter and type generator (tools/openapi)
  chromium        # the web UI tests drive it headless (Microsoft.Playwright, no browser download)
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Some nodejs builds carry npm themselves; Debian's ships it apart.
command -v npm >/dev/null || missing+=(npm)
if ((${#missing[@]})); then
  echo "test.sh: installing ${missing[*]}" >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

# TRX files and hang dumps, one directory per test project (Directory.Build.props), kept after the run.
results="$root/.artifacts/test-results"
rm -rf "$results" && mkdir -p "$results"
projects=()
for p in tests/*/*.csproj; do projects+=("$(basename "$p" .csproj)"); done

# Everything the test run starts inherits this mark, so what a crashed or hung test host left running (PostgreSQL,
# docker-registry, hearth servers and agents) is found and stopped afterwards, and nothing else.
mark="HEARTH_TEST_RUN=$$-$(date +%s%N)"
sweep() {
  local pids=() environ pid
  for environ in /proc/[0-9]*/environ; do
    pid=${environ#/proc/}; pid=${pid%/environ}
    { tr '\0' '\n' <"$environ"; } 2>/dev/null | grep -qxF "$mark" && pids+=("$pid")
  done
  ((${#pids[@]})) || return 0
  echo "test.sh: stopping ${#pids[@]} process(es) the test run left running: ${pids[*]}" >&2
  kill -TERM "${pids[@]}" 2>/dev/null || true
  for _ in $(seq 50); do
    any_alive "${pids[@]}" || return 0
    sleep 0.1
  done
  kill -KILL "${pids[@]}" 2>/dev/null || true
}
any_alive() {
  local pid
  for pid; do kill -0 "$pid" 2>/dev/null && return 0; done
  return 1
}

# The API's OpenAPI documents as `hearth api spec` prints them, checked by tools no one here wrote (versions pinned in
# tools/openapi/package-lock.json): Redocly's linter (its strict rules: any problem fails the run) and openapi-typescript,
# whose types must then compile.
# (Called as a condition, where `set -e` does not hold: each step returns on its own failure.)
openapi_check() {
  local out="$results/openapi" tools="$root/tools/openapi" bin="$root/tools/openapi/node_modules/.bin"
  mkdir -p "$out"
  "$root/hearth" api spec >"$out/v1.json" || return
  "$root/hearth" api spec --agent >"$out/agent-v1.json" || return
  (cd "$tools" && npm ci --no-audit --no-fund --loglevel=error >&2) || return
  "$bin/redocly" lint --config "$tools/redocly.yaml" --format=summary "$out/v1.json" "$out/agent-v1.json" >&2 || return
  for doc in v1 agent-v1; do
    "$bin/openapi-typescript" "$out/$doc.json" -o "$out/$doc.d.ts" >&2 || return
  done
  "$bin/tsc" --noEmit --strict "$out/v1.d.ts" "$out/agent-v1.d.ts" >&2
}

# The code's layout: CSharpier's format (.csharpierrc.yaml: 120 columns; a local tool, restored from NuGet) and lines
# of at most 120 characters outside string literals (tools/check-line-length.py).
style_check() {
  local out="$results/style"
  mkdir -p "$out"
  dotnet tool restore >"$out/restore.log" 2>&1 || { cat "$out/restore.log" >&2; return 1; }
  dotnet csharpier check . >"$out/csharpier.log" 2>&1 || { cat "$out/csharpier.log" >&2; return 1; }
  python3 "$root/tools/check-line-length.py" >&2
}

# What the suite's agents made for sandboxes (processes, containers, mounts, cgroups, network namespaces, veths,
# nftables elements, image leases, directories) must not outlive it: the orphan reaper, over every owner on the host
# (the suite's scratch directories are temporary and gone by now), must find nothing. Its list is kept.
leftovers_check() {
  local out="$results/leftovers" code=0
  mkdir -p "$out"
  "$root/hearth" agent reap --dry-run --all --scratch "$out/scratch" -o json >"$out/reap.json" 2>"$out/reap.err" || code=$?
  ((code == 0)) && return 0
  echo "test.sh: the test run left sandbox resources behind (hearth agent reap --dry-run --all exited $code):" >&2
  cat "$out/reap.json" "$out/reap.err" >&2
  return 1
}

# One closing line over every test project, counted from the TRX files. A project without a TRX, or whose run was
# aborted (its test host crashed, hung or was stopped), counts as one failed test beyond what its TRX reports; a build
# that failed counts as one failed test and runs nothing.
summary() {
  python3 - "$results" "$1" "${2:-0}" "${3:-0}" "${4:-0}" "${projects[@]}" <<'PY'
import sys, glob, os, xml.etree.ElementTree as ET
results, build_failed, openapi_failed, leftovers_failed, style_failed, projects = (
    sys.argv[1], sys.argv[2] == "1", sys.argv[3] == "1", sys.argv[4] == "1", sys.argv[5] == "1", sys.argv[6:])
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
p = f = s = 0
notes = []
if openapi_failed:
    f += 1
    notes.append("the OpenAPI documents failed their checks (above)")
if style_failed:
    f += 1
    notes.append("the code's format or line lengths failed their check (above; dotnet csharpier format .)")
if leftovers_failed:
    f += 1
    notes.append("the test run left sandbox resources behind (above; hearth agent reap --all removes them)")
if build_failed:
    f += 1
    notes.append("the build failed; no test ran")
else:
    for project in projects:
        trx = sorted(glob.glob(os.path.join(results, project, "*.trx")))
        if not trx:
            f += 1
            notes.append(f"{project}: no results (its run never ended)")
            continue
        for path in trx:
            summary = ET.parse(path).getroot().find("t:ResultSummary", ns)
            c = summary.find("t:Counters", ns)
            n = lambda k: int(c.get(k, 0))
            p += n("passed")
            f += n("failed") + n("error") + n("timeout") + n("aborted") + n("disconnected")
            s += n("notExecuted")
            # A run's messages include each failed test's line (outcome Error too): only an abort, a crash or a hang
            # of the test host is a failure beyond the counters.
            aborted = [t for r in summary.iterfind("t:RunInfos/t:RunInfo", ns) if r.get("outcome") == "Error"
                       for t in [r.findtext("t:Text", "", ns)]
                       if any(w in t.lower() for w in ("aborted", "crash", "hang", "test host process"))]
            if aborted:
                f += 1
                notes.append(f"{project}: {aborted[0].strip().splitlines()[0]}")
for note in notes:
    print(f"test.sh: {note}", file=sys.stderr)
print(f"{p} passed, {f} failed, {s} skipped")
sys.exit(1 if f else 0)
PY
}

trap 'sweep; exit 130' INT TERM

style_failed=0
style_check || style_failed=1

# The CLI as users run it (Native AOT, through ./hearth), built before the suite so its tests find it fresh.
if ! { "$root/hearth" --version >/dev/null && dotnet build Hearth.sln -c Release -nologo -v q "$@"; }; then
  summary 1 0 0 "$style_failed" || true
  exit 1
fi

status=0
openapi_failed=0
# The OpenAPI check needs only ./hearth and node: it runs beside the tests instead of before them.
openapi_check &
openapi_pid=$!

# shellcheck disable=SC2086 # HEARTH_TEST_ARGS is split on purpose
env "$mark" MSBUILDDISABLENODEREUSE=1 timeout --kill-after=1m "${HEARTH_TEST_DEADLINE:-40m}" \
  dotnet test Hearth.sln -c Release --no-build -nologo -p:HearthTestResults="$results" --logger trx \
    --blame-hang-timeout "${HEARTH_TEST_HANG_TIMEOUT:-5m}" --blame-hang-dump-type mini \
    ${HEARTH_TEST_ARGS:-} "$@" || status=$?
if ((status == 124 || status == 137)); then
  echo "test.sh: the test run passed its deadline of ${HEARTH_TEST_DEADLINE:-40m} and was stopped" >&2
fi
wait "$openapi_pid" || { openapi_failed=1; ((status)) || status=1; }
sweep
leftovers_failed=0
leftovers_check || { leftovers_failed=1; status=1; }
summary 0 "$openapi_failed" "$leftovers_failed" "$style_failed" || ((status)) || status=1
exit "$status"
