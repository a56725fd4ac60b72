#!/bin/sh
# make install DESTDIR=... from the build tree: the files an installed vmboot
# needs are where they belong (vmboot, its helpers in $(pkglibexecdir), the
# example machines, the man pages, the nested harness with every machine and
# guest test), the installed vmboot finds its helpers in the DESTDIR tree
# (relative to itself: the configured path does not exist there) and says
# where it looked when they are missing, the installed harness finds its
# siblings, the installed vmboot and a cache outside itself, and make
# uninstall leaves no file behind. Needs no /dev/kvm; a few seconds.
set -u

# shellcheck source=SCRIPTDIR/../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
if [ ! -x "$VB_BUILDDIR/vmboot" ] || [ ! -f "$VB_BUILDDIR/Makefile" ]; then
	skip "no built vmboot in $VB_BUILDDIR"
fi

make_tmp
cleanup() { chmod -R u+w "$TMP" 2>/dev/null; rm -rf "$TMP"; }
TMP=$(cd -P "$TMP" && pwd) # /proc/self/exe shows the real path
DEST=$TMP/dest

# The configured directories, from the build tree's Makefile.
cat >"$TMP/print.mk" <<'EOF'
vb-print-dirs:
	@echo '$(bindir)|$(pkglibexecdir)|$(docdir)|$(man1dir)|$(man5dir)|$(pkgdatadir)'
EOF
dirs=$(bmake -f Makefile -f "$TMP/print.mk" vb-print-dirs) || {
	echo "FAIL: reading the directories from $VB_BUILDDIR/Makefile"
	exit 1
}
IFS='|' read -r bindir pkglibexecdir docdir man1dir man5dir pkgdatadir <<EOF
$dirs
EOF

if ! bmake install DESTDIR="$DEST" >"$TMP/install.log" 2>&1; then
	echo "FAIL: make install DESTDIR=$DEST"
	sed 's/^/    /' "$TMP/install.log"
	exit 1
fi

# --- the files ---
expect_file() { # MODE(f|x) PATH
	checks=$((checks + 1))
	if [ ! -f "$DEST$2" ]; then
		fail "not installed: $2"
	elif [ "$1" = x ] && [ ! -x "$DEST$2" ]; then
		fail "installed but not executable: $2"
	fi
}
expect_file x "$bindir/vmboot"
expect_file x "$pkglibexecdir/vmboot-init"
expect_file x "$pkglibexecdir/vmboot-net"
expect_file f "$docdir/examples/minimal.conf"
expect_file f "$man1dir/vmboot.1"
expect_file f "$man5dir/vmboot.conf.5"
# The machine file's JSON Schema: what the installed vmboot prints.
expect_file f "$pkgdatadir/machine.schema.json"
checks=$((checks + 1))
"$DEST$bindir/vmboot" schema | cmp -s - "$DEST$pkgdatadir/machine.schema.json" ||
	fail "$pkgdatadir/machine.schema.json is not what vmboot schema prints"
# The Emacs mode, in $(datadir)/emacs/site-lisp (tests/emacs/test_emacs.sh).
expect_file f "$(dirname "$pkgdatadir")/emacs/site-lisp/vmboot-mode.el"
# Bash completion, where bash-completion looks (tests/cli/test_completion.sh);
# the systemd unit is checked by tests/service/test_unit.sh.
expect_file f "$(dirname "$pkgdatadir")/bash-completion/completions/vmboot"
for d in run run-cmd kernel/build; do
	expect_file x "$pkgdatadir/nested/$d"
done
for d in lib.sh outer-init.sh guest-init.sh kvmprobe.c kernel/vmboot.config; do
	expect_file f "$pkgdatadir/nested/$d"
done
# Every example machine and every file the harness reads, so that adding
# one to the source tree without adding it to the install lists fails here.
for f in "$VB_SRCDIR"/machines/*.conf "$VB_SRCDIR"/machines/*.yaml; do
	expect_file f "$docdir/examples/$(basename "$f")"
done
for f in "$VB_SRCDIR"/tests/nested/machines/* "$VB_SRCDIR"/tests/nested/guest-tests/*; do
	expect_file f "$pkgdatadir/nested/$(basename "$(dirname "$f")")/$(basename "$f")"
done
# vmboot-net is a part of vmboot, not a command.
checks=$((checks + 1))
[ ! -e "$DEST$bindir/vmboot-net" ] || fail "vmboot-net installed in $bindir"
checks=$((checks + 1))
! find "$DEST" -name '*.img' | grep -q . || fail "a disk image was installed"

# --- the installed vmboot finds its helpers ---
vmboot=$DEST$bindir/vmboot
"$vmboot" --version >"$TMP/version" 2>&1 || fail "installed vmboot --version: exit $?"
checks=$((checks + 1))
if [ "$pkglibexecdir" = "$(dirname "$bindir")/libexec/vmboot" ]; then
	for h in vmboot-init vmboot-net; do
		checks=$((checks + 1))
		grep -Eq "^$h +$DEST$pkglibexecdir/$h\$" "$TMP/version" || {
			fail "the installed vmboot does not use $DEST$pkglibexecdir/$h"
			sed 's/^/    got: /' "$TMP/version"
		}
	done
else
	echo "note: pkglibexecdir is not BINDIR/../libexec/vmboot: DESTDIR lookup not checked"
fi

# Alone, it says where it looked; the environment comes first.
mkdir -p "$TMP/lonely/bin"
cp "$vmboot" "$TMP/lonely/bin/vmboot"
if [ ! -e "$pkglibexecdir/vmboot-init" ]; then
	"$TMP/lonely/bin/vmboot" --version >"$TMP/lonely.out" 2>&1
	want="vmboot-init  no vmboot-init at $TMP/lonely/bin/src/guestinit/vmboot-init, $TMP/lonely/libexec/vmboot/vmboot-init or $pkglibexecdir/vmboot-init (set VMBOOT_INIT to its path)"
	checks=$((checks + 1))
	grep -Fxq -- "$want" "$TMP/lonely.out" || {
		fail "no line: $want"
		sed 's/^/    got: /' "$TMP/lonely.out"
	}
fi
VMBOOT_INIT=$TMP/none VMBOOT_NET_HELPER=$DEST$pkglibexecdir/vmboot-net \
	"$vmboot" --version >"$TMP/env.out" 2>&1
checks=$((checks + 1))
if ! grep -Fxq "vmboot-init  VMBOOT_INIT=$TMP/none: No such file or directory" "$TMP/env.out" ||
	! grep -Fxq "vmboot-net   $DEST$pkglibexecdir/vmboot-net" "$TMP/env.out"; then
	fail "VMBOOT_INIT and VMBOOT_NET_HELPER not used first"
	sed 's/^/    got: /' "$TMP/env.out"
fi

# --- the installed harness, read-only ---
# (root writes to read-only files too: the listing proves nothing changed)
nested=$DEST$pkgdatadir/nested
find "$DEST" | LC_ALL=C sort >"$TMP/tree.before"
chmod -R a-w "$DEST"
"$nested/run" --help >"$TMP/run.help" 2>&1 || fail "installed nested/run --help: exit $?"
"$nested/run-cmd" --help >/dev/null 2>&1 || fail "installed nested/run-cmd --help: exit $?"
checks=$((checks + 2))
# Its cache is the user's, and with no build tree it takes the vmboot
# installed with it.
mkdir -p "$TMP/home" "$TMP/elsewhere"
got=$(cd "$TMP/elsewhere" && env -u VB_BUILDDIR -u VB_NESTED_CACHE -u XDG_CACHE_HOME \
	HOME="$TMP/home" bash -c '. "$1/lib.sh" && nested_cache_root && nested_vmboot_path' \
	sh "$nested" 2>&1)
want="$TMP/home/.cache/vmboot-nested
$DEST$bindir/vmboot"
checks=$((checks + 1))
if [ "$pkgdatadir" = "$(dirname "$bindir")/share/vmboot" ] && [ "$got" != "$want" ]; then
	fail "installed lib.sh: cache root and vmboot:"
	printf '%s\n' "$got" | sed 's/^/    got: /'
	printf '%s\n' "$want" | sed 's/^/    want: /'
fi
chmod -R u+w "$DEST"
find "$DEST" | LC_ALL=C sort >"$TMP/tree.after"
checks=$((checks + 1))
cmp -s "$TMP/tree.before" "$TMP/tree.after" || {
	fail "the installed harness wrote beside itself:"
	diff "$TMP/tree.before" "$TMP/tree.after" | sed 's/^/    /'
}

# --- uninstall ---
if ! bmake uninstall DESTDIR="$DEST" >"$TMP/uninstall.log" 2>&1; then
	fail "make uninstall DESTDIR=$DEST"
	sed 's/^/    /' "$TMP/uninstall.log"
fi
left=$(find "$DEST" ! -type d)
checks=$((checks + 1))
[ -z "$left" ] || {
	fail "files left after make uninstall:"
	printf '%s\n' "$left" | sed 's/^/    /'
}

echo "test_install: $checks checks, $failures failed"
[ "$failures" -eq 0 ]
