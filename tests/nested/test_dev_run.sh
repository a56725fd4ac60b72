#!/bin/bash
# What `./dev run machines/minimal.conf` does where /dev/kvm cannot run a
# stock kernel: tests/nested/run --interactive with the build's vmboot, the
# zero-config default booting inside the outer VM with the guest console on
# stdin/stdout. Here stdin is a pipe: the harness holds it until the guest
# shell prompts, types it, and at its end types Ctrl-D (lib.sh,
# nested_relay), so the run must end on its own:
#   - the output has VB-42, which only the guest's shell can have computed
#     (the typed line itself reads VB-$((6*7)))
#   - the exit status is 0 (the shell's, through vmboot and the outer VM)
#   - nothing of the outer VM's console (its markers) reaches the guest
#     console (stdout)
# The time limit is only a guard against a hang; the wall time is printed.
#
# Slow: the outer boot and a Debian guest boot under nested KVM in TCG.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"

nested_require
vmboot=$(nested_vmboot_path)
[ -n "$vmboot" ] || nested_skip "no vmboot binary (set VB_BUILDDIR)"
[ -n "$(nested_vmboot_helper "$vmboot" vmboot-init src/guestinit/vmboot-init)" ] ||
	nested_skip "vmboot-init not built"
src=${VB_SRCDIR:-$(cd "$here/../.." && pwd)}

out=$(mktemp "${TMPDIR:-/tmp}/vb-test-dev-run.XXXXXX")
trap 'rm -f "$out" "$out.err"' EXIT
# shellcheck disable=SC2016 # the guest's shell expands it
input='echo VB-$((6*7))'
# Whether the last run's outer VM hung or panicked.
outer_failed() {
	{ [ "$rc" -eq 124 ] && grep -q "^nested: ended as a hang" "$out.err"; } ||
		{ [ "$rc" -eq 99 ] && grep -aq "Kernel panic - not syncing" "$out.err"; }
}
# Its hangs were the emulated outer machine's: the outer kernel stuck for
# minutes on one CPU in vmboot's context (its watchdog's "soft lockup"),
# once the guest had run the line and powered off, in 2 of 12 runs one
# day. run starts such a VM over by itself only while the input has not
# reached the guest; this input can be typed twice, so the test starts
# the whole run over, up to twice.
for try in 1 2 3; do
	start=$(nested_now)
	rc=0
	printf '%s\n' "$input" |
		"$here/run" --interactive --timeout 900 --vmboot "$vmboot" "$src/machines/minimal.conf" \
			>"$out" 2>"$out.err" || rc=$?
	nested_phase_done "test_dev_run: whole interactive run" "$start"
	cat "$out" "$out.err"
	if ! outer_failed || [ "$try" -eq 3 ]; then
		break
	fi
	echo "NOTE: the outer VM failed after the input was typed (above): the whole run again"
done
[ "$rc" -ne 77 ] || nested_skip "run skipped"
failed=0
if [ "$rc" -ne 0 ]; then
	echo "FAIL: run --interactive exited $rc, expected 0 (124: it did not end on its own)"
	failed=1
fi
# grep without -q: under pipefail, -q leaving at the first match could fail
# the pipeline with tr's SIGPIPE.
if ! tr -d '\r' <"$out" | grep -x 'VB-42' >/dev/null; then
	echo "FAIL: no VB-42 line: the guest shell did not run the piped command"
	failed=1
fi
# Only the guest console (stdout): the harness's own messages on stderr
# quote the outer console when an outer VM dies and is booted again.
if grep -q "$NESTED_READY_MARKER\|$NESTED_EXIT_MARKER" "$out"; then
	echo "FAIL: the outer VM's console leaked into the guest console"
	failed=1
fi
[ "$failed" = 0 ] || exit 1
echo "test_dev_run: all checks passed"
