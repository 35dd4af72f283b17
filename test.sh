#!/usr/bin/env bash
# Runs Hearth's whole test suite. Installs the system packages the product and the tests start when they are missing
# (the tests start the servers they need themselves: registry, PostgreSQL, hearth) and removes what it started.
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
  busybox-static  # the tests' image contents and upstream httpd
  postgresql      # the tests' throwaway clusters (initdb, pg_ctl, postgres)
  python3         # this script's closing line
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "test.sh: installing ${missing[*]}" >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT

# The CLI as users run it (Native AOT, through ./hearth), built before the suite so its tests find it fresh.
"$root/hearth" --version >/dev/null
dotnet build Hearth.sln -c Release -nologo -v q "$@"
status=0
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
