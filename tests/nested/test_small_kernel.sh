#!/bin/bash
# Builds (or reuses) the small inner guest kernel (kernel/build: Debian's
# kernel source, tinyconfig + kernel/vmboot.config) and boots
# machines/small.conf with it under vmboot on nested KVM
# (tests/nested/run --guest-kernel small). The guest must report the usual
# memory, CPUs, command line and initrd, and must be the small kernel, not
# the Debian one: that kernel is the one that finds virtio-mmio devices
# announced on the command line; a second boot proves that: a virtio-rng
# on the MMIO transport (machines/rng-mmio.conf) is found and /dev/hwrng
# yields bytes.
#
# Slow: the first run on a machine compiles the kernel (several minutes on
# two cores; cached afterwards), then one TCG boot with a nested guest.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"

nested_require
[ -n "$(nested_vmboot_path)" ] || nested_skip "no vmboot binary (set VB_BUILDDIR)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vb-test-small-kernel.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
failed=0

echo "== building or reusing the small guest kernel (cold: several minutes)"
rc=0
image=$("$here/kernel/build") || rc=$?
[ "$rc" -ne 77 ] || nested_skip "the small guest kernel cannot be built here"
if [ "$rc" -ne 0 ]; then
	echo "FAIL: tests/nested/kernel/build exited $rc"
	exit 1
fi
echo "== small guest kernel: $image"
small_release=$(sed -n 's/^# Linux\/x86 \([^ ]*\) Kernel Configuration$/\1/p' \
	"$(dirname "$image")/config")
echo "== booting small.conf with it (release ${small_release:-unknown})"

rc=0
"$here/run" --guest-kernel small --timeout 900 "$here/machines/small.conf" \
	>"$tmp/small.log" 2>&1 || rc=$?
cat "$tmp/small.log"
[ "$rc" -ne 77 ] || nested_skip "run skipped"
if [ "$rc" -ne 0 ]; then
	echo "FAIL: run exited $rc, expected 0 (guest reboot)"
	failed=1
fi
nested_check_guest_report "$tmp/small.log" 256 2 vbcheck=1 || failed=1

# The guest's uname -r: the small kernel's release, never the Debian
# kernel's (which would mean the harness installed the wrong image).
kernel=$(nested_guest_lines "$tmp/small.log" | sed -n 's/^kernel=//p' | tail -n 1)
if [ -z "$kernel" ] || [ "$kernel" = "$NESTED_KVER" ]; then
	echo "FAIL: guest kernel '${kernel:-missing}', expected the small kernel, not $NESTED_KVER"
	failed=1
elif [ -n "$small_release" ] && [ "$kernel" != "$small_release" ]; then
	echo "FAIL: guest kernel '$kernel', expected $small_release"
	failed=1
fi

echo "== booting rng-mmio.conf with it: virtio-rng on the MMIO transport"
rc=0
"$here/run" --guest-kernel small --timeout 900 "$here/machines/rng-mmio.conf" \
	>"$tmp/mmio.log" 2>&1 || rc=$?
cat "$tmp/mmio.log"
if [ "$rc" -ne 0 ]; then
	echo "FAIL: rng-mmio.conf: run exited $rc, expected 0 (guest reboot)"
	failed=1
fi
for want in "virtio-mmio: Registering device virtio-mmio.0 at 0xd0000000" \
	"VMBOOT-GUEST: hwrng=ok" "VMBOOT-GUEST: test=hwrng status=0"; do
	if ! grep -q "$want" "$tmp/mmio.log"; then
		echo "FAIL: rng-mmio.conf: no \"$want\" in the console"
		failed=1
	fi
done
if [ "$failed" -ne 0 ]; then
	echo "test_small_kernel: FAILED"
	exit 1
fi
echo "test_small_kernel: all checks passed"
