#!/bin/bash
# Unit test of the report checks in lib.sh (no QEMU needed): a good guest
# report passes, and each kind of bad report is caught. These checks are
# what test_boot.sh relies on, so they must be able to fail.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vb-test-checks.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
failed=0

# A 4 GiB guest as vmboot lays it out (src/mem/memmap.h): RAM up to
# 3328 MiB, the gap, the rest from 4 GiB. The first line carries firmware
# escape codes and a carriage return, as a serial console does.
good() {
	printf '\033c\033[?7l\033[2JVMBOOT-GUEST: MemTotal=4001234\r\n'
	cat <<'LOG'
[    1.0] some kernel line
VMBOOT-GUEST: cpus=2
VMBOOT-GUEST: cmdline=console=ttyS0 reboot=k vbcheck=1 panic=-1
VMBOOT-GUEST: initrd=ok
VMBOOT-GUEST: e820=0x0-0x9fbff System RAM
VMBOOT-GUEST: e820=0x9fc00-0xfffff Reserved
VMBOOT-GUEST: e820=0x100000-0xcfffffff System RAM
VMBOOT-GUEST: e820=0x100000000-0x12fffffff System RAM
VMBOOT-GUEST: kernel=6.1.0-test
VMBOOT-GUEST: clockevent=lapic-deadline
VMBOOT-GUEST: done
LOG
}

expect() {
	local want=$1 what=$2 got=0
	shift 2
	"$@" >"$tmp/out" 2>&1 || got=1
	if [ "$got" -ne "$want" ]; then
		echo "FAIL: $what: status $got, expected $want"
		cat "$tmp/out"
		failed=1
	else
		echo "ok: $what"
	fi
}

good >"$tmp/good"
expect 0 "good report" nested_check_guest_report "$tmp/good" 4096 2 vbcheck=1
expect 0 "good e820 gap" nested_check_e820_gap "$tmp/good"
expect 1 "wrong cpus" nested_check_guest_report "$tmp/good" 4096 4 vbcheck=1
expect 1 "memory too small" nested_check_guest_report "$tmp/good" 8192 2 vbcheck=1
expect 1 "memory too large" nested_check_guest_report "$tmp/good" 256 2 vbcheck=1
expect 1 "param missing" nested_check_guest_report "$tmp/good" 4096 2 vbcheck=2
expect 1 "param prefix only" nested_check_guest_report "$tmp/good" 4096 2 vbcheck

good | grep -v initrd=ok >"$tmp/noinitrd"
expect 1 "no initrd marker" nested_check_guest_report "$tmp/noinitrd" 4096 2 vbcheck=1
expect 0 "TSC-deadline timer" nested_check_tsc_deadline "$tmp/good"
good | sed 's/clockevent=lapic-deadline/clockevent=lapic/' >"$tmp/nodeadline"
expect 1 "APIC timer without the TSC-deadline mode" nested_check_tsc_deadline "$tmp/nodeadline"
good | grep -v clockevent= >"$tmp/noclockevent"
expect 1 "no clock event line" nested_check_tsc_deadline "$tmp/noclockevent"
good | grep -v 'VMBOOT-GUEST: done' >"$tmp/nodone"
expect 1 "no done line" nested_check_guest_report "$tmp/nodone" 4096 2 vbcheck=1

good | sed 's/0xcfffffff System RAM/0xdfffffff System RAM/' >"$tmp/ingap"
expect 1 "RAM inside the gap" nested_check_e820_gap "$tmp/ingap"
good | grep -v 0x100000000 >"$tmp/nohigh"
expect 1 "no RAM above 4 GiB" nested_check_e820_gap "$tmp/nohigh"
good | grep -v e820 >"$tmp/noe820"
expect 1 "no e820 lines" nested_check_e820_gap "$tmp/noe820"

# The outer kernel's watchdog: a CPU stuck for two minutes is a hang.
printf '[ 53.7] watchdog: BUG: soft lockup - CPU#1 stuck for 27s! [vmboot:104]\r\n' >"$tmp/lockup"
expect 0 "a short soft lockup is not a hang" test -z "$(nested_soft_lockup "$tmp/lockup")"
printf '[165.7] watchdog: BUG: soft lockup - CPU#1 stuck for 131s! [vmboot:104]\r\n' >>"$tmp/lockup"
expect 0 "a two-minute soft lockup is a hang" \
	test "$(nested_soft_lockup "$tmp/lockup")" = "[165.7] watchdog: BUG: soft lockup - CPU#1 stuck for 131s! [vmboot:104]"
expect 0 "no console, no hang" test -z "$(nested_soft_lockup "$tmp/absent")"

# An interactive run is started over only while none of the user's input
# can have been taken.
NESTED_WORK=$tmp/work
mkdir -p "$NESTED_WORK"
printf 'VMBOOT-NESTED-KVM-READY uptime=5.0\n[ 51.6] Kernel panic - not syncing: corrupted stack end\n' \
	>"$NESTED_WORK/console"
retry() { nested_interactive_retry_reason "$@"; }
expect 0 "piped: an outer panic before the prompt is tried again" \
	test "$(retry 99)" = "a kernel panicked (Kernel panic - not syncing: corrupted stack end)"
expect 0 "terminal: not once the command has started" test -z "$(retry 99 tty)"
expect 0 "the caller's time limit is not retried" test -z "$(retry 124)"
echo "no heartbeat" >"$NESTED_WORK/stuck"
expect 0 "a stuck outer VM is" test "$(retry 124)" = "it hung (no heartbeat)"
: >"$NESTED_WORK/input-taken"
expect 0 "piped: not once the input was taken" test -z "$(retry 99)"
rm "$NESTED_WORK/input-taken" "$NESTED_WORK/stuck"
echo "VMBOOT-NESTED-EXIT=0" >"$NESTED_WORK/console"
expect 0 "a run that ended well is not retried" test -z "$(retry 0)"
echo "vmboot: warning: guest reset (triple fault): the guest crashed" >"$NESTED_WORK/tty.log"
expect 0 "piped: a guest that triple-faulted before the prompt is" \
	test "$(retry 0)" = "an inner guest triple-faulted"
: >"$NESTED_WORK/input-taken"
expect 0 "piped: not once the input was taken, triple fault or not" test -z "$(retry 0)"

# The quoted words must come back intact through a POSIX shell.
# shellcheck disable=SC2016 # a literal $x is the point
quoted=$(nested_shell_quote "a b'c" '$x' '')
got=$(sh -c "set -- $quoted; printf '<%s>' \"\$@\"")
expect 0 "shell quoting" test "$got" = "<a b'c><\$x><>"

exit "$failed"
