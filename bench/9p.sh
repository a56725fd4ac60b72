#!/usr/bin/env bash
# 9P read throughput of a large file against read(2) on the host.
#
#   bench/9p.sh [MIB] [MSIZE]     defaults: 256 MiB, 512 KiB (Linux's
#                                 default msize for virtio-9p)
#
# Builds bench/9p_read and bench/9p_virtq in $VB_BUILD_DIR (default
# build/, configured by ./dev when missing), writes a file of MIB
# MiB in a temporary directory and reads it both ways in the same run
# (page cache warm for both). First without the transport: the server's
# own cost (message decode, fid lookup, pread into the reply). Then through
# the virtqueue (bench/9p_virtq.c: a virtio-9p device driven in process by
# tests/virtio/driver.c).
set -euo pipefail
mib=${1:-256}
msize=${2:-524288}
top=$(cd "$(dirname "$0")/.." && pwd)
build=${VB_BUILD_DIR:-$top/build}
[ -f "$build/Makefile" ] || "$top/dev" run --version >/dev/null
make -s -C "$build" bench/9p_read bench/9p_virtq
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkdir "$dir/share"
head -c "$((mib * 1024 * 1024))" /dev/urandom >"$dir/share/big"
"$build/bench/9p_read" "$dir/share" big "$msize" 3
echo
"$build/bench/9p_virtq" "$dir/share" big "$msize" 3
