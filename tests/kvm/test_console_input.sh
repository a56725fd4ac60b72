#!/bin/sh
# The console's input path end to end (issue 10's piped input): what
# vmboot reads on its standard input reaches the guest's UART, through the
# vmboot binary's whole wiring (cli -> vm.c -> machine/console.c ->
# dev/term.c's reader -> the UART). tests/guests/echo.bin copies COM1 input
# back to COM1 until a newline, then resets: so the line comes back and
# vmboot exits 0. Cases: input there before the guest starts, input that
# arrives while it runs, a long line (more than the UART's FIFO holds),
# end of input before the newline (the guest keeps running: vmboot
# must neither exit nor crash; the timeout ends it), and output nobody
# reads (SIGTERM still ends vmboot).
# Needs /dev/kvm (any: KVM-PVM runs these flat guests too); SKIPs without.
set -u

# shellcheck source=SCRIPTDIR/../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
need_built "$VMBOOT"
echo_bin=$VB_BUILDDIR/tests/guests/echo.bin
[ -f "$echo_bin" ] || skip "$echo_bin not built"
[ -w /dev/kvm ] || skip "no writable /dev/kvm"
need_cmd timeout "timeout(1) is needed"

make_tmp
private_run_dir
STATUS_TIMEOUT=30

# echo_case WHAT INPUT-COMMAND LINE: INPUT-COMMAND's output piped into
# vmboot running echo.bin; vmboot must exit 0 with LINE on its output.
echo_case() {
	checks=$((checks + 1))
	sh -c "$2" | timeout -k 5 20 "$VMBOOT" run -k "$echo_bin" -m 64 -c 1 >"$TMP/out" 2>"$TMP/err"
	rc=$?
	[ "$rc" -eq 0 ] || { fail "$1: exit $rc, want 0"; show "$TMP/err"; }
	expect_grep "$TMP/out" "^$3\$"
}

echo_case "input ready at start" "printf 'hello-echo\\n'" hello-echo
echo_case "input while running" "sleep 1; printf 'later-'; sleep 1; printf 'line\\n'" later-line
long=$(printf '%0200d' 7)
echo_case "a 200-byte line" "printf '%s\\n' $long" "$long"

# No newline, then end of input: the guest waits for ever; vmboot keeps
# running it (end of input is not a stop) until timeout's SIGTERM: 124.
checks=$((checks + 1))
sh -c "printf 'no-newline'" |
	timeout -k 5 3 "$VMBOOT" run -k "$echo_bin" -m 64 -c 1 >"$TMP/out" 2>"$TMP/err"
rc=$?
[ "$rc" -eq 124 ] || { fail "end of input without a newline: exit $rc, want 124 (still running at the timeout)"; show "$TMP/err"; }
expect_grep "$TMP/out" '^no-newline'

# Nobody reads vmboot's output: its stdout is a pipe already full, so
# ticker.bin's first line leaves the vCPU waiting to write. SIGTERM must
# still end vmboot (124 from timeout) before timeout's SIGKILL 5 s later
# (137).
ticker_bin=$VB_BUILDDIR/tests/guests/ticker.bin
checks=$((checks + 1))
mkfifo "$TMP/stalled"
sleep 60 <"$TMP/stalled" &
holder=$!
exec 4>"$TMP/stalled"
head -c 65536 /dev/zero >&4
timeout -k 5 3 "$VMBOOT" run -k "$ticker_bin" -m 64 -c 1 >&4 2>"$TMP/err" </dev/null
rc=$?
exec 4>&-
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null
[ "$rc" -eq 124 ] || { fail "output nobody reads: exit $rc, want 124 (ended by SIGTERM)"; show "$TMP/err"; }

echo "$checks checks, $failures failed"
[ "$failures" -eq 0 ]
