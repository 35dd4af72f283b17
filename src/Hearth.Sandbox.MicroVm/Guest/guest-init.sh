# Hearth's guest init (pid 1 in the task's VM, run by /.hearth/busybox sh). Reads the task over the hearth.control
# port (one frame a line: KIND BASE64), runs it with its output on the hearth.stdout and hearth.stderr ports, records
# {"ready"} (waiting for the task: a warm pool's VM stops here), {"started"} and {"exit-code": N} on hearth.status,
# passes signals on to the command's process group, runs execs (their output on hearth.exec-stdout and
# hearth.exec-stderr, {"exec": ID, "exit-code": N} on hearth.exec-status; virtio-serial only), powers off (reboot -f:
# the kernel triple-faults, reboot=t, and QEMU runs with -no-reboot).
# Two channels: QEMU's virtio-serial ports (the default), or, with hearth.channel=vsock on the kernel command line
# (Firecracker, Flintlock: no virtio-serial), vsock through socat (/.hearth/vsock): the host connects to port 1000 for
# the frames; stdout, stderr and status go to the host (CID 2) on ports 1001, 1002 and 1003. Fifos stand for the ports.
B=/.hearth/busybox
$B mount -t proc proc /proc
$B mount -t sysfs sys /sys
$B mkdir -p /dev/pts /dev/shm
$B mount -t devpts devpts /dev/pts
$B mount -t tmpfs -o mode=1777 shm /dev/shm
$B ip link set lo up 2>/dev/null
port() {
  for d in /sys/class/virtio-ports/*; do
    [ "$($B cat "$d/name" 2>/dev/null)" = "$1" ] && { $B echo "/dev/${d##*/}"; return; }
  done
}
off() { $B sync; $B reboot -f; }
# Firecracker's Ctrl+Alt+Del (a stop's shutdown request) reaches pid 1 as SIGINT.
trap off INT
if $B grep -qw hearth.channel=vsock /proc/cmdline; then
  V=/.hearth/vsock; C=/.hearth/channel
  LD=$($B ls "$V"/ld-linux* 2>/dev/null | $B head -n 1)
  relay() { if [ -n "$LD" ]; then "$LD" --library-path "$V" "$V/socat" "$@"; else "$V/socat" "$@"; fi; }
  [ -x "$V/socat" ] || { $B echo "hearth-init: no vsock relay (socat) in the initramfs" >/dev/console; off; }
  $B mkdir -p "$C"
  $B mkfifo "$C/control" "$C/stdout" "$C/stderr"
  CTL=$C/control; OUT=$C/stdout; ERR=$C/stderr; ST=vsock
  # Each host connection's bytes go into the control fifo; the host connects again after an agent restart.
  ( while :; do relay -u VSOCK-LISTEN:1000,reuseaddr "OPEN:$CTL,wronly"; $B usleep 100000; done ) &
  # Output: a relay per stream, connecting again when the host went away; the init holds each fifo open (read-write)
  # so the command never gets SIGPIPE while a relay reconnects (it blocks once the pipe is full).
  for s in stdout:1001 stderr:1002; do
    ( while :; do relay -u "OPEN:$C/${s%:*},rdonly" "VSOCK-CONNECT:2:${s#*:}"
        [ -e "$C/ended" ] && { $B touch "$C/done.${s%:*}"; break; }; $B usleep 200000; done ) &
  done
  exec 5<>"$C/stdout" 6<>"$C/stderr"
  say() { i=0; until $B echo "$1" | relay -u STDIN VSOCK-CONNECT:2:1003; do i=$((i + 1)); [ $i -gt 300 ] && break; $B usleep 200000; done; }
  exec 3<>"$CTL"
else
  # QEMU announces its ports over the console's control queue once the driver is loaded, so on a busy host they can
  # appear after this script starts: wait for each (20 s in all) before giving up.
  i=0
  for p in control stdout stderr status exec-stdout exec-stderr exec-status; do
    while [ -z "$(port "hearth.$p")" ] && [ $i -lt 400 ]; do i=$((i + 1)); $B usleep 50000; done
  done
  CTL=$(port hearth.control); OUT=$(port hearth.stdout); ERR=$(port hearth.stderr); ST=$(port hearth.status)
  XOUT=$(port hearth.exec-stdout); XERR=$(port hearth.exec-stderr); XST=$(port hearth.exec-status)
  [ -n "$CTL" ] && [ -n "$ST" ] || { $B echo "hearth-init: virtio ports missing" >/dev/console; off; }
  say() { $B echo "$1" >"$ST"; }
  exec 3<"$CTL"
fi
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
say '{"ready": 1}'
set --
cwd=/
user=
ws=
# Until the host connects, the port reads as ended: wait and read again.
while :; do
  if ! read -r kind value <&3; then $B usleep 20000; continue; fi
  case $kind in
    env) set -- "$@" "$(decode "$value")"; $B echo "$value" >>/.hearth/env ;;
    arg) set -- "$@" "$(decode "$value")" ;;
    cwd) cwd=$(decode "$value") ;;
    workspace) ws=$(decode "$value") ;;
    user) user=$(decode "$value") ;;
    hostname) $B hostname "$(decode "$value")" ;;
    machine-id) decode "$value" >/etc/machine-id 2>/dev/null ;;
    seed) decode "$value" >/dev/urandom ;;
    net) net "$(decode "$value")" ;;
    run) break ;;
  esac
done
# workspace PATH: the disk with the serial hearth-workspace (the task's workspace, written by the host) mounted there
# and given to the task's user. Its blocks are dropped first: a warm pool's VM booted with the disk still empty.
if [ -n "$ws" ]; then
  wsdev=
  for d in /sys/block/vd*; do [ "$($B cat "$d/serial" 2>/dev/null)" = hearth-workspace ] && wsdev=/dev/${d##*/}; done
  if [ -z "$wsdev" ] || ! $B blockdev --flushbufs "$wsdev" || ! $B mkdir -p "$ws" || ! $B mount -t ext4 "$wsdev" "$ws"; then
    $B echo "hearth: cannot mount the workspace at $ws (disk ${wsdev:-not found})" >"$ERR"
    say '{"exit-code": 126}'; off
  fi
  [ -n "$user" ] && $B chown -R "$user" "$ws"
fi
if ! cd "$cwd" 2>/dev/null; then
  $B echo "hearth: working directory $cwd: not found" >"$ERR"
  say '{"exit-code": 126}'; off
fi
if [ -n "$user" ]; then
  $B setsid $B setpriv --reuid="${user%:*}" --regid="${user#*:}" --clear-groups $B env -i "$@" >"$OUT" 2>"$ERR" </dev/null &
else
  $B setsid $B env -i "$@" >"$OUT" 2>"$ERR" </dev/null &
fi
pid=$!
say "{\"started\": $pid}"
(
  cd /
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
# The workspace is read back by the host once the VM is off: everything written must be on the disk by then.
if [ -n "$ws" ]; then cd /; $B umount "$ws" 2>/dev/null || $B sync; fi
if [ "$ST" = vsock ]; then
  # Let the relays send the last output (they end at the fifos' end) before the exit code is recorded.
  $B touch "$C/ended"; exec 5>&- 6>&-
  i=0; while [ $i -lt 50 ] && ! { [ -e "$C/done.stdout" ] && [ -e "$C/done.stderr" ]; }; do i=$((i + 1)); $B usleep 100000; done
fi
say "{\"exit-code\": $code}"
off
