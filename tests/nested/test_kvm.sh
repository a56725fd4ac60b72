#!/bin/bash
# The tiny-guest KVM tests (tests/kvm) and a whole vmboot run of a tiny
# guest, on real KVM: this host's /dev/kvm may be missing or unable to run
# them, so they run inside the nested harness's outer VM (tests/nested/
# run-cmd), all in one outer boot. Each test program asserts on what its
# guest printed; vmboot must print the guest's greeting and exit 0 when the
# guest resets.
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
	grep -q "hello from guest" vmboot.out && [ "$status" = 0 ]
' >"$log" 2>&1 || rc=$?
cat "$log"
[ "$rc" -ne 77 ] || nested_skip "run-cmd skipped"
if [ "$rc" -ne 0 ]; then
	echo "FAIL: tiny-guest KVM tests in the nested VM exited $rc"
	exit 1
fi
for want in "hello from guest" "VMBOOT-RUN-STATUS=0"; do
	grep -q "$want" "$log" || { echo "FAIL: no \"$want\" in the output"; exit 1; }
done
echo "test_kvm: all checks passed"
