#!/bin/sh
# journald-friendly messages (util/log.h): with standard error on the
# stream $JOURNAL_STREAM names (its device:inode, as systemd sets it), every
# line vmboot writes starts with its sd-daemon priority ("<3>" errors,
# "<4>" warnings, "<5>" notes), diagnostics are one line each (no source
# excerpt) and never coloured, even with --color=always; with
# $JOURNAL_STREAM naming another file, nothing changes. Covers the
# diagnostics, a control command's error (vmboot stop, systemd's ExecStop)
# and a run that fails to open KVM (an error and a note of several lines).
# Needs no /dev/kvm.
set -u

# shellcheck source=SCRIPTDIR/../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
HELLO=$VB_BUILDDIR/tests/guests/hello.bin
need_built "$VMBOOT"

make_tmp
ESC=$(printf '\033')
private_run_dir

# journal FILE ARGS...: vmboot ARGS with stderr appended to FILE, which
# $JOURNAL_STREAM names (the way systemd connects a service's stderr).
journal() {
	file=$1
	shift
	: >"$file"
	JOURNAL_STREAM=$(stat -c '%d:%i' "$file") "$VMBOOT" "$@" >/dev/null 2>>"$file" </dev/null
}

expect_grep() { # FILE REGEX
	checks=$((checks + 1))
	grep -Eq -- "$2" "$1" || { fail "no line matches /$2/"; sed 's/^/    /' "$1"; }
}

# Every line has a priority prefix.
all_prefixed() { # FILE
	checks=$((checks + 1))
	[ -s "$1" ] || { fail "$1: no messages"; return; }
	if grep -Evq '^<[3-7]>' "$1"; then
		fail "lines without a priority:"
		grep -Ev '^<[3-7]>' "$1" | sed 's/^/    /'
	fi
}

cd "$VB_SRCDIR/tests/cli/fixtures" || exit 99

# --- diagnostics ---
journal "$TMP/check" --check --color=always bad.conf
all_prefixed "$TMP/check"
expect_grep "$TMP/check" '^<3>bad\.conf:3:8: error: cpus: '
checks=$((checks + 1))
[ "$(wc -l <"$TMP/check")" -eq 5 ] || { fail "want 5 lines, one per error"; cat "$TMP/check"; }
checks=$((checks + 1))
! grep -q "$ESC" "$TMP/check" || fail "colour in the journal"
journal "$TMP/warn" --check missing-kernel.yaml
expect_grep "$TMP/warn" '^<4>missing-kernel\.yaml:3:9: warning: kernel: '
all_prefixed "$TMP/warn"

# Another file in $JOURNAL_STREAM: stderr is not the journal.
: >"$TMP/other"
checks=$((checks + 1))
JOURNAL_STREAM=$(stat -c '%d:%i' "$TMP/other") "$VMBOOT" --check bad.conf 2>"$TMP/plain"
if grep -q '^<[0-9]>' "$TMP/plain" || ! grep -q '^    3 | cpus = 0;$' "$TMP/plain"; then
	fail "prefixes or no excerpt when JOURNAL_STREAM names another file:"
	sed 's/^/    /' "$TMP/plain"
fi

# --- a control command: vmboot stop as ExecStop ---
journal "$TMP/stop" stop no-such-vm
all_prefixed "$TMP/stop"
expect_grep "$TMP/stop" '^<3>vmboot: error: no VM named "no-such-vm" is running'

# --- a run that cannot open KVM: an error, then a note of four lines ---
if [ -f "$HELLO" ]; then
	journal "$TMP/run.log" run --dev "$TMP/no-kvm" -k "$HELLO" -m 64
	all_prefixed "$TMP/run.log"
	expect_grep "$TMP/run.log" '^<3>vmboot: error: open KVM: '
	checks=$((checks + 1))
	[ "$(grep -c '^<5>vmboot: note: ' "$TMP/run.log")" -ge 2 ] ||
		{ fail "the note's lines are not each prefixed"; sed 's/^/    /' "$TMP/run.log"; }
else
	echo "SKIP part: $HELLO not built"
fi

echo "$checks checks, $failures failures"
[ "$failures" -eq 0 ] || exit 1
exit 0
