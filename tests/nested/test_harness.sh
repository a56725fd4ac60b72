#!/bin/bash
# Proves the nested harness itself, without needing vmboot to boot a guest:
#  1. run-cmd gives a real /dev/kvm: kvmprobe (kvmprobe.c) creates a VM and a
#     vCPU and checks the I/O exits of a few real-mode instructions;
#  2. run-cmd passes arguments intact and propagates the exit status;
#  3. the inner guest's initramfs reports correctly: booted directly by QEMU
#     (no vmboot), its VMBOOT-GUEST lines pass the same checks test_boot.sh
#     applies to a vmboot-booted guest, and vbtest= runs a guest test.
# Skips (77) without QEMU, the kernel or its kvm modules. Slow (three TCG
# boots, about a minute; the first run also builds the cached initramfs).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"

nested_require
cc=${CC:-cc}
command -v "$cc" >/dev/null || nested_skip "no C compiler ($cc) to build kvmprobe"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vb-test-harness.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
failed=0

fail() {
	echo "FAIL: $*"
	failed=1
}

# Runs run-cmd with the given arguments, output to $tmp/$1.log (also shown,
# for the test log). Sets rc.
run_cmd() {
	local name=$1
	shift
	rc=0
	"$here/run-cmd" --timeout 300 "$@" >"$tmp/$name.log" 2>&1 || rc=$?
	cat "$tmp/$name.log"
	[ "$rc" -ne 77 ] || nested_skip "run-cmd skipped"
}

echo "== 1. /dev/kvm in the outer VM (kvmprobe)"
"$cc" -std=gnu11 -O2 -Wall -Wextra -Werror -o "$tmp/kvmprobe" "$here/kvmprobe.c"
run_cmd probe --file "$tmp/kvmprobe" -- ./kvmprobe
[ "$rc" -eq 0 ] || fail "kvmprobe exited $rc, expected 0"
for want in 'kvmprobe: api=12' 'kvmprobe: out port=0x10 value=0x42' \
	'kvmprobe: out port=0x11 value=0x07' 'kvmprobe: hlt' 'kvmprobe: ok'; do
	grep -qF "$want" "$tmp/probe.log" || fail "no '$want' in the console"
done
grep -q 'nested: time: outer boot to /dev/kvm' "$tmp/probe.log" ||
	fail "no outer boot timing"

echo "== 2. arguments and exit status"
# Exits 9 if the argument was mangled on the way, 8 if the installed vmboot
# cannot even start (missing library: 127), else false's 1.
# shellcheck disable=SC2016 # $1 and $? are for the guest's shell
script='[ "$1" = "a b'\''c \$x" ] || exit 9
if [ -e /bin/vmboot ]; then vmboot >/dev/null 2>&1; [ $? -ne 127 ] || exit 8; fi
false'
run_cmd status -- sh -c "$script" argv0 "a b'c \$x"
[ "$rc" -eq 1 ] || fail "run-cmd exited $rc, expected false's 1"

echo "== 3. the inner guest's report (booted directly by QEMU)"
nested_prepare
rc=0
# A virtio-rng device proves the initramfs's modprobe and modules.dep work:
# virtio_pci must bind it for the guest to list it on the virtio bus.
timeout --kill-after=10 300 "$NESTED_QEMU" -accel tcg -m 256M -smp 2 \
	-nographic -no-reboot -nic none -device virtio-rng-pci \
	-kernel "$NESTED_KERNEL" -initrd "$NESTED_CACHE_DIR/guest-initrd.img" \
	-append "console=ttyS0 quiet reboot=k vbcheck=1 vbtest=hello" \
	</dev/null 2>&1 | tr -d '\r' >"$tmp/guest.log" || rc=$?
cat "$tmp/guest.log"
[ "$rc" -eq 0 ] || fail "qemu exited $rc"
nested_check_guest_report "$tmp/guest.log" 256 2 vbcheck=1 || failed=1
nested_guest_lines "$tmp/guest.log" >"$tmp/guest.lines"
grep -qx 'test=hello status=0' "$tmp/guest.lines" || fail "vbtest=hello did not run"
grep -qx 'hello.uname=x86_64' "$tmp/guest.lines" ||
	fail "no output from guest-tests/hello.sh"
grep -q '^e820=0x[0-9a-f]*-0x[0-9a-f]* System RAM$' "$tmp/guest.lines" ||
	fail "no e820 System RAM line"
grep -qx "kernel=$NESTED_KVER" "$tmp/guest.lines" || fail "kernel is not $NESTED_KVER"
grep -qx 'virtio=0x0004' "$tmp/guest.lines" ||
	fail "the guest did not find the virtio-rng device (virtio ID 4)"

if [ "$failed" -ne 0 ]; then
	echo "test_harness: FAILED"
	exit 1
fi
echo "test_harness: all checks passed"
