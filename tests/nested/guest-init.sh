#!/bin/sh
# /init of the INNER guest's initramfs (busybox ash), run by the Debian
# kernel that vmboot boots. Prints what the guest itself sees, one
# "VMBOOT-GUEST: key=value" line each, for the boot tests to assert on (see
# nested_check_guest_report in lib.sh), runs the optional test script
# selected by vbtest=NAME on the kernel command line (/tests/NAME.sh), and
# reboots: vmboot puts reboot=k on the command line, so the reset reaches
# vmboot through the keyboard controller and vmboot exits 0.

export PATH=/bin:/sbin:/usr/bin:/usr/sbin

report() {
	echo "VMBOOT-GUEST: $*"
}

# The applet links are made here, not in the archive (lib.sh:
# nested_install_busybox); --install -s resolves /proc/self/exe.
/bin/busybox mount -t proc proc /proc
/bin/busybox --install -s
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mkdir -p /tmp && mount -t tmpfs tmp /tmp

# Modules for whatever devices the machine file gave the guest; a module the
# kernel has built in, or one that finds no device, is not an error.
for m in virtio_pci virtio_mmio virtio_blk virtio_console virtio_rng \
	virtio_balloon virtio_net 9pnet_virtio 9p ext4 button evdev; do
	modprobe -q "$m" 2>/dev/null
done

# Start on a fresh line: firmware output may have left the cursor mid-line.
echo
while read -r key value _; do
	[ "$key" = "MemTotal:" ] && report "MemTotal=$value"
done </proc/meminfo
report "cpus=$(grep -c '^processor' /proc/cpuinfo)"
report "cmdline=$(cat /proc/cmdline)"
if [ -f /.vmboot-initrd ]; then
	report "initrd=ok"
else
	report "initrd=missing"
fi

# The firmware memory map as the guest kernel received it (the e820 table
# vmboot wrote into the boot parameters). /sys/firmware/memmap needs
# CONFIG_FIRMWARE_MEMMAP; otherwise fall back to the kernel's boot log.
if [ -d /sys/firmware/memmap ]; then
	for d in /sys/firmware/memmap/*; do
		report "e820=$(cat "$d/start")-$(cat "$d/end") $(cat "$d/type")"
	done
else
	dmesg | sed -n 's/.*BIOS-e820: \[mem \(0x[0-9a-f]*\)-\(0x[0-9a-f]*\)\] \(.*\)/\1-\2 \3/p' |
		sed 's/ usable$/ System RAM/' | while read -r line; do
		report "e820=$line"
	done
fi
report "kernel=$(uname -r)"
# The boot CPU's timer: lapic-deadline when the CPUID offers the local
# APIC's TSC-deadline mode, which spares the kernel its 100 ms APIC timer
# calibration; and how long the kernel took to reach this init.
report "clockevent=$(cat /sys/devices/system/clockevents/clockevent0/current_device 2>/dev/null)"
report "uptime_at_init=$(cut -d' ' -f1 /proc/uptime)"
report "modules=$(cut -d' ' -f1 /proc/modules | sort | tr '\n' ' ' | sed 's/ $//')"
# The virtio devices the guest found, as virtio device IDs (virtio 1.2
# spec, 5 "Device Types": 1 net, 2 block, 3 console, 4 entropy, 5 balloon,
# 9 9p transport), in bus order.
ids=''
for d in /sys/bus/virtio/devices/*; do
	[ -e "$d/device" ] && ids="$ids $(cat "$d/device")"
done
report "virtio=${ids# }"

# Word splitting is the point: kernel parameters are space separated.
# shellcheck disable=SC2013
for arg in $(cat /proc/cmdline); do
	case $arg in
	vbtest=*)
		name=${arg#vbtest=}
		case $name in
		'' | *[!A-Za-z0-9_-]*)
			report "test=$name status=bad-name"
			;;
		*)
			if [ -f "/tests/$name.sh" ]; then
				sh "/tests/$name.sh"
				report "test=$name status=$?"
			else
				report "test=$name status=missing"
			fi
			;;
		esac
		;;
	esac
done

report "done"
sync
reboot -f
