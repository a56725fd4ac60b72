#!/bin/sh
# bench/nested-io's outer half: runs inside the nested harness's outer VM
# (tests/nested/run-cmd), in /work, where bench/nested-io put ioload,
# nio-extra.cpio.gz (guest.sh as /tests/nestedio.sh and ioload as
# /bin/ioload, for the inner guest), qemu-system-x86_64 and
# bios-microvm.bin; vmboot is /bin/vmboot.
#
# Boots one guest ROUNDS times under each VMM, alternating (vmboot then
# QEMU in odd rounds, QEMU then vmboot in even ones): the nested tests'
# kernel and initramfs plus guest.sh, the same RAM, vCPUs and devices,
# QEMU's virtio over MMIO and vmboot's over TRANSPORT (mmio, the default,
# or pci), the same image on this VM's tmpfs. Prints the report between
# NESTEDIO-BEGIN and NESTEDIO-END: a header, then one "nio VMM ROUND KEY
# VALUE..." line per guest result (guest.sh's nio.KEY=VALUE) and, for a
# run that worked, "nio VMM ROUND run SECONDS", the outer VM's wall time
# of the whole run, boot included; a "RETRY:" line for one that did not,
# which runs once more, and a "FAILED:" line when that did not work
# either. Exits 1 when a round failed twice.
#
# Usage: inner.sh ROUNDS [TRANSPORT [diag|- [FIRST]]]: FIRST (default 1)
# numbers the first round, so that rounds run in outer VMs of their own
# keep their numbers.
rounds=${1:-3}
# vmboot's virtio transport: mmio (QEMU microvm's) or pci (vmboot's
# default, with MSI-X).
transport=${2:-mmio}
# diag: snapshots around the buffered read and the write (diag_watch
# below).
diag=${3:-}
first=${4:-1}
# What users run: not the seccomp debug mode the harness turns on.
unset VMBOOT_SECCOMP_DEBUG
dir=/tmp/nio # tmpfs (outer-init.sh)
guest_mib=256
guest_cpus=2
disk_mib=96
file_mib=64
params="quiet vbtest=nestedio"
# guest.sh pauses around the buffered read for the snapshots.
[ "$diag" != diag ] || params="$params nio_diag=1"
run_timeout=480 # a run takes about 100 s
tcp_port=5001 # guest.sh sends to 10.0.2.2:5001

setup() {
	mkdir -p "$dir/share" || return 1
	ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up
	cat /guest/initrd.img /work/nio-extra.cpio.gz >"$dir/initrd.img" &&
		dd if=/dev/zero of="$dir/disk.img" bs=1M count="$disk_mib" 2>/dev/null &&
		dd if=/dev/zero of="$dir/share/file" bs=1M count="$file_mib" 2>/dev/null &&
		write_machine_file
}

write_machine_file() {
	cat >"$dir/nested-io.conf" <<EOF
name = "nested-io";
cpus = $guest_cpus;
memory = $guest_mib;
kernel = "/guest/vmlinuz";
initrd = "$dir/initrd.img";
params = "$params";
devices = (
  { type = "disk"; id = "disk0"; path = "$dir/disk.img"; transport = "$transport"; },
  { type = "net"; mode = "user"; transport = "$transport"; },
  { type = "9p"; path = "$dir/share"; tag = "nioshare"; transport = "$transport"; }
);
EOF
}

# vmboot's disk is buffered pread/pwrite on the image with fdatasync for a
# FLUSH (src/virtio/blk_disk.c): QEMU's cache=writeback. aio=threads is
# QEMU's default for it, named so it shows. rtc stays: without it the
# Debian kernel hangs in early boot; x-option-roms=off: qboot loads the
# kernel itself; auto-kernel-cmdline=off: the DSDT describes the devices,
# as vmboot's does. reboot=t: microvm has no keyboard controller, so the
# guest init's reboot ends QEMU (-no-reboot) by a triple fault.
qemu_cmd() {
	echo "/work/qemu-system-x86_64 -M microvm,x-option-roms=off,auto-kernel-cmdline=off" \
		"-accel kvm -cpu host -smp $guest_cpus -m $guest_mib" \
		"-nodefaults -no-user-config -display none -no-reboot -L /work" \
		"-kernel /guest/vmlinuz -initrd $dir/initrd.img" \
		"-append 'console=ttyS0 reboot=t panic=-1 $params'" \
		"-drive id=disk0,file=$dir/disk.img,format=raw,if=none,cache=writeback,aio=threads" \
		"-device virtio-blk-device,drive=disk0" \
		"-netdev user,id=net0 -device virtio-net-device,netdev=net0" \
		"-fsdev local,id=fs0,path=$dir/share,security_model=none" \
		"-device virtio-9p-device,fsdev=fs0,mount_tag=nioshare"
}

vmboot_cmd() {
	echo "vmboot run $dir/nested-io.conf"
}

uptime_centisec() {
	read -r up _ </proc/uptime
	echo "${up%.*}${up#*.}"
}

# Runs VMM ($1) for round $2; the guest console goes to $dir/VMM-ROUND.log.
# A failure is reported on a line starting with $3 (default FAILED).
run_one() {
	vmm=$1 round=$2 log=$dir/$1-$2.log
	t0=$(uptime_centisec)
	diag_pid=''
	if [ "$diag" = diag ]; then
		comm=vmboot
		[ "$vmm" = vmboot ] || comm=qemu-system-x86
		diag_watch "$vmm" "$round" "$log" "$comm" >"$log.diag" &
		diag_pid=$!
	fi
	case $vmm in
	vmboot)
		# A run that outlives its time leaves where each vmboot thread
		# waits (kernel stacks: a vCPU in the guest, halted, or on a
		# lock), for the report below.
		(sleep $((run_timeout - 10)) && thread_stacks vmboot >"$log.stacks") &
		watch=$!
		eval "timeout $run_timeout $(vmboot_cmd)" >"$log" 2>&1 </dev/null
		status=$?
		kill "$watch" 2>/dev/null
		wait "$watch" 2>/dev/null
		(exit "$status")
		;;
	qemu) eval "timeout $run_timeout $(qemu_cmd) -serial file:$log" >"$log.err" 2>&1 </dev/null ;;
	esac
	status=$?
	t1=$(uptime_centisec)
	if [ -n "$diag_pid" ]; then
		kill "$diag_pid" 2>/dev/null
		wait "$diag_pid" 2>/dev/null
		cat "$log.diag"
	fi
	tr -d '\r' <"$log" | sed -n 's/.*VMBOOT-GUEST: nio\.\([a-z0-9_]*\)=\(.*\)/\1 \2/p' |
		while read -r key value; do
			case $key in
			diag_*) echo "diag $vmm $round guest ${key#diag_} $value" ;;
			*) echo "nio $vmm $round $key $value" ;;
			esac
		done
	d=$((t1 - t0))
	secs=$(printf '%d.%02d' $((d / 100)) $((d % 100)))
	if [ "$status" -ne 0 ] || ! tr -d '\r' <"$log" | grep -q 'VMBOOT-GUEST: nio.done=0'; then
		echo "${3:-FAILED}: $vmm round $round: exit status $status after $secs s; the console" \
			"after the last result:"
		console_after_results "$log" | sed 's/^/  /'
		[ ! -s "$log.err" ] || sed 's/^/  qemu: /' "$log.err"
		[ ! -s "$log.stacks" ] || sed 's/^/  stacks: /' "$log.stacks"
		return 1
	fi
	echo "nio $vmm $round run $secs"
}

# Every thread of the process named $1: name, where it waits, its kernel
# stack.
thread_stacks() {
	pid=$(pid_of "$1")
	[ -n "$pid" ] || return 0
	for t in /proc/"$pid"/task/*; do
		echo "${t##*/} $(cat "$t/comm") $(cat "$t/wchan" 2>/dev/null)"
		cat "$t/stack" 2>/dev/null | head -n 12
	done
}

# What the guest printed after its last result, where a hang shows first
# (the kernel's hung-task and RCU-stall reports): 30 lines, and the last 5.
console_after_results() {
	tr -d '\r' <"$1" | awk '
		{ line[NR] = $0 }
		/VMBOOT-GUEST: nio\./ { from = NR + 1 }
		END {
			if (!from) from = 1
			for (i = from; i <= NR && i < from + 30; i++) print line[i]
			if (NR >= from + 30) print "..."
			for (i = (NR - 4 > from + 30 ? NR - 4 : from + 30); i <= NR; i++) print line[i]
		}'
}

# ---- diag (inner.sh ROUNDS TRANSPORT diag): what the outer VM did
# during the buffered read and the write: the VMM's threads' CPU
# ticks and context switches, its AnonHugePages, KVM's exit counters for
# its VM, and the outer kernel's THP, compaction and fault counters,
# snapshot when the guest prints nio.disk_bytes (just before drop_caches
# and the read), again at nio.seqread, then around the write (phases
# write-before and write-after). One "diag VMM ROUND PHASE ..." line per
# snapshot item.

# The pid of a process named $1 (the outer VM runs one VMM at a time and
# has no pgrep).
pid_of() {
	found=''
	for c in /proc/[0-9]*/comm; do
		[ "$(cat "$c" 2>/dev/null)" = "$1" ] && found=${c%/comm} && found=${found#/proc/}
	done
	echo "$found"
}

diag_snapshot() { # VMM ROUND PHASE PID
	pfx="diag $1 $2 $3"
	read -r _ u n s i w rest </proc/stat
	echo "$pfx cpu user=$u nice=$n sys=$s idle=$i iowait=$w"
	grep -E '^(thp_fault_alloc|thp_fault_fallback|compact_stall|compact_fail|pgfault|thp_split_pmd) ' \
		/proc/vmstat | while read -r k v; do echo "$pfx vmstat $k=$v"; done
	[ -n "$4" ] || return 0
	grep -E '^(AnonHugePages|Rss)' "/proc/$4/smaps_rollup" 2>/dev/null |
		while read -r k v _; do echo "$pfx mem $k$v"; done
	# KVM's counters for this VM (its vCPUs' summed): how the guest
	# left it, by reason, and how its halts and page faults went.
	for f in /sys/kernel/debug/kvm/"$4"-*/; do
		[ -d "$f" ] || continue
		for k in exits halt_exits io_exits mmio_exits irq_exits irq_window_exits \
			irq_injections request_irq_exits signal_exits pf_taken pf_fixed pf_guest \
			insn_emulation halt_successful_poll halt_attempted_poll halt_wakeup \
			host_state_reload; do
			[ -r "$f$k" ] && echo "$pfx kvm $k=$(cat "$f$k")"
		done
	done
	for t in /proc/"$4"/task/*; do
		# utime, stime: fields 14, 15 of stat (after the comm in parentheses).
		st=$(cat "$t/stat" 2>/dev/null) || continue
		set -- ${st##*) }
		vol=$(sed -n 's/^voluntary_ctxt_switches:[[:space:]]*//p' "$t/status")
		inv=$(sed -n 's/^nonvoluntary_ctxt_switches:[[:space:]]*//p' "$t/status")
		echo "$pfx task ${t##*/} $(tr ' ' _ <"$t/comm") utime=${12} stime=${13} vcs=$vol ics=$inv"
	done
}

# Background: waits for the markers in the run's console log.
# Each phase's snapshot is taken when the guest prints its marker, in
# the guest's pause after it (guest.sh's diag_pause).
diag_watch() { # VMM ROUND LOG COMM
	[ -d /sys/kernel/debug/kvm ] || mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
	n=0
	pid=''
	set -- "$@" before nio.disk_bytes= after nio.seqread= \
		write-before nio.randpar= write-after nio.write=
	vmm=$1 round=$2 log=$3 comm=$4
	shift 4
	while [ $# -gt 0 ] && [ "$n" -lt 2400 ]; do
		[ -n "$pid" ] || pid=$(pid_of "$comm")
		if [ -f "$log" ] && tr -d '\r' <"$log" | grep -q "$2"; then
			diag_snapshot "$vmm" "$round" "$1" "$pid"
			shift 2
			continue
		fi
		sleep 0.25
		n=$((n + 1))
	done
}

header() {
	echo "guest: the nested tests' Debian kernel and initramfs + bench/nested-io.d/guest.sh;" \
		"$guest_mib MiB, $guest_cpus vCPUs; disk, net, 9p on virtio-mmio (ACPI DSDT)," \
		"vmboot's on virtio-$transport"
	echo "disk: a ${disk_mib} MiB raw image on the outer VM's tmpfs, host page cache" \
		"(vmboot pread/pwrite + fdatasync; QEMU cache=writeback,aio=threads);" \
		"9p: a ${file_mib} MiB file"
	echo "vmboot: $(vmboot_cmd) ($(vmboot --version 2>&1 | head -n 1))"
	echo "qemu:   $(qemu_cmd) ($(/work/qemu-system-x86_64 --version | head -n 1))"
	echo "host: $(uname -r) kvm-amd on QEMU TCG ($(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo |
		head -n 1)), $(nproc) CPUs"
}

echo NESTEDIO-BEGIN
if ! setup; then
	echo "FAILED: setting up $dir"
	echo NESTEDIO-END
	exit 1
fi
ioload sink "$tcp_port" &
sink=$!
header
failed=0
round=$first
while [ "$round" -lt $((first + rounds)) ]; do
	# The first guest of an outer VM runs slower than the second (most
	# likely the emulator translating the outer kernel's KVM paths for
	# the first time): odd rounds start with vmboot, even rounds with
	# QEMU, so neither VMM always pays for it.
	order="vmboot qemu"
	[ $((round % 2)) = 1 ] || order="qemu vmboot"
	for vmm in $order; do
		# A guest that dies in this outer VM (both VMMs' do now and then,
		# early in boot) gets one more try: its round is then still
		# measured. The first try's report stays, marked RETRY.
		run_one "$vmm" "$round" RETRY || run_one "$vmm" "$round" || failed=1
	done
	round=$((round + 1))
done
kill "$sink" 2>/dev/null
echo NESTEDIO-END
exit "$failed"
