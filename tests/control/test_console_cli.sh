#!/bin/sh
# vmboot console end to end without KVM, against tests/control/fakevm (a
# stand-in VM with its console on a pty): list shows the pty, console
# relays the VM's output and the user's input, Ctrl-] detaches, a second
# console is refused, --tmux outside tmux is an error, --tmux inside a
# private tmux server opens a window running the console, a VM whose
# console is not a pty and an unknown name are errors.
set -u

# shellcheck source=SCRIPTDIR/../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
need_built "$VMBOOT" "$FAKEVM"
[ -c /dev/ptmx ] || skip "no /dev/ptmx"
need_cmd timeout "timeout(1) is needed"

make_tmp
private_run_dir
unset TMUX
fake_pid=
tmux_sock=$TMP/tmux.sock
cleanup() {
	[ -z "$fake_pid" ] || kill "$fake_pid" 2>/dev/null
	command -v tmux >/dev/null 2>&1 && tmux -S "$tmux_sock" kill-server 2>/dev/null
	rm -rf "$TMP"
}

"$FAKEVM" fake >"$TMP/fake.out" 2>&1 &
fake_pid=$!
wait_until grep -q '^ready ' "$TMP/fake.out"
pty=$(sed -n 's/^ready //p' "$TMP/fake.out")
[ -n "$pty" ] || { echo "FAIL: fakevm did not start"; show "$TMP/fake.out"; exit 1; }

# list shows the pty.
"$VMBOOT" list >"$TMP/list" 2>&1
check "list shows fake with its pty" grep -Eq "^fake .* running .* $pty\$" "$TMP/list"
check "list has a CONSOLE column" grep -q 'CONSOLE$' "$TMP/list"
"$VMBOOT" list --json >"$TMP/json" 2>&1
check "list --json has the console" grep -Fq "\"console\": \"$pty\"" "$TMP/json"

# console relays output; input from a pipe reaches the VM, Ctrl-] detaches.
(sleep 1; printf 'hello vm\r'; sleep 1; printf '\035') |
	timeout 20 "$VMBOOT" console fake >"$TMP/con.out" 2>"$TMP/con.err"
rc=$?
check "console exits 0 on Ctrl-] (got $rc)" [ "$rc" -eq 0 ]
check "console relays the VM's output" grep -q 'fake tick' "$TMP/con.out"
check "console input reaches the VM" grep -q 'fake got hello vm' "$TMP/con.out"
check "console says how to detach" grep -q 'Ctrl-] detaches' "$TMP/con.err"
check "console says it detached" grep -q 'detached from fake' "$TMP/con.err"
[ "$failures" -eq 0 ] || { show "$TMP/con.out" "$TMP/con.err"; }

# Without input (end of file at once) the output keeps coming until a
# signal; a second console meanwhile is refused.
timeout 4 "$VMBOOT" console fake </dev/null >"$TMP/con2.out" 2>&1 &
first=$!
sleep 1
timeout 10 "$VMBOOT" console fake </dev/null >"$TMP/con3.out" 2>&1
rc=$?
check "a second console is refused (exit $rc)" [ "$rc" -eq 1 ]
check "the refusal says why" grep -q 'already attached' "$TMP/con3.out"
wait "$first"
check "output relayed with stdin at EOF" grep -q 'fake tick' "$TMP/con2.out"

# --tmux outside tmux; unknown VM; bad usage.
"$VMBOOT" console fake --tmux >"$TMP/out" 2>&1
rc=$?
check "--tmux outside tmux fails (exit $rc)" [ "$rc" -eq 1 ]
check "--tmux outside tmux says so" grep -q 'not inside tmux' "$TMP/out"
"$VMBOOT" console nosuchvm >"$TMP/out" 2>&1
rc=$?
check "console of an unknown VM fails (exit $rc)" [ "$rc" -eq 1 ]
check "unknown VM named" grep -q 'no VM named "nosuchvm" is running' "$TMP/out"
"$VMBOOT" console >"$TMP/out" 2>&1
rc=$?
check "console without a name is a usage error (exit $rc)" [ "$rc" -eq 2 ]

# --tmux inside a private tmux server: a window named fake runs the console.
if command -v tmux >/dev/null 2>&1; then
	tmux -S "$tmux_sock" new-session -d -s t -x 120 -y 30 "sleep 60"
	tmux_pid=$(tmux -S "$tmux_sock" display-message -p '#{pid}')
	TMUX="$tmux_sock,$tmux_pid,0" "$VMBOOT" console fake --tmux >"$TMP/out" 2>&1
	rc=$?
	check "--tmux inside tmux exits 0 (exit $rc)" [ "$rc" -eq 0 ]
	[ "$rc" -eq 0 ] || show "$TMP/out"
	tmux -S "$tmux_sock" list-windows -F '#{window_name}' >"$TMP/windows"
	check "a tmux window named fake" grep -qx fake "$TMP/windows"
	seen=no
	for _ in $(seq 50); do
		tmux -S "$tmux_sock" capture-pane -p -t t:fake >"$TMP/pane" 2>/dev/null
		grep -q 'fake tick' "$TMP/pane" && { seen=yes; break; }
		sleep 0.2
	done
	check "the window shows the VM's console" [ "$seen" = yes ]
	[ "$seen" = yes ] || show "$TMP/pane"
	# One console at a time: close that window before splitting.
	tmux -S "$tmux_sock" kill-window -t t:fake
	for _ in $(seq 50); do
		pgrep -f "$VMBOOT console fake" >/dev/null 2>&1 || break
		sleep 0.2
	done
	TMUX="$tmux_sock,$tmux_pid,0" "$VMBOOT" console fake --split >"$TMP/out" 2>&1
	rc=$?
	check "--split exits 0 (exit $rc)" [ "$rc" -eq 0 ]
	for _ in $(seq 50); do
		tmux -S "$tmux_sock" list-panes -a -F "#{window_index} #{pane_current_command}" >"$TMP/panes"
		grep -q "^0 vmboot" "$TMP/panes" && break
		sleep 0.2
	done
	check "--split opens a second pane in the window" [ "$(grep -c "^0 " "$TMP/panes")" -eq 2 ]
	check "the pane runs the console" grep -q "^0 vmboot" "$TMP/panes"
	[ "$failures" -eq 0 ] || show "$TMP/panes" "$TMP/out"
	tmux -S "$tmux_sock" kill-server 2>/dev/null
else
	echo "note: tmux not installed: the tmux window part is skipped"
fi

# stop ends the fake VM.
"$VMBOOT" stop fake --force >"$TMP/out" 2>&1
check "stop fake" grep -q 'fake: stopped' "$TMP/out"
wait "$fake_pid"
fake_pid=

echo "$checks checks, $failures failed"
[ "$failures" -eq 0 ]
