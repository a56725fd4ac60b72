#!/bin/bash
# Everything that needs real KVM but not a machine of its own, in one outer
# boot of the nested harness (tests/nested/run-cmd), because this host's
# /dev/kvm may be missing or unable to run it:
#   - the tiny-guest KVM tests (tests/kvm); each program asserts on what
#     its guest printed;
#   - a whole vmboot run of tests/guests/hello.bin: the greeting, exit 0;
#   - a Linux guest with a virtio-rng on PCI (machines/rng-pci.conf) that
#     reads /dev/hwrng.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"

nested_require
build=${VB_BUILDDIR:?VB_BUILDDIR must point at the build tree}
files=()
for f in tests/kvm/test_hello tests/kvm/test_smp tests/kvm/test_bootinfo \
	tests/guests/hello.bin tests/guests/smp.bin tests/guests/bootinfo.bin; do
	[ -e "$build/$f" ] || nested_skip "$build/$f not built"
	files+=(--file "$build/$f")
done
files+=(--file "$here/machines/rng-pci.conf")

log=$(mktemp "${TMPDIR:-/tmp}/vb-test-kvm.XXXXXX")
trap 'rm -f "$log"' EXIT
rc=0
"$here/run-cmd" --timeout 600 "${files[@]}" -- sh -c '
	export VB_GUEST_DIR=/work
	for t in ./test_hello ./test_smp ./test_bootinfo; do
		"$t" || { echo "KVM-TEST-FAILED $t"; exit 1; }
	done
	vmboot run -k hello.bin -m 64 -c 1 >vmboot.out 2>vmboot.err
	status=$?
	cat vmboot.out vmboot.err
	echo "VMBOOT-RUN-STATUS=$status"
	grep -q "hello from guest" vmboot.out && [ "$status" = 0 ] || exit 1
	vmboot run rng-pci.conf -k /guest/vmlinuz -i /guest/initrd.img
	echo "VMBOOT-RNG-STATUS=$?"
' >"$log" 2>&1 || rc=$?
cat "$log"
[ "$rc" -ne 77 ] || nested_skip "run-cmd skipped"
if [ "$rc" -ne 0 ]; then
	echo "FAIL: tiny-guest KVM tests in the nested VM exited $rc"
	exit 1
fi
for want in "hello from guest" "VMBOOT-RUN-STATUS=0" "VMBOOT-GUEST: hwrng=ok" \
	"VMBOOT-GUEST: test=hwrng status=0" "VMBOOT-RNG-STATUS=0"; do
	grep -q "$want" "$log" || { echo "FAIL: no \"$want\" in the output"; exit 1; }
done
echo "test_kvm: all checks passed"
