#!/bin/bash
# An installed vmboot's zero-config default on real KVM. make install
# DESTDIR=$tmp/dest from the build tree; then the INSTALLED harness
# ($(pkgdatadir)/nested/run-cmd in that tree, with no build tree in sight, so
# it must find the installed vmboot itself) boots the outer VM, where the
# DESTDIR tree is unpacked twice:
#   at /              the installed layout: BINDIR/vmboot finds vmboot-init
#                     in $(pkglibexecdir)
#   at /opt/staged    a DESTDIR tree that was never installed: its vmboot
#                     finds vmboot-init relative to itself only
# With no VMBOOT_INIT, no machine file and no kernel:
#   BINDIR/vmboot run -- cat /proc/version            the guest's version, exit 0
#   /opt/staged/BINDIR/vmboot run -- sh -c 'exit 3'   exit 3
# and each vmboot --version names the vmboot-init of its own tree.
#
# Slow: two Debian guest boots under nested KVM in TCG, a few minutes.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"

nested_require
build=${VB_BUILDDIR:-}
if [ -z "$build" ] || [ ! -f "$build/Makefile" ] || [ ! -x "$build/vmboot" ]; then
	nested_skip "no build tree with vmboot (set VB_BUILDDIR)"
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vb-test-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
dest=$tmp/dest

# make in the build tree, without the make check that runs us.
bmake() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$build" "$@"
}
cat >"$tmp/print.mk" <<'EOF'
vb-print-dirs:
	@echo '$(bindir)|$(pkglibexecdir)|$(pkgdatadir)'
EOF
IFS='|' read -r bindir pkglibexecdir pkgdatadir \
	< <(bmake -f Makefile -f "$tmp/print.mk" vb-print-dirs)
bmake install DESTDIR="$dest" >"$tmp/install.log" 2>&1 || {
	cat "$tmp/install.log"
	echo "FAIL: make install DESTDIR=$dest"
	exit 1
}
tar -C "$dest" -czf "$tmp/installed.tar.gz" .
nested_zeroconf_modules_tar "$tmp/zc-modules.tar.gz"

staged=/opt/staged
log=$tmp/log
rc=0
# From a directory without ./vmboot and with VB_BUILDDIR unset: the
# installed run-cmd takes the vmboot installed beside it.
(cd "$tmp" && env -u VB_BUILDDIR -u VMBOOT_INIT -u VMBOOT_NET_HELPER \
	"$dest$pkgdatadir/nested/run-cmd" --timeout 900 \
	--file "$tmp/installed.tar.gz" --file "$tmp/zc-modules.tar.gz" -- sh -c '
	bindir=$1 staged=$2
	kver=$(uname -r)
	mkdir -p /boot "$staged" && cp /guest/vmlinuz "/boot/vmlinuz-$kver"
	tar -C / -xzf /work/zc-modules.tar.gz
	tar -C / -xzf /work/installed.tar.gz
	tar -C "$staged" -xzf /work/installed.tar.gz
	"$bindir/vmboot" --version | sed "s/^/INST-HELPERS: /"
	"$staged$bindir/vmboot" --version | sed "s/^/STAGED-HELPERS: /"
	"$bindir/vmboot" run -m 256 -c 1 -- cat /proc/version >/work/v.out 2>/work/v.err
	echo "INST-VERSION-STATUS=$?"
	sed "s/^/INST-VERSION-OUT: /" /work/v.out
	sed "s/^/INST-VERSION-ERR: /" /work/v.err
	"$staged$bindir/vmboot" run -m 256 -c 1 -- sh -c "exit 3" >/work/e.out 2>/work/e.err
	echo "STAGED-EXIT-STATUS=$?"
	sed "s/^/STAGED-EXIT-ERR: /" /work/e.err
' sh "$bindir" "$staged") >"$log" 2>&1 || rc=$?
cat "$log"
[ "$rc" -ne 77 ] || nested_skip "run-cmd skipped"
if [ "$rc" -ne 0 ]; then
	echo "FAIL: the command in the nested VM exited $rc"
	exit 1
fi
# The log may carry \r and firmware escapes: match anywhere on a line.
failed=0
for want in "INST-HELPERS: vmboot-init  $pkglibexecdir/vmboot-init" \
	"STAGED-HELPERS: vmboot-init  $staged$pkglibexecdir/vmboot-init" \
	"INST-VERSION-STATUS=0" "INST-VERSION-OUT: Linux version" "STAGED-EXIT-STATUS=3"; do
	grep -Fq -- "$want" "$log" || { echo "FAIL: no \"$want\" in the output"; failed=1; }
done
[ "$failed" = 0 ] || exit 1
echo "test_install: all checks passed"
