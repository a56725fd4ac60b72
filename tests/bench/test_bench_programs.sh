#!/usr/bin/env bash
# Every benchmark program is built by `make check` (bench/local.mk's
# check_PROGRAMS), so a benchmark that stops compiling fails the tests.
# Why: bench/blk.sh compiled bench/blk_io.c by hand and nothing else did;
# a change to a function it calls broke it unseen until its next run.
# Each C file under bench/ is a program's main source, named after it
# (bench/boot/bootbench.c: bench/boot/bootbench); by the time the script
# tests run, make check has built every check program.
set -euo pipefail
src=${VB_SRCDIR:?run by make check}
build=${VB_BUILDDIR:?run by make check}
n=0
missing=()
while IFS= read -r c; do
	rel=${c#"$src"/}
	n=$((n + 1))
	[ -x "$build/${rel%.c}" ] || missing+=("$rel")
done < <(find "$src/bench" -name '*.c' | sort)
[ "$n" -gt 0 ] || { echo "FAIL: no C file under $src/bench"; exit 1; }
if [ "${#missing[@]}" -gt 0 ]; then
	echo "FAIL: not built by make check (add to bench/local.mk's check_PROGRAMS): ${missing[*]}"
	exit 1
fi
echo "ok: the $n benchmark programs under bench/ are built by make check"
