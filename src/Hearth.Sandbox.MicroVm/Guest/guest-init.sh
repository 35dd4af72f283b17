# Hearth's guest init (pid 1 in the task's VM, run by /.hearth/busybox sh). Reads the task over the hearth.control
# port (one frame a line: KIND BASE64), runs it with its output on the hearth.stdout and hearth.stderr ports, records
# {"started"} and {"exit-code": N} on hearth.status, passes signals on to the command's process group, powers off (reboot -f: the kernel triple-faults, reboot=t, and QEMU runs with -no-reboot).
B=/.hearth/busybox
$B mount -t proc proc /proc
$B mount -t sysfs sys /sys
$B mkdir -p /dev/pts /dev/shm
$B mount -t devpts devpts /dev/pts
$B mount -t tmpfs -o mode=1777 shm /dev/shm
$B ip link set lo up 2>/dev/null
port() {
  for d in /sys/class/virtio-ports/*; do
    [ "$($B cat "$d/name")" = "$1" ] && { $B echo "/dev/${d##*/}"; return; }
  done
}
CTL=$(port hearth.control); OUT=$(port hearth.stdout); ERR=$(port hearth.stderr); ST=$(port hearth.status)
off() { $B sync; $B reboot -f; }
[ -n "$CTL" ] && [ -n "$ST" ] || { $B echo "hearth-init: virtio ports missing" >/dev/console; off; }
decode() { $B echo "$1" | $B base64 -d; }
exec 3<"$CTL"
set --
cwd=/
user=
# Until the host connects, the port reads as ended: wait and read again.
while :; do
  if ! read -r kind value <&3; then $B usleep 20000; continue; fi
  case $kind in
    env|arg) set -- "$@" "$(decode "$value")" ;;
    cwd) cwd=$(decode "$value") ;;
    user) user=$(decode "$value") ;;
    hostname) $B hostname "$(decode "$value")" ;;
    machine-id) decode "$value" >/etc/machine-id 2>/dev/null ;;
    seed) decode "$value" >/dev/urandom ;;
    run) break ;;
  esac
done
if ! cd "$cwd" 2>/dev/null; then
  $B echo "hearth: working directory $cwd: not found" >"$ERR"
  $B echo '{"exit-code": 126}' >"$ST"; off
fi
if [ -n "$user" ]; then
  $B setsid $B setpriv --reuid="${user%:*}" --regid="${user#*:}" --clear-groups $B env -i "$@" >"$OUT" 2>"$ERR" </dev/null &
else
  $B setsid $B env -i "$@" >"$OUT" 2>"$ERR" </dev/null &
fi
pid=$!
$B echo "{\"started\": $pid}" >"$ST"
(
  while :; do
    if ! read -r kind value <&3; then $B usleep 100000; continue; fi
    [ "$kind" = signal ] && $B kill -"$value" -"$pid" 2>/dev/null
  done
) &
wait $pid
code=$?
$B echo "{\"exit-code\": $code}" >"$ST"
off
