#!/bin/sh
# vmboot kernel-check end to end: exit statuses and the report's lines.
set -u
vmboot=${VB_BUILDDIR:-.}/vmboot
fixtures=${VB_SRCDIR:-.}/tests/kcheck/fixtures
fail=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT

expect() { # STATUS ARGS...
	want=$1
	shift
	"$vmboot" "$@" >"$out" 2>&1
	got=$?
	if [ "$got" != "$want" ]; then
		echo "FAIL: vmboot $* exited $got, expected $want:"
		cat "$out"
		fail=1
	fi
}

expect_line() {
	grep -q -- "$1" "$out" || { echo "FAIL: no line matching '$1' in:"; cat "$out"; fail=1; }
}

expect 1 kernel-check "$fixtures/stripped.config"
expect_line '^CONFIG_SERIAL_8250 is not set .*\[essential\]'
expect_line '^CONFIG_VIRTIO_BLK=m  *virtio-blk disks: module (the initramfs must load it)$'
expect_line '^summary: .*(2 essential)'

expect 0 kernel-check "$fixtures/full.config"
expect_line '^summary: 10 built in, 8 modules, 0 missing'

expect 2 kernel-check
expect 2 kernel-check a b
expect 1 kernel-check /nonexistent/vmlinuz
expect_line 'kernel-check: open /nonexistent/vmlinuz'

# The host's Debian kernel, when there is one.
for k in /boot/vmlinuz-*; do
	[ -f "$k" ] || continue
	expect 0 kernel-check "$k"
	expect_line '^configuration: '
	expect_line '^CONFIG_SERIAL_8250_CONSOLE=y'
	break
done
exit $fail
