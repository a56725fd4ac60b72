#!/bin/sh
# /init of the OUTER initramfs (busybox ash), run by the Debian kernel that
# QEMU boots with an emulated SVM CPU. Loads kvm-amd so /dev/kvm exists, runs
# /work/.vbcmd in /work, prints VMBOOT-NESTED-EXIT=<status> for the host
# side (lib.sh) and powers off. Nothing here may end without the marker or a
# poweroff: the host would then wait for its timeout.

export PATH=/bin:/sbin:/usr/bin:/usr/sbin:/work
export HOME=/work TMPDIR=/tmp
# vmboot's seccomp filters are on in every nested run; a call a filter
# forbids then ends vmboot naming the call (exit 159), not a bare SIGSYS.
export VMBOOT_SECCOMP_DEBUG=1

finish() {
	echo "VMBOOT-NESTED-EXIT=$1"
	sync
	poweroff -f
	# poweroff -f does not return; if it ever did, the kernel's panic=-1
	# and QEMU's -no-reboot end the VM once init exits.
	exit "$1"
}

# The applet links are made here, not in the archive (lib.sh:
# nested_install_busybox); --install -s resolves /proc/self/exe.
/bin/busybox mount -t proc proc /proc
/bin/busybox --install -s
mount -t devtmpfs dev /dev
mount -t sysfs sys /sys
mount -t tmpfs tmp /tmp

# khugepaged stays asleep: collapsing the VMMs' memory into huge pages
# wants a TLB flush on every emulated CPU, and one outer boot stalled on
# it ("soft lockup - CPU#1 stuck for 130s! [khugepaged]") while the other
# CPU ran a nested guest. Huge pages still come at fault time, which is
# where a VMM's MADV_HUGEPAGE RAM gets them.
echo 86400000 >/sys/kernel/mm/transparent_hugepage/khugepaged/scan_sleep_millisecs 2>/dev/null

# The host's watchdog (lib.sh nested_watch_heartbeat): a line on the serial
# port vbheartbeat= names every 10 s for as long as this kernel schedules
# at all.
heartbeat=$(sed -n 's/.*vbheartbeat=\(ttyS[0-9]\).*/\1/p' /proc/cmdline)
if [ -n "$heartbeat" ]; then
	(while :; do echo beat >"/dev/$heartbeat"; sleep 10; done) </dev/null >/dev/null 2>&1 &
fi

# kvm-amd's dependencies come first in /etc/kvm-modules (modprobe
# --show-depends order); a failure is reported by the /dev/kvm check.
while read -r ko; do
	insmod "$ko" || echo "nested: insmod $ko failed" >&2
done </etc/kvm-modules

if [ ! -c /dev/kvm ]; then
	echo "nested: /dev/kvm missing after loading kvm-amd (no SVM in the emulated CPU?)" >&2
	finish 125
fi
# run/run-cmd --disk: QEMU's virtio disks, named vda, vdb, ... in the order
# given (virtio_blk numbers them as the PCI bus probes them). devtmpfs makes
# the nodes; the probe runs asynchronously, so wait for them.
ndisks=0
[ -r /work/.vbdisks ] && read -r ndisks </work/.vbdisks
VB_NESTED_DISKS=''
if [ "${ndisks:-0}" -gt 0 ]; then
	while read -r ko; do
		insmod "$ko" || echo "nested: insmod $ko failed" >&2
	done </etc/disk-modules
	i=0
	while [ "$i" -lt "$ndisks" ]; do
		i=$((i + 1))
		disk=/dev/vd$(echo abcdefghijklmnopqrstuvwxyz | cut -c "$i")
		tries=0
		while [ ! -b "$disk" ] && [ "$tries" -lt 300 ]; do
			sleep 0.1
			tries=$((tries + 1))
		done
		if [ ! -b "$disk" ]; then
			echo "nested: $disk missing 30 s after loading virtio_blk (--disk $i)" >&2
			finish 99
		fi
		VB_NESTED_DISKS="$VB_NESTED_DISKS${VB_NESTED_DISKS:+ }$disk"
	done
fi
export VB_NESTED_DISKS

read -r up _ </proc/uptime
# Start on a fresh line: firmware output may have left the cursor mid-line.
echo
echo "VMBOOT-NESTED-KVM-READY uptime=$up"

# run --interactive: the machine file may name no kernel, so the outer VM
# becomes a host for the zero-config default: its own kernel (the inner
# guest kernel is the same Debian kernel) as /boot/vmlinuz-$(uname -r) and
# the modules the in-memory initramfs wants (lib.sh:
# nested_zeroconf_modules).
if [ -r /work/.vbzeroconf.tar.gz ]; then
	mkdir -p /boot
	cp /guest/vmlinuz "/boot/vmlinuz-$(uname -r)"
	tar -C / -xzf /work/.vbzeroconf.tar.gz || echo "nested: zero-config modules: tar failed" >&2
fi

cd /work || finish 125
if [ -e /work/.vbinteractive ]; then
	# The command's terminal is ttyS0, which QEMU connects to the user's
	# (the kernel and these messages use ttyS1): raw, so nothing is
	# echoed or held for a newline before vmboot takes it over, and
	# -onlcr, as the guest's lines already end in CR LF.
	stty -F /dev/ttyS0 raw -echo -onlcr 2>/dev/null
	sh /work/.vbcmd </dev/ttyS0 >/dev/ttyS0 2>&1
else
	sh /work/.vbcmd
fi
finish "$?"
