#!/bin/sh
# bench/nested-io's guest half, the same under vmboot and QEMU: installed
# as /tests/nestedio.sh beside the nested tests' guest init, which runs it
# for vbtest=nestedio after loading the virtio modules. The machine has
# one disk (the 96 MiB image), one NIC on user-mode networking and the 9P
# share "nioshare" holding "file"; all on virtio-mmio. Each workload
# prints "VMBOOT-GUEST: nio.NAME=SECONDS BYTES" (ioload's report), or
# nio.NAME=fail; then "nio.done=N" with the number of failures.
DIRECT_READS=3000
RANDOM_READERS=4
RANDOM_READS=750 # per reader
WRITE_MIB=64
NET_MIB=64
fails=0

workload() {
	name=$1
	shift
	if out=$("$@"); then
		echo "VMBOOT-GUEST: nio.$name=$out"
	else
		echo "VMBOOT-GUEST: nio.$name=fail"
		fails=$((fails + 1))
	fi
}

# Reads must come from the device, not from the guest's page cache.
drop_caches() {
	sync
	echo 3 >/proc/sys/vm/drop_caches
}

diag_pause() {
	case " $(cat /proc/cmdline) " in *" nio_diag=1 "*) sleep 2 ;; esac
}

# The disk's probe may finish after the modules are loaded.
wait_for() {
	tries=0
	while [ ! -e "$1" ] && [ "$tries" -lt 100 ]; do
		sleep 0.1
		tries=$((tries + 1))
	done
	[ -e "$1" ]
}

# slirp's fixed addresses (both VMMs): the guest 10.0.2.15, the host
# 10.0.2.2, which reaches the outer VM's loopback. Static, so no DHCP
# exchange is timed or waited for.
net_up() {
	ifc=''
	for d in /sys/class/net/*; do
		[ "${d##*/}" = lo ] || { ifc=${d##*/}; break; }
	done
	[ -n "$ifc" ] || return 1
	ip link set lo up
	ip link set "$ifc" up &&
		ip addr add 10.0.2.15/24 dev "$ifc" &&
		ip route add default via 10.0.2.2
}

disk=/dev/vda
if wait_for "$disk"; then
	echo "VMBOOT-GUEST: nio.disk_bytes=$(($(cat /sys/block/vda/size) * 512))"
	echo "VMBOOT-GUEST: nio.readers=$RANDOM_READERS"
	# bench/nested-io's diag mode snapshots the outer VM around this read.
	diag_pause
	drop_caches
	workload seqread ioload read "$disk"
	diag_pause
	workload qd1 ioload direct "$disk" "$DIRECT_READS"
	workload randpar ioload random "$disk" "$RANDOM_READERS" "$RANDOM_READS"
	workload write ioload write "$disk" "$WRITE_MIB"
else
	echo "VMBOOT-GUEST: nio.disk=missing"
	fails=$((fails + 4))
fi

if net_up; then
	workload tcp ioload send 10.0.2.2 5001 "$NET_MIB"
else
	echo "VMBOOT-GUEST: nio.net=missing"
	fails=$((fails + 1))
fi

mkdir -p /mnt/nio
drop_caches
if mount -t 9p -o trans=virtio,version=9p2000.L nioshare /mnt/nio; then
	workload 9p ioload read /mnt/nio/file
	umount /mnt/nio
else
	echo "VMBOOT-GUEST: nio.9p=mount-failed"
	fails=$((fails + 1))
fi
echo "VMBOOT-GUEST: nio.done=$fails"
[ "$fails" -eq 0 ]
