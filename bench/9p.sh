#!/usr/bin/env bash
# 9P read throughput of a large file against read(2) on the host.
#
#   bench/9p.sh [MIB] [MSIZE]     defaults: 256 MiB, 512 KiB (Linux's
#                                 default msize for virtio-9p)
#
# Builds bench/9p_read.c with the server sources, writes a file of MIB
# MiB in a temporary directory and reads it both ways in the same run
# (page cache warm for both). First without the transport: the server's
# own cost (message decode, fid lookup, pread into the reply). Then through
# the virtqueue (bench/9p_virtq.c: a virtio-9p device driven in process by
# tests/virtio/driver.c, built in $VB_BUILD_DIR, default build/).
set -euo pipefail
mib=${1:-256}
msize=${2:-524288}
top=$(cd "$(dirname "$0")/.." && pwd)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cc -O2 -std=gnu11 -D_GNU_SOURCE -I"$top/src" -o "$dir/9p_read" \
	"$top/bench/9p_read.c" "$top/src/ninep/wire.c" "$top/src/ninep/server.c" \
	"$top/src/util/err.c"
mkdir "$dir/share"
head -c "$((mib * 1024 * 1024))" /dev/urandom >"$dir/share/big"
"$dir/9p_read" "$dir/share" big "$msize" 3
echo
build=${VB_BUILD_DIR:-$top/build}
if [ -f "$build/Makefile" ] && make -s -C "$build" bench/9p_virtq >/dev/null; then
	"$build/bench/9p_virtq" "$dir/share" big "$msize" 3
else
	echo "virtqueue: SKIP: no configured build in $build (./dev run --version makes one)"
fi
