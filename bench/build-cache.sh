#!/bin/sh
# The build layer cache: times a cold build of a small Dockerfile, the same context built again with buildah's layer
# cache (--layers, as the buildah driver runs it) and, for comparison, again without it (what builds did before).
# Run as root with buildah installed; everything stays on this machine (the base image is made here FROM scratch).
set -eu
work=$(mktemp -d /tmp/hearth-bench-build.XXXXXX)
trap 'buildah --root "$work/store" --runroot "$work/run" rm --all >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
mkdir -p "$work/base" "$work/app"
cp /bin/busybox "$work/base/busybox"
printf 'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "--install", "-s", "/bin"]\n' > "$work/base/Dockerfile"
cat > "$work/app/Dockerfile" <<'DOCKERFILE'
FROM localhost/bench-base
RUN dd if=/dev/urandom of=/blob bs=1M count=64 2>/dev/null && sha256sum /blob > /blob.sum
RUN for i in $(seq 1 2000); do echo "line $i" >> /lines; done && gzip -9 /lines
ARG VERSION=1
COPY app.txt /app.txt
RUN wc -c /app.txt /blob.sum > /sizes
DOCKERFILE
echo "hello" > "$work/app/app.txt"
buildah() { command buildah --root "$work/store" --runroot "$work/run" --storage-driver overlay "$@"; }
flags="--isolation oci --runtime runc --network none"
buildah bud $flags -t bench-base "$work/base" >/dev/null 2>&1
now() { date +%s.%N; }
timed() { label=$1; shift; start=$(now); buildah bud $flags "$@" -f "$work/app/Dockerfile" "$work/app" >/dev/null 2>&1; end=$(now)
  printf '%-44s %6.2f s\n' "$label" "$(echo "$end - $start" | bc)"; }
echo "machine: $(nproc) cores, $(uname -r); load: $(cut -d' ' -f1-3 /proc/loadavg); $(buildah --version)"
timed "first build (cold, --layers)" --layers -t bench:1
timed "same context again, --layers (cached)" --layers -t bench:2
timed "same context again, no --layers (before)" -t bench:3
echo "changed" > "$work/app/app.txt"
timed "app.txt changed, --layers (COPY onwards)" --layers -t bench:4
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
