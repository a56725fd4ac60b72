#!/bin/bash
# virtio-vsock on the outer VM's vhost-vsock, in one outer boot of the
# nested harness (tests/nested/run-cmd). In the outer VM the script:
#   - runs machines/vsock-pci.conf before vhost_vsock is loaded: vmboot
#     refuses, naming the module to load;
#   - loads vhost_vsock and what it needs (vsock, vhost, vhost_iotlb,
#     vmw_vsock_virtio_transport_common: modprobe --show-depends order,
#     staged here from the host's Debian modules);
#   - starts a listener (vsockecho.c, built with the host cc) on port 5000
#     and boots vsock-pci.conf with the Debian guest kernel: the guest (CID
#     42) connects to the host's CID 2, sends a line and prints the answer
#     (guest-tests/vsock.sh); the listener prints what it got and from
#     which CID;
#   - holds CID 42 on /dev/vhost-vsock as another VM would: vmboot refuses
#     the machine, saying the CID is in use;
#   - machines/vsock-mmio.conf: the same exchange over the mmio transport,
#     with the small guest kernel (the Debian one cannot find virtio-mmio
#     devices; the small one has AF_VSOCK built in, kernel/vmboot.config).
#     Skipped (said so) when the small kernel is not built: building it
#     takes minutes (tests/nested/kernel/build, test_small_kernel.sh).
# The client in the guest is vsockecho too, static, appended to the inner
# initramfs as one more cpio archive.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"

nested_require
[ -n "$(nested_vmboot_path)" ] || nested_skip "no vmboot binary (set VB_BUILDDIR)"
cc=${CC_FOR_TESTS:-cc}
command -v "$cc" >/dev/null || nested_skip "no C compiler ($cc) to build vsockecho"
modprobe -S "$NESTED_KVER" --show-depends vhost_vsock >/dev/null 2>&1 ||
	nested_skip "kernel $NESTED_KVER has no vhost_vsock module"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vb-test-vsock.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
log=$tmp/log

# Static: the inner guest's initramfs has no C library.
"$cc" -std=gnu11 -O2 -Wall -Wextra -Werror -static -o "$tmp/vsockecho" "$here/vsockecho.c" ||
	nested_skip "cannot link vsockecho statically (no static C library?)"
mkdir -p "$tmp/client/bin"
cp "$tmp/vsockecho" "$tmp/client/bin/"
nested_cpio "$tmp/client" | gzip -6 >"$tmp/vsock-client.cpio.gz"

# The host's vhost_vsock and its dependencies, decompressed, flat in /work
# (run-cmd copies files by name), with the order to load them in.
files=(--file "$here/machines/vsock-pci.conf" --file "$here/machines/vsock-mmio.conf"
	--file "$tmp/vsockecho" --file "$tmp/vsock-client.cpio.gz")
: >"$tmp/vsock-modules"
for f in $(nested_module_files vhost_vsock); do
	ko=$(nested_copy_module "$f" "$tmp/mods")
	files+=(--file "$tmp/mods$ko")
	basename "$ko" >>"$tmp/vsock-modules"
done
files+=(--file "$tmp/vsock-modules")
small=$("$here/kernel/build" --path-only 2>/dev/null) || small=''
if [ -n "$small" ]; then
	files+=(--file "$small")
else
	echo "NOTE: small guest kernel not built: the mmio-transport boot is skipped"
fi

rc=0
"$here/run-cmd" --timeout 900 "${files[@]}" -- sh -c '
	cd /work
	# One boot with a listener: $1 the transport, $2 the kernel.
	exchange() {
		./vsockecho listen 5000 >"listen-$1.log" 2>&1 &
		lp=$!
		sleep 1
		vmboot run "vsock-$1.conf" -k "$2" -i vsock-initrd.img --debug
		echo "VMBOOT-VSOCK-$1-STATUS=$?"
		wait "$lp"
		echo "HOST-LISTEN-$1-STATUS=$?"
		sed "s/^/HOST-$1: /" "listen-$1.log"
	}
	vmboot run vsock-pci.conf -k /guest/vmlinuz -i /guest/initrd.img >nomod.out 2>&1
	echo "VMBOOT-VSOCK-NOMOD-STATUS=$?"
	grep -o "vsock: /dev/vhost-vsock: .*" nomod.out | sed "s/^/HOST-NOMOD-MSG=/"
	while read -r ko; do
		insmod "./$ko" || echo "HOST-INSMOD-FAILED=$ko"
	done <vsock-modules
	[ -c /dev/vhost-vsock ] && echo "HOST-VHOST-VSOCK=present"
	cat /guest/initrd.img vsock-client.cpio.gz >vsock-initrd.img
	exchange pci /guest/vmlinuz
	# Another VM holds CID 42: vmboot must refuse to start.
	./vsockecho hold 42 60 >hold.log 2>&1 &
	hp=$!
	sleep 1
	sed "s/^/HOST-HOLD: /" hold.log
	vmboot run vsock-pci.conf -k /guest/vmlinuz -i vsock-initrd.img >inuse.out 2>&1
	echo "VMBOOT-VSOCK-INUSE-STATUS=$?"
	grep -o "vsock: cid 42 .*" inuse.out | sed "s/^/HOST-INUSE-MSG=/"
	kill "$hp"
	wait "$hp" 2>/dev/null
	if [ -f bzImage ]; then
		exchange mmio bzImage
	fi
' >"$log" 2>&1 || rc=$?
cat "$log"
[ "$rc" -ne 77 ] || nested_skip "run-cmd skipped"
if [ "$rc" -ne 0 ]; then
	echo "FAIL: the nested run exited $rc"
	exit 1
fi
guest=("VMBOOT-GUEST: vsock.cid=42" "VMBOOT-GUEST: vsock.reply=ack:hello-from-guest"
	"VMBOOT-GUEST: test=vsock status=0")
wants=("${guest[@]}" "VMBOOT-VSOCK-NOMOD-STATUS=1"
	"HOST-NOMOD-MSG=vsock: /dev/vhost-vsock: No such file or directory (load the vhost_vsock module: modprobe vhost_vsock)"
	"HOST-VHOST-VSOCK=present" "VMBOOT-VSOCK-pci-STATUS=0" "HOST-LISTEN-pci-STATUS=0"
	'HOST-pci: vsockecho: got "hello-from-guest" from cid 42'
	"HOST-HOLD: vsockecho: holding cid 42" "VMBOOT-VSOCK-INUSE-STATUS=1"
	"HOST-INUSE-MSG=vsock: cid 42 is already used by another VM on this host")
if [ -n "$small" ]; then
	wants+=("VMBOOT-VSOCK-mmio-STATUS=0" "HOST-LISTEN-mmio-STATUS=0"
		'HOST-mmio: vsockecho: got "hello-from-guest" from cid 42')
fi
for want in "${wants[@]}"; do
	grep -qF "$want" "$log" || { echo "FAIL: no \"$want\" in the output"; exit 1; }
done
if grep -q "HOST-INSMOD-FAILED=" "$log"; then
	echo "FAIL: a vhost_vsock module did not load"
	exit 1
fi
# Each guest check passed in every boot, not just one of them.
boots=1
[ -z "$small" ] || boots=2
for want in "${guest[@]}"; do
	n=$(tr -d '\r' <"$log" | grep -cF "$want" || true)
	[ "$n" -ge "$boots" ] || { echo "FAIL: \"$want\" seen $n times, expected $boots"; exit 1; }
done
echo "test_vsock: all checks passed${small:+ (pci and mmio)}"
