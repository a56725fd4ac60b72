#!/bin/sh
# Diagnostics like GCC's (util/diag.h): after each FILE:LINE:COL line of
# --check, the source line and a caret under the column, `~` under the
# rest of a scalar or key, for both syntaxes and with tabs in the line;
# colour with --color=always (even with NO_COLOR), none with
# --color=never, when piped, beside --json, or on a terminal with
# NO_COLOR or TERM=dumb; --color=auto colours on a terminal (script(1)
# gives it one); a bad --color is a usage error. Needs no /dev/kvm.
set -u

# shellcheck source=SCRIPTDIR/../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
need_built "$VMBOOT"
make_tmp
ESC=$(printf '\033')

# check_err WANT-STATUS ARGS...: runs vmboot, stderr into $TMP/err.
check_err() {
	want=$1
	shift
	checks=$((checks + 1))
	"$VMBOOT" "$@" >"$TMP/out" 2>"$TMP/err"
	got=$?
	[ "$got" -eq "$want" ] || { fail "exit $got, want $want: vmboot $*"; sed 's/^/    /' "$TMP/err"; }
}

# excerpt HEADER SOURCE CARET: in $TMP/err, the line starting with HEADER
# is followed by exactly these two lines.
excerpt() {
	checks=$((checks + 1))
	awk -v h="$1" -v s="$2" -v c="$3" '
		index($0, h) == 1 { found = 1; n = NR; next }
		found && NR == n + 1 { src = $0 }
		found && NR == n + 2 { car = $0; exit }
		END { exit !(found && src == s && car == c) }' "$TMP/err" || {
		fail "after \"$1\" want:"
		printf '    %s\n    %s\ngot:\n' "$2" "$3"
		sed 's/^/    /' "$TMP/err"
	}
}

has_escapes() { grep -q "$ESC\[" "$1"; }

expect_color() { # WHAT FILE
	checks=$((checks + 1))
	has_escapes "$2" || { fail "$1: no colour"; sed 's/^/    /' "$2"; }
}

expect_no_color() { # WHAT FILE
	checks=$((checks + 1))
	! has_escapes "$2" || { fail "$1: colour"; cat -v "$2" | sed 's/^/    /'; }
}

# Diagnostics name files as given, so run from the fixtures directory.
cd "$VB_SRCDIR/tests/cli/fixtures" || exit 99

# --- the source line and caret, libconfig ----------------------------------
check_err 1 --check bad.conf
excerpt 'bad.conf:3:8: error: cpus:' \
	'    3 | cpus = 0;' \
	'      |        ^'
excerpt 'bad.conf:4:1: error: machine: unknown key "memroy"' \
	'    4 | memroy = "1G";' \
	'      | ^~~~~~'
excerpt 'bad.conf:5:11: error: console: unknown value "serail"' \
	'    5 | console = "serail";' \
	'      |           ^~~~~~~~'
excerpt 'bad.conf:9:25: error: devices[2].mac:' \
	'    9 |   { type = "net"; mac = "52:54:00:zz:34:56"; }' \
	'      |                         ^~~~~~~~~~~~~~~~~~~'
# The GCC-style lines themselves are unchanged, and there is an excerpt
# for each: 5 errors, 15 lines.
checks=$((checks + 1))
[ "$(grep -c ': error: ' "$TMP/err")" -eq 5 ] && [ "$(wc -l <"$TMP/err")" -eq 15 ] ||
	{ fail "bad.conf: want 5 errors in 15 lines"; sed 's/^/    /' "$TMP/err"; }
expect_no_color "piped" "$TMP/err"

check_err 1 --check syntax.conf
excerpt 'syntax.conf:2:8: error: syntax error' \
	'    2 | cpus = ;' \
	'      |        ^'

# Tabs: the line is shown expanded, the caret under the value.
check_err 1 --check tabs.conf
excerpt 'tabs.conf:3:9: error: cpus:' \
	'    3 |         cpus =  0;' \
	'      |                 ^'

# --- YAML -----------------------------------------------------------------
check_err 1 --check bad.yaml
excerpt 'bad.yaml:3:9: error: memory: cannot parse size "12X"' \
	'    3 | memory: 12X' \
	'      |         ^~~'
excerpt 'bad.yaml:5:11: error: devices[0].type: unknown device type "dsk"' \
	'    5 |   - type: dsk' \
	'      |           ^~~'
excerpt 'bad.yaml:12:10: error: devices[2].tag:' \
	'   12 |     tag: share' \
	'      |          ^~~~~'
# About the whole device: a caret, not its first key underlined.
excerpt 'bad.yaml:13:5: error: devices[3]: a tap network' \
	'   13 |   - type: net' \
	'      |     ^'
# A warning: a file the machine names is missing.
check_err 0 --check missing-kernel.yaml
excerpt 'missing-kernel.yaml:3:9: warning: kernel:' \
	'    3 | kernel: no-such-dir/bzImage' \
	'      |         ^~~~~~~~~~~~~~~~~~~'

# A file that cannot be read, a flag: no excerpt.
check_err 1 --check no-such-file.conf
checks=$((checks + 1))
[ "$(wc -l <"$TMP/err")" -eq 1 ] || { fail "no-such-file.conf: more than one line"; cat "$TMP/err"; }

# --- colour ---------------------------------------------------------------
check_err 1 --check --color=always bad.conf
expect_color "--color=always" "$TMP/err"
checks=$((checks + 1))
grep -qF "${ESC}[01;31m${ESC}[Kerror: " "$TMP/err" && grep -qF "${ESC}[01;32m${ESC}[K^" "$TMP/err" &&
	grep -qF "${ESC}[01m${ESC}[Kbad.conf:3:8:" "$TMP/err" ||
	{ fail "--color=always: not GCC's colours"; cat -v "$TMP/err" | sed 's/^/    /'; }
check_err 1 --check --color always bad.yaml
expect_color "--color always" "$TMP/err"
check_err 0 --check --color=always missing-kernel.yaml
checks=$((checks + 1))
grep -qF "${ESC}[01;35m${ESC}[Kwarning: " "$TMP/err" || { fail "warning not magenta"; cat -v "$TMP/err"; }
checks=$((checks + 1))
NO_COLOR=1 "$VMBOOT" --check --color=always bad.conf >/dev/null 2>"$TMP/err"
expect_color "--color=always beats NO_COLOR" "$TMP/err"
check_err 1 --check --color=never bad.conf
expect_no_color "--color=never" "$TMP/err"
check_err 1 --check --color=auto bad.conf
expect_no_color "--color=auto, piped" "$TMP/err"
check_err 1 --plan --json --color=always bad.conf
expect_no_color "--json" "$TMP/err"
check_err 2 --check --color=sometimes bad.conf
checks=$((checks + 1))
grep -q 'expected auto, always or never' "$TMP/err" || { fail "--color=sometimes"; cat "$TMP/err"; }

# On a terminal: script(1) runs vmboot on a pty (its output is the pty's).
if command -v script >/dev/null 2>&1; then
	on_tty() { # OUT ENV-ARGS...: vmboot --check bad.conf on a pty, under env(1) ENV-ARGS
		out=$1
		shift
		script -qec "env $* '$VMBOOT' --check bad.conf" /dev/null >"$out" 2>&1 </dev/null
	}
	on_tty "$TMP/tty" -u NO_COLOR TERM=xterm
	expect_color "a terminal" "$TMP/tty"
	on_tty "$TMP/tty" TERM=xterm NO_COLOR=1
	expect_no_color "a terminal with NO_COLOR=1" "$TMP/tty"
	on_tty "$TMP/tty" TERM=xterm NO_COLOR=
	expect_color "a terminal with NO_COLOR empty" "$TMP/tty"
	on_tty "$TMP/tty" -u NO_COLOR TERM=dumb
	expect_no_color "a terminal with TERM=dumb" "$TMP/tty"
else
	echo "SKIP part: no script(1) (bsdutils) to run vmboot on a terminal"
fi

echo "$checks checks, $failures failures"
[ "$failures" -eq 0 ] || exit 1
exit 0
