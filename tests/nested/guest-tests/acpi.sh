#!/bin/sh
# ACPI with the stock kernel (machines/acpi-mmio.conf, or any machine with
# vbtest=acpi): the tables the kernel found, no ACPI errors or warnings in
# its log, the virtio-mmio devices it bound through their LNRO0005 objects,
# a write to the mmio disk, DHCP over the mmio NIC and a file read over the
# mmio 9P share when the machine has them; then, by vbacpi= on the command
# line, the way the guest ends:
#   poweroff  busybox poweroff -f: ACPI S5, vmboot exits 0 ("powered off")
#   button    wait for the power button (vmboot stop presses it), then
#             poweroff -f, as systemd-logind would
#   (other)   return to /init, which reboots
fail=0
mode=$(sed -n 's/.*vbacpi=\([a-z]*\).*/\1/p' /proc/cmdline)

tables=$(ls /sys/firmware/acpi/tables 2>/dev/null | tr '\n' ' ')
echo "VMBOOT-GUEST: acpi.tables=${tables% }"
bad='ACPI (BIOS )?Error|ACPI Warning'
echo "VMBOOT-GUEST: acpi.errors=$(dmesg | grep -cE "$bad")"
dmesg | grep -E "$bad" | sed 's/^/VMBOOT-GUEST: acpi.error-line=/'
echo "VMBOOT-GUEST: acpi.lnro=$(ls -d /sys/bus/platform/devices/LNRO0005:* 2>/dev/null | wc -l)"
# Every virtio device: its id, its driver and the device it sits on.
for d in /sys/bus/virtio/devices/virtio*; do
	[ -e "$d" ] || continue
	drv=none
	[ -e "$d/driver" ] && drv=$(basename "$(readlink "$d/driver")")
	parent=$(basename "$(dirname "$(readlink -f "$d")")")
	echo "VMBOOT-GUEST: acpi.virtio=$(cat "$d/device"):$drv:$parent"
done

if [ -b /dev/vda ]; then
	printf 'VACPI-DISK-PATTERN-01\n' >/tmp/pattern
	if dd if=/tmp/pattern of=/dev/vda bs=512 seek=8 count=1 conv=sync,fsync 2>/dev/null; then
		echo "VMBOOT-GUEST: acpi.disk=written"
	else
		echo "VMBOOT-GUEST: acpi.disk=fail"
		fail=1
	fi
fi
if ls /sys/class/net | grep -qv '^lo$'; then
	. /tests/net-common.sh
fi
if grep -q acpishare /sys/bus/virtio/drivers/9pnet_virtio/*/mount_tag 2>/dev/null; then
	mkdir -p /mnt/share
	if mount -t 9p -o trans=virtio,version=9p2000.L acpishare /mnt/share; then
		echo "VMBOOT-GUEST: acpi.9p=$(cat /mnt/share/hello.txt 2>/dev/null)"
		umount /mnt/share
	else
		echo "VMBOOT-GUEST: acpi.9p=mount-failed"
		fail=1
	fi
fi

case "$mode" in
poweroff)
	sync
	echo "VMBOOT-GUEST: acpi.poweroff=now"
	poweroff -f
	;;
button)
	event=
	for e in /sys/class/input/event*; do
		[ "$(cat "$e/device/name" 2>/dev/null)" = "Power Button" ] && event=/dev/input/${e##*/}
	done
	if [ -z "$event" ]; then
		echo "VMBOOT-GUEST: acpi.button=missing"
		exit 1
	fi
	echo "VMBOOT-GUEST: acpi.button=waiting"
	# One struct input_event (24 bytes on x86-64): the key press.
	dd if="$event" of=/dev/null bs=24 count=1 2>/dev/null
	echo "VMBOOT-GUEST: acpi.button=pressed"
	poweroff -f
	;;
esac
exit "$fail"
