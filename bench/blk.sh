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
[ -f "$build/libvmboot.a" ] || { echo "bench/blk.sh: no $build/libvmboot.a (build first)" >&2; exit 2; }
# The libraries libvmboot.a needs, as the build's Makefile has them.
# Only its variable assignments are read: including the Makefile itself
# would let make regenerate it (and print that) when a local.mk changed.
vars=$(awk '/^[A-Za-z0-9_]+ *=/ { on = 1 } on { print; if (!/\\$/) on = 0 }' "$build/Makefile")
libs=$(printf '%s\nprint-libs:\n\t@echo $(VB_LIBS)\n' "$vars" | make -s -f - print-libs)
libs=$(echo "$libs" | sed "s|libvmboot.a|$build/libvmboot.a|")
dir=$(mktemp -d "${VB_BENCH_DIR:-${TMPDIR:-/tmp}}/vb-blk.XXXXXX")
trap 'rm -rf "$dir"' EXIT
# shellcheck disable=SC2086
cc -O2 -std=gnu11 -D_GNU_SOURCE -I"$top/src" -I"$build" -o "$dir/blk_io" \
	"$top/bench/blk_io.c" "$top/tests/virtio/driver.c" $libs
echo "image: $mib MiB in $dir ($(df -T "$dir" | awk 'NR == 2 { print $2 }')), page cache warm"
"$dir/blk_io" "$dir/image.raw" "$mib" "$seconds" | tee "$dir/plain.txt"
"$dir/blk_io" "$dir/image.raw" "$mib" "$seconds" --seccomp | tee "$dir/seccomp.txt"
# The virtio-blk IOPS is the field after "| virtio-blk".
echo "seccomp cost (virtio-blk IOPS with the filter / without; 1.00 = free):"
awk -F'|' '/\| virtio-blk/ {
		split($1, name, "  pread"); split($2, v, " ")
		if (FILENAME ~ /plain/) { base[FNR] = v[2]; label[FNR] = name[1] }
		else if (base[FNR] > 0) printf "  %s  %.3f\n", label[FNR], v[2] / base[FNR]
	}' "$dir/plain.txt" "$dir/seccomp.txt"
