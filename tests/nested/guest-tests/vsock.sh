#!/bin/sh
# virtio-vsock: connect to the host (CID 2) on port 5000, send a line, read
# the answer of the listener test_vsock.sh runs in the outer VM. The client
# (/bin/vsockecho, tests/nested/vsockecho.c) is not part of the cached
# initramfs: test_vsock.sh appends it as one more cpio archive.
# The Debian kernel needs the transport module; the small one has it built in.
modprobe -q vmw_vsock_virtio_transport 2>/dev/null
if [ ! -x /bin/vsockecho ]; then
	echo "VMBOOT-GUEST: vsock=no-client"
	exit 1
fi
out=$(/bin/vsockecho connect 2 5000 hello-from-guest 2>&1)
st=$?
echo "$out" | sed 's/^/VMBOOT-GUEST: vsock.client: /'
echo "VMBOOT-GUEST: vsock.cid=$(echo "$out" | sed -n 's/^vsockecho: local cid //p')"
echo "VMBOOT-GUEST: vsock.reply=$(echo "$out" | sed -n 's/^vsockecho: reply "\(.*\)"$/\1/p')"
exit "$st"
