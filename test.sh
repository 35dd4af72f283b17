#!/usr/bin/env bash
# Runs Hearth's whole test suite. Installs the system packages the tests use when they are missing
# (the tests start the servers they need themselves: registry, PostgreSQL, hearth) and removes what it started.
set -euo pipefail
cd "$(dirname "$0")"
root=$PWD

packages=(bubblewrap runc crun skopeo umoci docker-registry busybox-static git postgresql iproute2 procps nodejs)
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

results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT

# The CLI as users run it (Native AOT, through ./hearth), built before the suite so its tests find it fresh.
"$root/hearth" --version >/dev/null
status=0

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
if ! openapi_check; then
  echo "test.sh: the OpenAPI documents failed their checks (above)" >&2
  status=1
fi

dotnet build Hearth.sln -c Release -nologo -v q "$@"
dotnet test Hearth.sln -c Release --no-build -nologo \
  --logger "trx" --results-directory "$results" "$@" || status=$?

# One closing line over every test project, counted from the TRX files.
python3 - "$results" <<'PY' || true
import sys, glob, xml.etree.ElementTree as ET
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
p = f = s = 0
for path in glob.glob(sys.argv[1] + "/*.trx"):
    c = ET.parse(path).getroot().find("t:ResultSummary/t:Counters", ns)
    p += int(c.get("passed", 0)); f += int(c.get("failed", 0)) + int(c.get("error", 0)) + int(c.get("timeout", 0))
    s += int(c.get("notExecuted", 0))
print(f"{p} passed, {f} failed, {s} skipped")
PY
exit $status
