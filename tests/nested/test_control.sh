#!/bin/bash
# The control-socket VM test (tests/control/test_vm) on real KVM, in the
# nested harness's outer VM: vmboot runs tests/guests/ticker.bin and the
# test drives it by name - list, a refused second VM with the same name, a
# garbage request, another uid refused, pause (the ticks stop), resume,
# debug, stat, stop (exit 0, socket gone).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"

nested_require
build=${VB_BUILDDIR:?VB_BUILDDIR must point at the build tree}
files=()
for f in tests/control/test_vm tests/guests/ticker.bin; do
	[ -e "$build/$f" ] || nested_skip "$build/$f not built"
	files+=(--file "$build/$f")
done
rc=0
"$here/run-cmd" --timeout 600 "${files[@]}" -- sh -c 'VB_GUEST_DIR=/work ./test_vm' || rc=$?
[ "$rc" -ne 77 ] || nested_skip "run-cmd skipped"
if [ "$rc" -ne 0 ]; then
	echo "FAIL: tests/control/test_vm in the nested VM exited $rc"
	exit 1
fi
echo "test_control: passed"
