# Sourced by the benchmarks that run a busybox image from their own loopback registry (agent-death, compose-up,
# microvm-boot). Needs python3, docker-registry, curl, busybox-static, umoci and skopeo.

# A free TCP port on loopback.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# start_registry DIR PORT: a docker-registry on 127.0.0.1:PORT keeping its blobs under DIR/registry, answering when
# this returns; its pid is in $registry (for the caller's cleanup).
start_registry() {
  local dir=$1 port=$2
  printf 'version: 0.1\nlog: { level: error }\nstorage: { filesystem: { rootdirectory: %s/registry } }\nhttp: { addr: 127.0.0.1:%s }\n' \
    "$dir" "$port" > "$dir/registry.yml"
  docker-registry serve "$dir/registry.yml" >/dev/null 2>&1 & registry=$!
  until curl -fs "http://127.0.0.1:$port/v2/" >/dev/null 2>&1; do sleep 0.05; done
}

# busybox_layout DIR APPLET...: the OCI layout DIR/layout:bb of one layer, DIR/rootfs.tar, made of DIR/rootfs with
# busybox, a link to it for each APPLET and an empty /tmp (what the caller put in DIR/rootfs before goes in too).
busybox_layout() {
  local dir=$1 applet
  shift
  mkdir -p "$dir/rootfs/bin" "$dir/rootfs/tmp"
  cp /bin/busybox "$dir/rootfs/bin/busybox"
  for applet in "$@"; do ln -s busybox "$dir/rootfs/bin/$applet"; done
  tar -C "$dir/rootfs" -cf "$dir/rootfs.tar" .
  umoci init --layout "$dir/layout" >/dev/null
  umoci new --image "$dir/layout:bb" >/dev/null
  umoci raw add-layer --image "$dir/layout:bb" "$dir/rootfs.tar" >/dev/null
}

# push_layout DIR REFERENCE: pushes DIR/layout:bb to the registry as REFERENCE (host:port/name:tag).
push_layout() { skopeo copy --quiet --dest-tls-verify=false "oci:$1/layout:bb" "docker://$2"; }
