# Hearth's guest init (pid 1 in the task's VM, run by /.hearth/busybox sh). Reads the task over the hearth.control
# port (one frame a line: KIND BASE64), runs it with its output on the hearth.stdout and hearth.stderr ports, records
# {"ready"} (waiting for the task: a warm pool's VM stops here), {"started"} and {"exit-code": N} on hearth.status,
# passes signals on to the command's process group, runs execs (their output on hearth.exec-stdout and
# hearth.exec-stderr, {"exec": ID, "exit-code": N} on hearth.exec-status), powers off (reboot -f: the kernel
# triple-faults, reboot=t, and QEMU runs with -no-reboot).
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
XOUT=$(port hearth.exec-stdout); XERR=$(port hearth.exec-stderr); XST=$(port hearth.exec-status)
off() { $B sync; $B reboot -f; }
[ -n "$CTL" ] && [ -n "$ST" ] || { $B echo "hearth-init: virtio ports missing" >/dev/console; off; }
decode() { $B echo "$1" | $B base64 -d; }
# net "ADDRESS/PREFIX GATEWAY [NAMESERVER]": the VM's one network interface.
net() {
  set -- $1
  $B ip link set eth0 up && $B ip addr add "$1" dev eth0 && $B ip route add default via "$2"
  [ -n "$3" ] && $B echo "nameserver $3" >/etc/resolv.conf 2>/dev/null
}
# run_exec ID ARG...: one exec (ARGs base64), with the task's environment, working directory and user, in its own
# process group; its exit code on the exec-status port once its output is written.
run_exec() {
  id=$1; shift; n=$#
  for a; do set -- "$@" "$(decode "$a")"; done; shift $n
  # The environment goes before the command, in the order it was given: appended, then the command rotated behind it.
  [ -f /.hearth/env ] && while read -r v; do set -- "$@" "$(decode "$v")"; done </.hearth/env
  i=0
  while [ $i -lt $n ]; do a=$1; shift; set -- "$@" "$a"; i=$((i + 1)); done
  cd "$cwd" 2>/dev/null || cd /
  if [ -n "$user" ]; then
    $B setsid $B setpriv --reuid="${user%:*}" --regid="${user#*:}" --clear-groups $B env -i "$@" >"$XOUT" 2>"$XERR" </dev/null &
  else
    $B setsid $B env -i "$@" >"$XOUT" 2>"$XERR" </dev/null &
  fi
  xpid=$!
  $B echo "$xpid" >"/.hearth/exec-$id"
  wait $xpid
  code=$?
  $B rm -f "/.hearth/exec-$id"
  $B echo "{\"exec\": \"$id\", \"exit-code\": $code}" >"$XST"
}
exec 3<"$CTL"
$B echo '{"ready": 1}' >"$ST"
set --
cwd=/
user=
# Until the host connects, the port reads as ended: wait and read again.
while :; do
  if ! read -r kind value <&3; then $B usleep 20000; continue; fi
  case $kind in
    env) set -- "$@" "$(decode "$value")"; $B echo "$value" >>/.hearth/env ;;
    arg) set -- "$@" "$(decode "$value")" ;;
    cwd) cwd=$(decode "$value") ;;
    user) user=$(decode "$value") ;;
    hostname) $B hostname "$(decode "$value")" ;;
    machine-id) decode "$value" >/etc/machine-id 2>/dev/null ;;
    seed) decode "$value" >/dev/urandom ;;
    net) net "$(decode "$value")" ;;
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
    case $kind in
      signal) $B kill -"$value" -"$pid" 2>/dev/null ;;
      exec) run_exec $value & ;;
      exec-kill) [ -f "/.hearth/exec-$value" ] && $B kill -9 -"$($B cat "/.hearth/exec-$value")" 2>/dev/null ;;
    esac
  done
) &
wait $pid
code=$?
$B echo "{\"exit-code\": $code}" >"$ST"
off
