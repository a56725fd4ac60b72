#!/bin/bash
# User-mode network TCP throughput, guest to host, against a loopback TCP
# transfer on the same machine, in one run of the nested harness (vmboot
# needs /dev/kvm, which only the outer VM of tests/nested has here):
#   1. on the outer VM: 64 MiB through busybox nc over 127.0.0.1 (the
#      host reference);
#   2. the inner guest (machines/net-bench.conf, guest-tests/netbench.sh)
#      sends 64 MiB with the same nc to 10.0.2.2:5001, i.e. through
#      virtio-net and libslirp to a listener on the outer VM's loopback.
# Both are timed on the sender with /proc/uptime (centiseconds) and print
# MiB/s; the ratio is guest/host. Everything runs under QEMU TCG, so the
# absolute numbers are tiny; the ratio is the figure to compare.
# Usage: bench/net.sh [BUILD-DIR]   (exit 77 when the harness cannot run)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-${VB_BUILD_DIR:-$here/build}}
[ -x "$build/vmboot" ] || { echo "bench/net.sh: $build/vmboot not built" >&2; exit 77; }
log=$(mktemp "${TMPDIR:-/tmp}/vb-bench-net.XXXXXX")
trap 'rm -f "$log"' EXIT
rc=0
"$here/tests/nested/run-cmd" --timeout 1800 --vmboot "$build/vmboot" \
	--file "$here/tests/nested/machines/net-bench.conf" -- sh -c '
	busybox ip link set lo up 2>/dev/null || busybox ifconfig lo 127.0.0.1 up
	# A listener whose stdin never ends: busybox nc quits on stdin EOF.
	listen() { (busybox sleep 100000 | busybox nc -l -p "$1" >/dev/null) & }
	listen 5000
	busybox sleep 1
	t0=$(cut -d" " -f1 /proc/uptime)
	dd if=/dev/zero bs=1048576 count=64 2>/dev/null | busybox nc 127.0.0.1 5000
	t1=$(cut -d" " -f1 /proc/uptime)
	echo "HOST-LOOPBACK: mib=64 centisec=$(( ${t1%.*}${t1#*.} - ${t0%.*}${t0#*.} ))"
	listen 5001
	vmboot run net-bench.conf -k /guest/vmlinuz -i /guest/initrd.img
	echo "VMBOOT-STATUS=$?"
' >"$log" 2>&1 || rc=$?
[ "$rc" -ne 77 ] || { echo "bench/net.sh: nested harness unavailable (skipped)"; exit 77; }
host=$(sed -n 's/.*HOST-LOOPBACK: mib=\([0-9]*\) centisec=\([0-9]*\).*/\1 \2/p' "$log" | tail -1)
guest=$(sed -n 's/.*VMBOOT-GUEST: netbench.mib=\([0-9]*\) centisec=\([0-9]*\) rc=0.*/\1 \2/p' "$log" | tail -1)
if [ -z "$host" ] || [ -z "$guest" ]; then
	cat "$log"
	echo "bench/net.sh: no result (run-cmd exited $rc)" >&2
	exit 1
fi
awk -v h="$host" -v g="$guest" 'BEGIN {
	split(h, H, " "); split(g, G, " ");
	hs = H[2] ? H[1] * 100 / H[2] : 0; gs = G[2] ? G[1] * 100 / G[2] : 0;
	printf "host loopback (nested VM)   %8.1f MiB/s  (%d MiB in %.2f s)\n", hs, H[1], H[2] / 100;
	printf "guest -> host user-mode net %8.1f MiB/s  (%d MiB in %.2f s)\n", gs, G[1], G[2] / 100;
	printf "ratio guest/host            %8.3f\n", hs ? gs / hs : 0;
}'
