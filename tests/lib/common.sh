# shellcheck shell=sh disable=SC2034 # the variables are for the sourcing test
# tests/lib/common.sh: what the shell tests share (POSIX sh). A test
# sources it right after `set -u`:
#	. "$(dirname "$0")/../lib/common.sh"
# That works under make check (VB_SRCDIR and VB_BUILDDIR exported) and by
# hand (set VB_BUILDDIR; VB_SRCDIR defaults to the tree holding this file).
# A test that needs no build sets VB_BUILDDIR=${VB_BUILDDIR-} first.
# It sets VB_SRCDIR, VMBOOT, FAKEVM (tests/control/fakevm), failures=0,
# checks=0, and defines:
#   fail MSG...       prints "FAIL: MSG" and counts a failure
#   skip MSG...       prints "SKIP: MSG" and exits 77 (automake's skip)
#   need_built P...   skips unless each P is executable ("SKIP: P not built")
#   need_cmd <cmd> <msg>  skips with <msg> unless <cmd> is on PATH
#   show FILE...      FILE indented by four spaces
#   make_tmp          TMP, a fresh directory; `cleanup` (rm -rf "$TMP")
#                     runs at exit: redefine it to do more
#   private_run_dir   XDG_RUNTIME_DIR=$TMP/run (0700), exported: a private
#                     socket directory, nothing here meets another user's VMs
#   expect_status WANT CMD...  one check: CMD's stdout and stderr into
#                     $TMP/out and $TMP/err; another exit fails
#                     "exit GOT, want WANT: CMD" and shows the stderr; with
#                     STATUS_TIMEOUT=S, CMD runs under timeout(1) -k 5 S
#   expect_grep FILE ERE       one check: a line of FILE matches ERE
#   check WHAT CMD...          one check: CMD succeeds, else fail "WHAT"
#   wait_until CMD...          retries CMD every 0.1 s, for 10 s at most
#   reap PID MSG               one check: PID ends within 10 s, else fail
#                     MSG and kill it; rc is its exit status
#   bmake ARGS..., find_python CODE: see below

: "${VB_BUILDDIR?run through make check, or set VB_BUILDDIR}"
: "${VB_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
VMBOOT=$VB_BUILDDIR/vmboot
FAKEVM=$VB_BUILDDIR/tests/control/fakevm
failures=0
checks=0

fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

skip() {
	echo "SKIP: $*"
	exit 77
}

need_built() {
	for p; do
		[ -x "$p" ] || skip "$p not built"
	done
}

need_cmd() {
	command -v "$1" >/dev/null 2>&1 || skip "$2"
}

show() { sed 's/^/    /' "$@"; }

cleanup() { rm -rf "$TMP"; }

make_tmp() {
	TMP=$(mktemp -d) || exit 99
	trap cleanup EXIT
}

private_run_dir() {
	XDG_RUNTIME_DIR=$TMP/run
	mkdir -m 0700 "$XDG_RUNTIME_DIR"
	export XDG_RUNTIME_DIR
}

expect_status() {
	want=$1
	shift
	checks=$((checks + 1))
	${STATUS_TIMEOUT:+timeout -k 5 "$STATUS_TIMEOUT"} "$@" >"$TMP/out" 2>"$TMP/err"
	got=$?
	if [ -n "${STATUS_TIMEOUT:-}" ] && { [ "$got" -eq 124 ] || [ "$got" -eq 137 ]; }; then
		fail "still running after $STATUS_TIMEOUT s (blocked?): $*"
	elif [ "$got" -ne "$want" ]; then
		fail "exit $got, want $want: $*"
		sed 's/^/    stderr: /' "$TMP/err"
	fi
}

check() {
	what=$1
	shift
	checks=$((checks + 1))
	"$@" || fail "$what"
}

wait_until() {
	for _ in $(seq 100); do
		"$@" && return 0
		sleep 0.1
	done
	"$@"
}

reap() {
	for _ in $(seq 100); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	checks=$((checks + 1))
	if kill -0 "$1" 2>/dev/null; then
		fail "$2"
		kill -KILL "$1"
	fi
	wait "$1"
	rc=$?
}

expect_grep() {
	checks=$((checks + 1))
	grep -Eq -- "$2" "$1" || {
		fail "no match in $(basename "$1") for /$2/"
		sed 's/^/    got: /' "$1"
	}
}

# bmake ARGS...: make in the build tree, without the make check that runs
# us: its MAKEFLAGS (TESTS=..., the jobserver) are not for this make.
bmake() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$VB_BUILDDIR" "$@"
}

# find_python CODE: PY is the first of python3, /usr/bin/python3 that runs
# CODE (imports, say), or empty. Debian's python3, where ./dev installs the
# modules, may not be the first on PATH (pyenv, a venv).
find_python() {
	PY=
	for py in python3 /usr/bin/python3; do
		if "$py" -c "$1" >/dev/null 2>&1; then
			PY=$py
			return
		fi
	done
}
