#!/bin/sh
# vmboot's disk locks against QEMU's own qemu-io, without KVM: blk_hold
# holds the image the way a vmboot disk does (vb_blk_open), and qemu-io
# holds it from a FIFO it reads commands from.
# - a vmboot disk holds it read-write: `qemu-io -c 'write 0 512'` fails
#   with QEMU's lock error and the image is unchanged; a second vmboot is
#   refused; qemu-io -r still reads (QEMU lets a reader that shares all in
#   beside a writer, and so do we);
# - a readonly vmboot disk holds it: qemu-io -r and a second readonly
#   vmboot share it, a qemu-io write is refused;
# - qemu-io holds it read-write: a vmboot disk is refused, writable or
#   readonly, with the conflict named; qemu-io -r holds it: a readonly
#   vmboot shares it;
# - nothing holds it: qemu-io writes, so the refusals above were locks.
# Skipped without qemu-io (Debian qemu-utils).
set -u

# shellcheck source=SCRIPTDIR/../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
HOLD=$VB_BUILDDIR/tests/virtio/blk_hold
need_built "$HOLD"
need_cmd qemu-io "qemu-io not found (apt-get install qemu-utils)"

make_tmp
holder=
qio=
cleanup() {
	[ -z "$holder" ] || kill "$holder" 2>/dev/null
	[ -z "$qio" ] || kill "$qio" 2>/dev/null
	rm -rf "$TMP"
}
img=$TMP/disk.img
dd if=/dev/zero of="$img" bs=1024 count=1024 2>/dev/null
printf 'VMBOOT-LOCK-TEST-IMAGE' | dd of="$img" conv=notrunc 2>/dev/null
cp "$img" "$TMP/orig.img"
QIO_LOCK_ERR='Failed to get "write" lock'

# hold [-r]: a vmboot disk on the image until release; its stdin is a
# FIFO this shell keeps open on fd 3.
hold() {
	rm -f "$TMP/hold.in"
	mkfifo "$TMP/hold.in"
	"$HOLD" "$@" "$img" <"$TMP/hold.in" >"$TMP/hold.out" 2>&1 &
	holder=$!
	exec 3>"$TMP/hold.in"
	checks=$((checks + 1))
	wait_until grep -q '^held$' "$TMP/hold.out" || {
		fail "blk_hold $* did not hold the image"
		show "$TMP/hold.out"
	}
}

release() {
	exec 3>&-
	reap "$holder" "blk_hold did not end when its stdin did"
	holder=
}

# qhold [-r]: qemu-io on the image, reading commands from a FIFO on fd 4;
# held once it has answered a read.
qhold() {
	rm -f "$TMP/qio.in"
	mkfifo "$TMP/qio.in"
	qemu-io "$@" -f raw "$img" <"$TMP/qio.in" >"$TMP/qio.out" 2>&1 &
	qio=$!
	exec 4>"$TMP/qio.in"
	echo 'read 0 512' >&4
	checks=$((checks + 1))
	wait_until grep -q 'read 512/512 bytes' "$TMP/qio.out" || {
		fail "qemu-io $* did not open the image"
		show "$TMP/qio.out"
	}
}

qrelease() {
	echo quit >&4
	exec 4>&-
	reap "$qio" "qemu-io did not quit"
	qio=
}

qwrite() { qemu-io -f raw -c 'write -P 0x55 0 512' "$img"; }
qread() { qemu-io -r -f raw -c 'read 0 512' "$img"; }

# --- vmboot holds the image read-write -------------------------------------
hold
expect_status 1 qwrite
expect_grep "$TMP/err" "$QIO_LOCK_ERR"
check "the image is unchanged after the refused qemu-io write" cmp -s "$img" "$TMP/orig.img"
expect_status 1 "$HOLD" "$img" </dev/null
expect_grep "$TMP/err" 'disk held: .*disk\.img is in use by another VM'
expect_status 1 "$HOLD" -r "$img" </dev/null
expect_status 0 qread
release

# --- a readonly vmboot holds it ---------------------------------------------
hold -r
expect_status 0 qread
expect_status 0 "$HOLD" -r "$img" </dev/null
expect_status 1 qwrite
expect_grep "$TMP/err" "$QIO_LOCK_ERR"
check "the image is unchanged after the refused qemu-io write" cmp -s "$img" "$TMP/orig.img"
release

# --- qemu-io holds it read-write --------------------------------------------
qhold
expect_status 1 "$HOLD" "$img" </dev/null
expect_grep "$TMP/err" 'is in use by another VM or QEMU \(it holds write\)'
expect_status 1 "$HOLD" -r "$img" </dev/null
expect_grep "$TMP/err" 'is in use by another VM or QEMU \(it holds write\)'
qrelease

# --- qemu-io -r holds it ----------------------------------------------------
qhold -r
expect_status 0 "$HOLD" -r "$img" </dev/null
qrelease

# --- nobody holds it ---------------------------------------------------------
expect_status 0 "$HOLD" "$img" </dev/null
expect_status 0 qwrite
changed() { ! cmp -s "$img" "$TMP/orig.img"; }
check "qemu-io wrote the image once nobody held it" changed

echo "$checks checks, $failures failed"
[ "$failures" -eq 0 ]
