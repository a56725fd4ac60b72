#!/bin/sh
# Nothing blocks, everything is interruptible (issue 10), end to end and
# without /dev/kvm:
# - a kernel, initrd or disk that is a FIFO (or a character device, or a
#   9p share that is a file) is a warning at --check and a located
#   FILE:LINE:COL error at --check --strict, in both syntaxes;
# - `vmboot run` with a FIFO kernel or initrd (no writer: a plain open
#   would wait for ever) exits 1 at once with the located error;
# - SIGTERM while the VM is being built (VMBOOT_TEST_BUILD_DELAY_MS holds
#   the build in stage 0, its control socket bound) undoes the build:
#   exit status 143 and the control socket removed.
# `timeout` bounds every command: status 124 (timed out) or 137 (killed
# 5 s later, SIGTERM being blocked: the bug this guards against) is a
# failure.
set -u

# shellcheck source=SCRIPTDIR/../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
need_built "$VMBOOT"
for tool in timeout mkfifo; do
	need_cmd "$tool" "$tool(1) is needed"
done

make_tmp
private_run_dir
vm_pid=
cleanup() {
	[ -z "$vm_pid" ] || kill -KILL "$vm_pid" 2>/dev/null
	rm -rf "$TMP"
}

# expect_status (tests/lib/common.sh) bounds every command.
STATUS_TIMEOUT=10

# Diagnostics name files as given: work in the temporary directory.
cd "$TMP" || exit 99
mkfifo fifo-kernel fifo-initrd fifo-disk
printf 'not a kernel: a flat binary for the loader\n' >kernel.bin
mkdir share

cat >fifo-kernel.yaml <<'EOF'
kernel: fifo-kernel
cpus: 1
memory: 128M
EOF
cat >fifo-initrd.conf <<'EOF'
kernel = "kernel.bin";
initrd = "fifo-initrd";
memory = 128;
EOF
cat >devices.yaml <<'EOF'
kernel: /dev/null
memory: 128M
devices:
  - type: disk
    path: fifo-disk
  - type: 9p
    path: kernel.bin
    tag: share
  - type: disk
    path: share
EOF

# --- --check: warnings; --check --strict: located errors -----------------
expect_status 0 "$VMBOOT" --check fifo-kernel.yaml
expect_grep "$TMP/err" '^fifo-kernel\.yaml:1:9: warning: kernel: .*fifo-kernel: is a FIFO, not a regular file$'
expect_status 1 "$VMBOOT" --check --strict fifo-kernel.yaml
expect_grep "$TMP/err" '^fifo-kernel\.yaml:1:9: error: kernel: .*fifo-kernel: is a FIFO, not a regular file$'

expect_status 1 "$VMBOOT" --check --strict fifo-initrd.conf
expect_grep "$TMP/err" '^fifo-initrd\.conf:2:[0-9]+: error: initrd: .*fifo-initrd: is a FIFO, not a regular file$'

expect_status 1 "$VMBOOT" --check --strict devices.yaml
expect_grep "$TMP/err" '^devices\.yaml:1:9: error: kernel: /dev/null: is a character device, not a regular file$'
expect_grep "$TMP/err" '^devices\.yaml:5:11: error: devices\[0\]\.path: .*fifo-disk: is a FIFO, not a regular file, a block device or a directory$'
expect_grep "$TMP/err" '^devices\.yaml:7:11: error: devices\[1\]\.path: .*kernel\.bin: is a regular file, not a directory$'
checks=$((checks + 1))
grep -q 'devices\[2\]' "$TMP/err" && fail "a directory disk is allowed: $(cat "$TMP/err")"
expect_status 0 "$VMBOOT" --check devices.yaml
expect_grep "$TMP/err" '^devices\.yaml:5:11: warning: devices\[0\]\.path: .*fifo-disk: is a FIFO'

# --- run: refused before anything is built, at once ----------------------
expect_status 1 "$VMBOOT" run fifo-kernel.yaml
expect_grep "$TMP/err" '^fifo-kernel\.yaml:1:9: error: kernel: .*fifo-kernel: is a FIFO, not a regular file$'
expect_status 1 "$VMBOOT" run fifo-initrd.conf
expect_grep "$TMP/err" '^fifo-initrd\.conf:2:[0-9]+: error: initrd: .*fifo-initrd: is a FIFO'
# The same through a command-line kernel.
expect_status 1 "$VMBOOT" run -k fifo-kernel -m 128
expect_grep "$TMP/err" 'error: kernel: .*fifo-kernel: is a FIFO, not a regular file$'

# --- SIGTERM during the build: undone, exit 143, socket removed ----------
cat >slow.yaml <<'EOF'
name: nb-slow
kernel: kernel.bin
cpus: 1
memory: 128M
EOF
sock=$XDG_RUNTIME_DIR/vmboot/nb-slow.sock
VMBOOT_TEST_BUILD_DELAY_MS=30000 "$VMBOOT" run slow.yaml </dev/null >"$TMP/run.out" 2>&1 &
vm_pid=$!
wait_until [ -S "$sock" ]
checks=$((checks + 1))
[ -S "$sock" ] || fail "the control socket $sock did not appear: $(cat "$TMP/run.out")"
kill -TERM "$vm_pid"
reap "$vm_pid" "vmboot still running 10 s after SIGTERM during the build"
vm_pid=
checks=$((checks + 1))
[ "$rc" -eq 143 ] || { fail "SIGTERM during the build: exit $rc, want 143"; show "$TMP/run.out"; }
checks=$((checks + 1))
[ -e "$sock" ] && fail "the control socket is left behind after SIGTERM"

echo "$checks checks, $failures failed"
[ "$failures" -eq 0 ]
