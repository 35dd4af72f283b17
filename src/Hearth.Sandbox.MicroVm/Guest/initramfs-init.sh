#!/bin/busybox sh
# Hearth's initramfs: load the virtio modules, mount the task's disk, hand over to the guest init on it.
B=/bin/busybox
fail() { $B echo "hearth-initramfs: $*" >/dev/console; $B reboot -f; }
$B mount -t devtmpfs dev /dev
$B mount -t proc proc /proc
$B mount -t sysfs sys /sys
# insmod, unlike modprobe, does not take a module's parameters from the kernel's command line (QEMU's microvm lists
# its virtio-mmio devices there as virtio_mmio.device=...): pass them on.
while read -r module; do
  name=${module%.ko}; params=
  for word in $($B cat /proc/cmdline); do
    case $word in "$name".*=*) params="$params ${word#"$name".}" ;; esac
  done
  $B insmod "/modules/$module" $params || fail "insmod $module failed"
done </modules/order
i=0
while [ ! -b /dev/vda ]; do
  i=$((i + 1)); [ $i -gt 400 ] && fail "no /dev/vda"
  $B usleep 50000
done
$B mount -t ext4 /dev/vda /newroot || fail "cannot mount the root disk"
$B mkdir -p /newroot/.hearth /newroot/dev /newroot/proc /newroot/sys
# Sized for busybox and, for a vsock guest, socat with its libraries (a tmpfs takes only what it holds).
$B mount -t tmpfs -o size=32m,mode=0755 hearth /newroot/.hearth
$B cp /bin/busybox /guest-init /newroot/.hearth/
[ -d /vsock ] && $B cp -a /vsock /newroot/.hearth/
$B umount /proc /sys
$B mount --move /dev /newroot/dev
exec $B switch_root /newroot /.hearth/busybox sh /.hearth/guest-init
