#!/bin/sh
# list and stop never wait on a VM, without KVM:
# - a VM whose socket accepts but never answers (fakevm --hang) is listed
#   as "not answering", with its pid, in text and JSON, and list returns
#   (bounded by timeout 10: status 124 or 137 is a failure);
# - a VM still being built (vmboot run held in its first stage by
#   VMBOOT_TEST_BUILD_DELAY_MS) answers at once: list shows it "starting",
#   pause is refused as "starting", and stop ends the build: run exits 0
#   and its control socket is removed;
# - a VM being taken apart (fakevm --ending), which answers no one and then
#   goes: list leaves it out, and stop reports it stopped.
set -u

# shellcheck source=SCRIPTDIR/../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
need_built "$VMBOOT" "$FAKEVM"
need_cmd timeout "timeout(1) is needed"
need_cmd python3 "python3 is needed to read JSON"

make_tmp
private_run_dir
hung_pid=
vm_pid=
cleanup() {
	[ -z "$hung_pid" ] || kill "$hung_pid" 2>/dev/null
	[ -z "$vm_pid" ] || kill -KILL "$vm_pid" 2>/dev/null
	rm -rf "$TMP"
}
# bounded WANT CMD...: CMD under timeout 10 (then SIGKILL 5 s later),
# output in $TMP/out.
bounded() {
	want=$1
	shift
	checks=$((checks + 1))
	timeout -k 5 10 "$@" >"$TMP/out" 2>&1
	got=$?
	if [ "$got" -eq 124 ] || [ "$got" -eq 137 ]; then
		fail "still running after 10 s: $*"
	elif [ "$got" -ne "$want" ]; then
		fail "exit $got, want $want: $*"
		show "$TMP/out"
	fi
}
json() { # json EXPR: python over the list `l` in $TMP/out
	python3 -c 'import json, sys
l = json.load(open(sys.argv[1]))
print(eval(sys.argv[2]))' "$TMP/out" "$1" 2>&1
}

# --- a VM that never answers --------------------------------------------
"$FAKEVM" --hang hung >"$TMP/hung.out" 2>&1 &
hung_pid=$!
wait_until grep -q '^ready ' "$TMP/hung.out" || { echo "FAIL: fakevm --hang did not start"; show "$TMP/hung.out"; exit 1; }

bounded 0 "$VMBOOT" list
check "list shows hung as not answering, with its pid" \
	grep -Eq "^hung +$hung_pid +not answering " "$TMP/out"
[ "$failures" -eq 0 ] || show "$TMP/out"
bounded 0 "$VMBOOT" list --json
check "list --json: hung is not answering" \
	[ "$(json '[v["state"] for v in l if v["name"] == "hung"]')" = "['not answering']" ]
check "list --json: hung's pid" \
	[ "$(json '[v["pid"] for v in l if v["name"] == "hung"]')" = "[$hung_pid]" ]

# --- a VM that is starting ----------------------------------------------
printf 'not a kernel: a flat binary for the loader\n' >"$TMP/kernel.bin"
cat >"$TMP/booting.yaml" <<EOF
name: booting
kernel: $TMP/kernel.bin
cpus: 2
memory: 128M
EOF
sock=$XDG_RUNTIME_DIR/vmboot/booting.sock
VMBOOT_TEST_BUILD_DELAY_MS=30000 "$VMBOOT" run "$TMP/booting.yaml" </dev/null >"$TMP/run.out" 2>&1 &
vm_pid=$!
wait_until [ -S "$sock" ]
check "the starting VM's socket exists" [ -S "$sock" ]

bounded 0 "$VMBOOT" list
check "list shows booting as starting" grep -Eq "^booting +$vm_pid +starting +2 +128M " "$TMP/out"
check "list still shows hung" grep -Eq "^hung +$hung_pid +not answering " "$TMP/out"
[ "$failures" -eq 0 ] || show "$TMP/out"
bounded 0 "$VMBOOT" list --json
check "list --json: booting is starting" \
	[ "$(json '[v["state"] for v in l if v["name"] == "booting"]')" = "['starting']" ]
bounded 1 "$VMBOOT" pause booting
check "pause of a starting VM says it is starting" grep -q 'booting is starting' "$TMP/out"

bounded 0 "$VMBOOT" stop booting
check "stop of a starting VM reports it stopped" grep -q '^booting: stopped$' "$TMP/out"
reap "$vm_pid" "vmboot run still running 10 s after stop"
vm_pid=
check "run stopped while starting exits 0 (got $rc)" [ "$rc" -eq 0 ]
[ "$rc" -eq 0 ] || show "$TMP/run.out"
check "the stopped VM's socket is removed" [ ! -e "$sock" ]

# --- a VM being taken apart ------------------------------------------------
ending() { # ending NAME: fakevm --ending NAME, in the background, ready
	"$FAKEVM" --ending "$1" >"$TMP/$1.out" 2>&1 &
	ending_pids="${ending_pids:-} $!"
	wait_until grep -q '^ready ' "$TMP/$1.out" || { echo "FAIL: fakevm --ending $1 did not start"; show "$TMP/$1.out"; exit 1; }
}
ending gone1
bounded 0 "$VMBOOT" list
check "list leaves out a VM that ended while asked" sh -c "! grep -q '^gone1 ' '$TMP/out'"
[ "$failures" -eq 0 ] || show "$TMP/out"
ending gone2
bounded 0 "$VMBOOT" stop gone2
check "stop of a VM that ended while asked reports it stopped" grep -q '^gone2: stopped$' "$TMP/out"
[ "$failures" -eq 0 ] || show "$TMP/out"
# shellcheck disable=SC2086 # the pids, one word each
wait $ending_pids

echo "$checks checks, $failures failed"
[ "$failures" -eq 0 ]
