#!/bin/bash
# Boots the harness guest with vmboot under nested KVM (tests/nested/run)
# and checks what the guest itself reports: its memory, CPUs, command line,
# that it ran from the given initrd, and for the 4 GiB machine the e820
# split around the 32-bit gap. The expected values below must match the
# machine files in machines/.
#
# Slow: two TCG boots with nested guests, several minutes.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"

nested_require
[ -n "$(nested_vmboot_path)" ] || nested_skip "no vmboot binary (set VB_BUILDDIR)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vb-test-boot.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
failed=0

# machine file, MiB, CPUs, params, check the e820 gap
boot() {
	local machine=$1 mem_mib=$2 cpus=$3 params=$4 gap=$5 rc=0
	echo "== $machine: $mem_mib MiB, $cpus CPUs, params '$params'"
	"$here/run" --timeout 900 "$here/machines/$machine" >"$tmp/$machine.log" 2>&1 || rc=$?
	cat "$tmp/$machine.log"
	[ "$rc" -ne 77 ] || nested_skip "run skipped"
	if [ "$rc" -ne 0 ]; then
		echo "FAIL: $machine: run exited $rc, expected 0 (guest reboot)"
		failed=1
	fi
	nested_check_guest_report "$tmp/$machine.log" "$mem_mib" "$cpus" "$params" ||
		failed=1
	nested_check_tsc_deadline "$tmp/$machine.log" || failed=1
	if [ "$gap" = gap ]; then
		nested_check_e820_gap "$tmp/$machine.log" || failed=1
	fi
}

boot small.conf 256 2 vbcheck=1 nogap
boot big.conf 4096 2 vbcheck=4g gap

if [ "$failed" -ne 0 ]; then
	echo "test_boot: FAILED"
	exit 1
fi
echo "test_boot: all checks passed"
