#!/bin/sh
# contrib/emacs/vmboot-mode.el: byte-compiles with no warnings (every
# warning an error), then its ERT tests (contrib/emacs/vmboot-mode-tests.el)
# pass against the compiled file: font-lock, indentation, imenu, mode
# selection, flymake diagnostics from fake vmboots (text and JSON) and from
# the build's vmboot, completion from a fake, a failing and the build's
# `vmboot schema`. Skips where Emacs (Debian's emacs-nox) is not installed.
set -u

: "${VB_BUILDDIR:=}"
# shellcheck source=SCRIPTDIR/../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
need_cmd emacs "emacs is not installed (Debian: apt-get install emacs-nox)"
srcdir=$VB_SRCDIR
export VB_SRCDIR VB_BUILDDIR
[ -n "$VB_BUILDDIR" ] && [ -x "$VB_BUILDDIR/vmboot" ] ||
	echo "note: no built vmboot (VB_BUILDDIR): the tests against it skip"

make_tmp
# Compiled in a scratch copy: the source tree may be read-only (distcheck).
cp "$srcdir/contrib/emacs/vmboot-mode.el" "$srcdir/contrib/emacs/vmboot-mode-tests.el" "$TMP/" ||
	exit 99

# --batch reads no init file; Debian's site-start still puts installed
# packages (elpa-yaml-mode, for the yaml-mode case) on load-path. HOME is
# scratch so nothing of the user's is read or written.
run_emacs() {
	HOME=$TMP TMPDIR=$TMP emacs --batch -L "$TMP" "$@"
}

echo "byte-compiling vmboot-mode.el (warnings are errors)"
if ! run_emacs --eval '(setq byte-compile-error-on-warn t)' \
	-f batch-byte-compile "$TMP/vmboot-mode.el"; then
	echo "FAIL: vmboot-mode.el does not byte-compile cleanly"
	exit 1
fi
[ -f "$TMP/vmboot-mode.elc" ] || { echo "FAIL: no vmboot-mode.elc"; exit 1; }

echo "running the ERT tests against vmboot-mode.elc"
run_emacs -l "$TMP/vmboot-mode.elc" -l "$TMP/vmboot-mode-tests.el" \
	-f ert-run-tests-batch-and-exit
