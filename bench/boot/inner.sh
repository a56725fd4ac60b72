#!/bin/sh
# Runs inside the nested harness's outer VM (tests/nested/run-cmd), in
# /work, where bench/boot/run put bootbench, bench.bin, bench-rom.bin and
# qemu-system-x86_64; vmboot is /bin/vmboot. Usage: inner.sh RUNS [MODE]
# MODE all (the default): vmboot against QEMU, with the baselines;
# seccomp: vmboot against vmboot --no-seccomp alone.
# Prints the report between BOOTBENCH-BEGIN and BOOTBENCH-END lines.
runs=${1:-11}
mode=${2:-all}
# Measure what users run: the nested harness turns on the seccomp debug
# mode (outer-init.sh), which resolves every system call name at start.
unset VMBOOT_SECCOMP_DEBUG
mib=64
vmboot_cmd="vmboot run -k /work/bench.bin -m $mib -c 1"
# x-option-roms=off, rtc=off, acpi=off: drop what the guest does not use,
# so QEMU is measured at its leanest for this guest. -L /work: QEMU needs
# no data files here (the ROM comes from -bios).
qemu_cmd="/work/qemu-system-x86_64 -M microvm,x-option-roms=off,rtc=off,acpi=off -accel kvm \
-nodefaults -no-user-config -display none -serial stdio -no-reboot \
-m $mib -smp 1 -L /work -bios /work/bench-rom.bin"

echo BOOTBENCH-BEGIN
echo "guest: tests/guests/bench.S (first port access writes 'b' to COM1, then"
printf '%s\n' "  'ench\\n', then a triple fault); $mib MiB, 1 vCPU; QEMU runs it from a 64 KiB BIOS ROM"
echo "vmboot: $vmboot_cmd"
echo "qemu:   $qemu_cmd" | tr -s ' '
echo "versions: $(vmboot --version 2>&1 | head -n 1); $(qemu-system-x86_64 --version | head -n 1)"
echo "host: $(uname -r) kvm-amd on QEMU TCG ($(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1)), $(nproc) CPUs"
echo "NOTE: nested KVM on an emulated CPU: absolute times are inflated many times"
echo "  over bare metal (every VM exit is emulated); compare the ratios."
if [ "$mode" = seccomp ]; then
	# The ratio line is what the filters cost: 1.05 is 5%.
	BOOTBENCH_PAIRS=1 BOOTBENCH_MAX_CPU_RATIO=1.05 bootbench "$runs" "$mib" bench vmboot "$vmboot_cmd" \
		"vmboot --no-seccomp" "$vmboot_cmd --no-seccomp"
	rc=$?
else
	# The baselines show what only starting each program costs here.
	# vmboot --no-seccomp: what the filters cost, in the same run.
	bootbench "$runs" "$mib" bench vmboot "$vmboot_cmd" qemu-microvm "$qemu_cmd" \
		"vmboot --no-seccomp" "$vmboot_cmd --no-seccomp" \
		"vmboot --version" "vmboot --version" \
		"qemu --version" "/work/qemu-system-x86_64 --version"
	rc=$?
fi
echo BOOTBENCH-END
exit "$rc"
