#!/bin/bash
# Detached VMs and their pty consoles on real KVM, in the nested harness's
# outer VM: `vmboot run --detach` with tests/guests/ticker.bin returns 0
# and prints the name, pid and pty; `vmboot list` shows the VM on that pty;
# reading the pty shows the guest's ticks; `vmboot console NAME` (stdin
# from /dev/null, output into a file, ended by timeout) relays them while
# a second console is refused; `vmboot stop` ends the VM and the process.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"

nested_require
build=${VB_BUILDDIR:?VB_BUILDDIR must point at the build tree}
[ -e "$build/tests/guests/ticker.bin" ] || nested_skip "$build/tests/guests/ticker.bin not built"
[ -e "$build/vmboot" ] || nested_skip "$build/vmboot not built"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The part that runs in the outer VM (busybox ash and applets).
cat >"$tmp/console-attach.sh" <<'INNER'
set -u
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
show() { sed 's/^/    /' "$@"; }
# The outer init mounts no devpts; posix_openpt needs it.
mkdir -p /dev/pts
grep -q ' /dev/pts ' /proc/mounts || mount -t devpts -o mode=0620,ptmxmode=0666 devpts /dev/pts
[ -e /dev/ptmx ] || ln -s pts/ptmx /dev/ptmx
cd /work

vmboot run --detach -k ./ticker.bin --name tick --mem 64 --cpus 1 >detach.out 2>detach.err
rc=$?
[ "$rc" -eq 0 ] || { fail "run --detach exited $rc"; show detach.out detach.err; exit 1; }
grep -qx 'name tick' detach.out || fail "run --detach did not print the name"
pty=$(sed -n 's/^console //p' detach.out)
pid=$(sed -n 's/^pid //p' detach.out)
case $pty in /dev/pts/*) ;; *) fail "run --detach printed no pty"; show detach.out; exit 1 ;; esac
kill -0 "$pid" 2>/dev/null || fail "the detached vmboot (pid $pid) is not running"
# Its later messages go to a 0600 log beside the control socket.
log=$(sed -n 's/^log //p' detach.out)
case $log in */tick.log) ;; *) fail "run --detach printed no log file ($log)" ;; esac
[ -f "$log" ] && [ "$(stat -c %a "$log")" = 600 ] || fail "no 0600 log file at $log"
echo "detached: pid $pid, console $pty"

vmboot list >list.out 2>&1
grep -Eq "^tick .* running .* $pty\$" list.out || { fail "list does not show tick on $pty"; show list.out; }

# The pty itself carries the guest's output (the ticker writes a line per
# RTC second; what was written before anyone read is there too).
timeout 4 cat "$pty" >pty.out 2>&1
grep -q '^tick ' pty.out || { fail "no ticks read from $pty"; show pty.out; }

# vmboot console relays; meanwhile a second console is refused.
timeout 6 vmboot console tick </dev/null >con.out 2>con.err &
con=$!
sleep 2
vmboot console tick </dev/null >con2.out 2>&1
rc=$?
[ "$rc" -eq 1 ] && grep -q 'already attached' con2.out ||
	{ fail "second console not refused (exit $rc)"; show con2.out; }
wait "$con"
grep -q '^tick ' con.out || { fail "vmboot console relayed no ticks"; show con.out con.err; }
grep -q 'Ctrl-] detaches' con.err || { fail "console did not say how to detach"; show con.err; }

vmboot stop tick --timeout 20 >stop.out 2>&1 || { fail "stop failed"; show stop.out; }
grep -q 'tick: stopped' stop.out || { fail "stop did not report"; show stop.out; }
for _ in $(seq 50); do
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.2
done
kill -0 "$pid" 2>/dev/null && fail "vmboot (pid $pid) still running after stop"
vmboot list >list2.out 2>&1
grep -q '^tick ' list2.out && fail "tick still listed after stop"
echo "console-attach: $failures failures"
[ "$failures" -eq 0 ]
INNER

rc=0
"$here/run-cmd" --timeout 600 --file "$build/tests/guests/ticker.bin" \
	--file "$tmp/console-attach.sh" -- sh ./console-attach.sh || rc=$?
[ "$rc" -ne 77 ] || nested_skip "run-cmd skipped"
if [ "$rc" -ne 0 ]; then
	echo "FAIL: the console attach test in the nested VM exited $rc"
	exit 1
fi
echo "test_console_attach: passed"
