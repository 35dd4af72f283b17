#!/usr/bin/env bash
# WordPress and MariaDB built from Debian's packages and run by Hearth, end to end:
#   1. a loopback registry (docker-registry) and a Debian base image made by mmdebstrap, pushed there with buildah;
#   2. `hearth dev` (server + one agent running the oci and buildah drivers), with its own data and CLI config;
#   3. `hearth up`: both images built on the agent with buildah and pushed, then db, then wordpress once db is healthy;
#   4. curl the published port until WordPress's install page answers; 5. `hearth down`.
# Needs root, and apt-get install buildah mmdebstrap docker-registry runc nftables iproute2 curl.
# Times each phase on stderr. KEEP=1 leaves the project up (and everything running) for a look around.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
hearth="$here/../../hearth"
suite=${SUITE:-bookworm}
mirror=${MIRROR:-http://deb.debian.org/debian}
port=${PORT:-8080}
registry_port=${REGISTRY_PORT:-5077}
api_port=${API_PORT:-7077}
work=${WORK:-/var/tmp/hearth-wordpress}
registry=127.0.0.1:$registry_port
export BASE=$registry/debian:$suite PORT=$port
# hearth dev writes the CLI's config: keep it (and the server's data) in the work directory, not in ~/.config.
export XDG_CONFIG_HOME=$work/config

step() { printf '%s [%4ss] %s\n' "$(date -u +%T)" "$SECONDS" "$*" >&2; }
for tool in buildah mmdebstrap docker-registry curl; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool is not installed (apt-get install $tool)" >&2; exit 2; }
done
[[ $(id -u) == 0 ]] || { echo "run.sh: run as root (the oci and buildah drivers need it)" >&2; exit 2; }
mkdir -p "$work"

pids=()
cleanup() {
  local code=$?
  if [[ ${KEEP:-0} == 1 && $code == 0 ]]; then
    step "KEEP=1: leaving it all running (hearth dev: pid ${pids[*]}); XDG_CONFIG_HOME=$XDG_CONFIG_HOME $hearth ps -p wordpress"
    return
  fi
  if [[ $code != 0 && -n ${up_done:-} ]]; then "$hearth" down -p wordpress >&2 || true; fi
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  [[ $code == 0 ]] || step "failed (exit $code); the server and agent said: $work/dev.log"
}
trap cleanup EXIT

wait_for() { # what, seconds, command...
  local what=$1 seconds=$2; shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    (( SECONDS < deadline )) || { echo "run.sh: $what did not happen within $seconds s" >&2; return 1; }
    sleep 1
  done
}

step "registry on $registry (storage: $work/registry)"
cat > "$work/registry.yml" <<YAML
version: 0.1
log: {level: error}
storage: {filesystem: {rootdirectory: $work/registry}}
http: {addr: $registry}
YAML
docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
pids+=($!)
wait_for "the registry to answer" 30 curl -sf "http://$registry/v2/"

if curl -sf -o /dev/null -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
    -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' "http://$registry/v2/debian/manifests/$suite"; then
  step "base image $BASE is in the registry already"
else
  if [[ -s $work/rootfs.tar ]]; then
    step "base image: reusing $work/rootfs.tar (delete it to bootstrap again)"
  else
    step "base image: mmdebstrap $suite (minbase) from $mirror"
    # No policy-rc.d needed: with no init system, invoke-rc.d refuses to start daemons inside a build.
    mmdebstrap --variant=minbase --include=ca-certificates "$suite" "$work/rootfs.tar.part" "$mirror" >&2
    mv "$work/rootfs.tar.part" "$work/rootfs.tar"
  fi
  step "base image: buildah commit and push to $BASE"
  b=(buildah --root "$work/base-store" --runroot "$work/base-run" --storage-driver vfs)
  ctr=$("${b[@]}" from scratch)
  "${b[@]}" add "$ctr" "$work/rootfs.tar" / >/dev/null
  "${b[@]}" config --cmd /bin/bash "$ctr"
  "${b[@]}" commit --quiet "$ctr" "debian-base:$suite" >/dev/null
  "${b[@]}" rm "$ctr" >/dev/null
  "${b[@]}" push --quiet --tls-verify=false "debian-base:$suite" "docker://$BASE"
fi

step "hearth dev on 127.0.0.1:$api_port (drivers oci, buildah; log: $work/dev.log)"
"$hearth" dev --listen "127.0.0.1:$api_port" --data "$work/hearth" --drivers oci,buildah >"$work/dev.log" 2>&1 &
pids+=($!)
wait_for "hearth dev to answer" 300 "$hearth" list

step "hearth up: build both images on the agent, push them to $registry, deploy"
up_done=1
"$hearth" up -d --wait --wait-timeout 900 -f "$here/compose.yaml" --registry "$registry"
step "deployed"
"$hearth" ps -p wordpress >&2

step "curl http://127.0.0.1:$port/ until WordPress's install page answers"
page=$work/page.html
install_page() { # / redirects to wp-admin/install.php until WordPress is installed
  local url
  url=$(curl -sfL -o "$page" -w '%{url_effective}' "http://127.0.0.1:$port/") \
    && [[ $url == */wp-admin/install.php ]] && grep -q '<title>WordPress &rsaquo; Installation</title>' "$page"
}
wait_for "WordPress's install page" 120 install_page
step "WordPress answers: $(grep -o '<title>[^<]*</title>' "$page")"

if [[ ${KEEP:-0} == 1 ]]; then exit 0; fi
step "hearth down"
"$hearth" down -p wordpress
up_done=
step "done"
