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

diagnosing() {
	case " $(cat /proc/cmdline) " in *" nio_diag=1 "*) return 0 ;; esac
	return 1
}

diag_pause() {
	! diagnosing || sleep 2
}

# The diag mode's "nio.diag_KEY=VALUE" lines: what this guest kernel
# chose on this VMM (CPU flags, speculation mitigations, clock source,
# the disk's queue limits), so that two VMMs' guests can be compared.
diag_guest() {
	diagnosing || return 0
	echo "VMBOOT-GUEST: nio.diag_flags=$(sed -n 's/^flags[^:]*: //p' /proc/cpuinfo | head -n 1)"
	for f in /sys/devices/system/cpu/vulnerabilities/*; do
		[ -r "$f" ] && echo "VMBOOT-GUEST: nio.diag_vuln_${f##*/}=$(cat "$f")"
	done
	echo "VMBOOT-GUEST: nio.diag_clocksource=$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
	for q in read_ahead_kb max_sectors_kb max_segments nr_requests optimal_io_size scheduler; do
		[ -r "/sys/block/vda/queue/$q" ] &&
			echo "VMBOOT-GUEST: nio.diag_queue_$q=$(cat "/sys/block/vda/queue/$q")"
	done
}

# The diag mode's count of the disk's interrupts ($1: a phase name), each
# CPU's column summed (every vector of the disk's under MSI-X).
diag_irqs() {
	diagnosing || return 0
	dev=$(readlink /sys/block/vda/device)
	n=$(awk -v dev="${dev##*/}" '
		$NF == dev || index($NF, dev "-") == 1 { for (i = 2; $i ~ /^[0-9]+$/; i++) s += $i }
		END { print s + 0 }' /proc/interrupts)
	echo "VMBOOT-GUEST: nio.diag_disk_irqs_$1=$n"
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
	# Before the first snapshot: its lines cost console exits of their own.
	diag_guest
	echo "VMBOOT-GUEST: nio.disk_bytes=$(($(cat /sys/block/vda/size) * 512))"
	echo "VMBOOT-GUEST: nio.readers=$RANDOM_READERS"
	# bench/nested-io's diag mode snapshots the outer VM around this read
	# and the write.
	diag_pause
	drop_caches
	diag_irqs before
	workload seqread ioload read "$disk"
	diag_irqs after
	diag_pause
	workload qd1 ioload direct "$disk" "$DIRECT_READS"
	workload randpar ioload random "$disk" "$RANDOM_READERS" "$RANDOM_READS"
	diag_pause
	workload write ioload write "$disk" "$WRITE_MIB"
	diag_pause
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
