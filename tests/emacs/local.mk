# tests/emacs: contrib/emacs/vmboot-mode.el byte-compiles with no warnings
# and its ERT tests (contrib/emacs/vmboot-mode-tests.el) pass under
# emacs --batch; skipped without emacs (Debian's emacs-nox, ./dev's list).
TESTS += tests/emacs/test_emacs.sh
EXTRA_DIST += tests/emacs/test_emacs.sh
