#!/bin/bash
# The zero-config default on real KVM, in one outer boot of the nested
# harness (tests/nested/run-cmd). There the "host" is the outer VM: its /boot
# gets the Debian kernel under its own release name (so vmboot picks
# /boot/vmlinuz-$(uname -r) by itself, no -k) and its /lib/modules the
# modules the in-memory initramfs wants (virtio, 9p, ext4 with their
# dependencies, staged here with modprobe/depmod). Then, with no machine file
# and no kernel:
#   vmboot run -- cat /proc/version        prints the guest's Linux version, exits 0
#   vmboot run -- sh -c '...; exit 3'      reads a file of the outer root
#                                          through /host (the 9p share) and
#                                          exits 3, vmboot with it
# and the guest's VMBOOT-STATUS line never reaches vmboot's output.
#
# Slow: two Debian guest boots under nested KVM in TCG, a few minutes.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"

nested_require
[ -n "$(nested_vmboot_path)" ] || nested_skip "no vmboot binary (set VB_BUILDDIR)"
build=${VB_BUILDDIR:?VB_BUILDDIR must point at the build tree}
init=$build/src/guestinit/vmboot-init
[ -x "$init" ] || nested_skip "$init not built"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vb-test-zeroconf.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

nested_zeroconf_modules_tar "$tmp/zc-modules.tar.gz"

log=$tmp/log
rc=0
"$here/run-cmd" --timeout 900 --file "$init" --file "$tmp/zc-modules.tar.gz" -- sh -c '
	kver=$(uname -r)
	mkdir -p /boot && cp /guest/vmlinuz "/boot/vmlinuz-$kver"
	tar -C / -xzf /work/zc-modules.tar.gz
	echo "zc-marker-from-the-outer-root" >/zc-marker
	export VMBOOT_INIT=/work/vmboot-init
	vmboot run -m 256 -c 1 -- cat /proc/version >/work/v.out 2>/work/v.err
	echo "ZC-VERSION-STATUS=$?"
	sed "s/^/ZC-VERSION-OUT: /" /work/v.out
	sed "s/^/ZC-VERSION-ERR: /" /work/v.err
	vmboot run -m 256 -c 1 -- sh -c "cat /zc-marker; exit 3" >/work/e.out 2>/work/e.err
	echo "ZC-EXIT-STATUS=$?"
	sed "s/^/ZC-EXIT-OUT: /" /work/e.out
	sed "s/^/ZC-EXIT-ERR: /" /work/e.err
' >"$log" 2>&1 || rc=$?
cat "$log"
[ "$rc" -ne 77 ] || nested_skip "run-cmd skipped"
if [ "$rc" -ne 0 ]; then
	echo "FAIL: the command in the nested VM exited $rc"
	exit 1
fi
failed=0
for want in "ZC-VERSION-STATUS=0" "ZC-VERSION-OUT: Linux version" "ZC-EXIT-STATUS=3" \
	"ZC-EXIT-OUT: zc-marker-from-the-outer-root"; do
	grep -q "$want" "$log" || { echo "FAIL: no \"$want\" in the output"; failed=1; }
done
if grep -q "^ZC-[A-Z]*-OUT: .*VMBOOT-STATUS" "$log"; then
	echo "FAIL: vmboot showed the guest's VMBOOT-STATUS line"
	failed=1
fi
[ "$failed" = 0 ] || exit 1
echo "test_zeroconf: all checks passed"
