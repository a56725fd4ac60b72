#!/usr/bin/env bash
# virtio-blk in process against pread/pwrite on the same file, same run.
#
#   bench/blk.sh [MIB] [SECONDS]    defaults: 256 MiB image, 6 s per workload
#
# Builds bench/blk_io.c against the build's libvmboot.a (VB_BUILD_DIR,
# default build/) and the guest-driver helper of the device tests, then
# runs 4 KiB random reads and 1 MiB sequential writes at queue depth 1 and
# 32 both ways (see blk_io.c). Prints IOPS, MB/s and the ratio per line.
# Then the same again with the I/O thread's seccomp filter loaded, and what
# the filter costs: virtio-blk IOPS filtered / unfiltered per workload.
set -euo pipefail
mib=${1:-256}
seconds=${2:-6}
top=$(cd "$(dirname "$0")/.." && pwd)
build=${VB_BUILD_DIR:-$top/build}
[ -f "$build/Makefile" ] || "$top/dev" run --version >/dev/null
make -s -C "$build" bench/blk_io
dir=$(mktemp -d "${VB_BENCH_DIR:-${TMPDIR:-/tmp}}/vb-blk.XXXXXX")
trap 'rm -rf "$dir"' EXIT
echo "image: $mib MiB in $dir ($(df -T "$dir" | awk 'NR == 2 { print $2 }')), page cache warm"
"$build/bench/blk_io" "$dir/image.raw" "$mib" "$seconds" | tee "$dir/plain.txt"
"$build/bench/blk_io" "$dir/image.raw" "$mib" "$seconds" --seccomp | tee "$dir/seccomp.txt"
# The virtio-blk IOPS is the field after "| virtio-blk".
echo "seccomp cost (virtio-blk IOPS with the filter / without; 1.00 = free):"
awk -F'|' '/\| virtio-blk/ {
		split($1, name, "  pread"); split($2, v, " ")
		if (FILENAME ~ /plain/) { base[FNR] = v[2]; label[FNR] = name[1] }
		else if (base[FNR] > 0) printf "  %s  %.3f\n", label[FNR], v[2] / base[FNR]
	}' "$dir/plain.txt" "$dir/seccomp.txt"
