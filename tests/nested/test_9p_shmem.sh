#!/bin/bash
# virtio-9p, a directory root filesystem and ivshmem under real KVM, in one
# outer boot of the nested harness (tests/nested/run-cmd):
#   - machines/9p-shmem.conf: the guest mounts a 9p share, reads a file the
#     host wrote and writes one the host then finds; it reads the word the
#     host put in the shared-memory file through the ivshmem BAR and writes
#     one the host then finds in the file (guest-tests/9p-shmem.sh);
#   - machines/dirroot.conf: with the small guest kernel (9p built in, no
#     initrd), a disk whose path is a directory is the root filesystem; its
#     /init reports the root mount and writes a file the host then finds.
#     Skipped (said so) when the small kernel is not built: building it
#     takes minutes (tests/nested/kernel/build, test_small_kernel.sh).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"

nested_require
files=(--file "$here/machines/9p-shmem.conf" --file "$here/machines/dirroot.conf")
small=$("$here/kernel/build" --path-only 2>/dev/null) || small=''
if [ -n "$small" ]; then
	files+=(--file "$small")
else
	echo "NOTE: small guest kernel not built: the directory-root boot is skipped"
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vb-test-9p-shmem.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
log=$tmp/log
# The directory root's /init: report the root mount, write a file.
cat >"$tmp/rootinit" <<'INIT'
#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc
root=$(/bin/busybox awk '$2 == "/" { r = $1 " " $3 } END { print r }' /proc/mounts)
echo "VMBOOT-GUEST: dirroot.root=$root"
echo "from-root-guest" >/written-by-guest && echo "VMBOOT-GUEST: dirroot.write=ok"
/bin/busybox sync
/bin/busybox reboot -f
INIT
files+=(--file "$tmp/rootinit")
rc=0
# In the outer VM: prepare the share and the shared file, boot, then look
# at what the guest left behind.
"$here/run-cmd" --timeout 600 "${files[@]}" -- sh -c '
	cd /work
	mkdir -p share
	echo "hello-from-host" >share/from-host.txt
	printf "VBSH" >shm.bin
	vmboot run 9p-shmem.conf -k /guest/vmlinuz -i /guest/initrd.img
	echo "VMBOOT-9P-STATUS=$?"
	echo "HOST-9P-FILE=$(cat share/from-guest.txt 2>/dev/null)"
	echo "HOST-SHM-SIZE=$(wc -c <shm.bin)"
	echo "HOST-SHM-WORD=$(od -A n -t x4 -j 8 -N 4 shm.bin | tr -d " ")"
	[ -f bzImage ] || exit 0
	mkdir -p rootdir/bin rootdir/proc rootdir/dev rootdir/sys
	cp /bin/busybox rootdir/bin/busybox
	cp rootinit rootdir/init
	chmod +x rootdir/init
	vmboot run dirroot.conf
	echo "VMBOOT-DIRROOT-STATUS=$?"
	echo "HOST-DIRROOT-FILE=$(cat rootdir/written-by-guest 2>/dev/null)"
' >"$log" 2>&1 || rc=$?
cat "$log"
[ "$rc" -ne 77 ] || nested_skip "run-cmd skipped"
if [ "$rc" -ne 0 ]; then
	echo "FAIL: the nested run exited $rc"
	exit 1
fi
wants=("VMBOOT-GUEST: 9p-shmem.mount=ok" "VMBOOT-GUEST: 9p-shmem.host-file=hello-from-host"
	"VMBOOT-GUEST: 9p-shmem.write=ok" "VMBOOT-GUEST: 9p-shmem.shmem.class=0x050000"
	"VMBOOT-GUEST: 9p-shmem.shmem.read=0x48534256"
	"VMBOOT-GUEST: 9p-shmem.shmem.readback=0x600DCAFE"
	"VMBOOT-GUEST: test=9p-shmem status=0" "VMBOOT-9P-STATUS=0"
	"HOST-9P-FILE=written-by-guest" "HOST-SHM-SIZE=1048576" "HOST-SHM-WORD=600dcafe")
if [ -n "$small" ]; then
	wants+=("VMBOOT-GUEST: dirroot.root=/dev/root 9p" "VMBOOT-GUEST: dirroot.write=ok"
		"VMBOOT-DIRROOT-STATUS=0" "HOST-DIRROOT-FILE=from-root-guest")
fi
for want in "${wants[@]}"; do
	grep -qF "$want" "$log" || { echo "FAIL: no \"$want\" in the output"; exit 1; }
done
echo "test_9p_shmem: all checks passed${small:+ (with the directory root)}"
