#!/bin/sh
# The systemd unit as make builds it (contrib/systemd/vmboot@.service):
# no @VARIABLE@ left; Type=notify, NotifyAccess=main; ExecStart and
# ExecStop run the configured bindir's vmboot on /etc/vmboot/%i.conf and
# %i; TimeoutStopSec covers vmboot stop's worst case, read from the
# sources (the unit's --timeout, the teardown margin in control/cmd.c, the
# client timeout in control/client.h); `systemd-analyze verify` accepts the
# template and an instance without a word (it reports unknown keys, bad
# values and programs that are not there), with the Exec lines pointed at
# the built vmboot; make install puts it in configure's
# systemdsystemunitdir and make uninstall removes it. systemd-analyze
# (Debian: systemd) needs no running systemd; without it that part skips.
set -u

# shellcheck source=SCRIPTDIR/../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
UNIT=$VB_BUILDDIR/contrib/systemd/vmboot@.service
if [ ! -f "$UNIT" ] || [ ! -f "$VB_BUILDDIR/Makefile" ]; then
	skip "$UNIT not built"
fi

make_tmp

expect_line() { # TEXT: the unit has this line
	checks=$((checks + 1))
	grep -Fxq -- "$1" "$UNIT" || fail "no line: $1"
}

cat >"$TMP/print.mk" <<'EOF'
vb-print-dirs:
	@echo '$(bindir)|$(systemdsystemunitdir)'
EOF
# The last line: a make that first regenerates the Makefile says so.
dirs=$(bmake -f Makefile -f "$TMP/print.mk" vb-print-dirs | tail -n 1)
case $dirs in
*'|'*) ;;
*) echo "FAIL: reading the directories from $VB_BUILDDIR/Makefile"; exit 1 ;;
esac
IFS='|' read -r bindir unitdir <<EOF
$dirs
EOF

# --- the text ---
checks=$((checks + 1))
! grep -n '@[A-Za-z_]*@' "$UNIT" || fail "a configure variable left in the unit"
expect_line "Type=notify"
expect_line "NotifyAccess=main"
expect_line "ExecStart=$bindir/vmboot run --name %i /etc/vmboot/%i.conf"
expect_line "ExecStop=-$bindir/vmboot stop --timeout 30 %i"
expect_line "Restart=no"
expect_line "DeviceAllow=/dev/kvm rw"

# TimeoutStopSec: vmboot stop may wait for the client timeout, then the
# guest's --timeout plus the teardown margin vmboot allows.
checks=$((checks + 1))
stop_s=$(sed -n 's/^TimeoutStopSec=\([0-9]*\)$/\1/p' "$UNIT")
guest_s=$(sed -n 's/^ExecStop=.* --timeout \([0-9]*\) .*/\1/p' "$UNIT")
margin_s=$(sed -n 's/.*(uint64_t)timeout_s + \([0-9]*\)) \* 10;.*/\1/p' "$VB_SRCDIR/src/control/cmd.c")
client_ms=$(sed -n 's/^#define VB_CTL_CLIENT_TIMEOUT_MS \([0-9]*\)$/\1/p' "$VB_SRCDIR/src/control/client.h")
if [ -z "$stop_s" ] || [ -z "$guest_s" ] || [ -z "$margin_s" ] || [ -z "$client_ms" ]; then
	fail "cannot read the stop timeouts (unit: $stop_s, $guest_s; cmd.c: $margin_s; client.h: $client_ms): update this test"
elif [ "$stop_s" -le $((guest_s + margin_s + client_ms / 1000)) ]; then
	fail "TimeoutStopSec=$stop_s does not cover vmboot stop: $guest_s + $margin_s + $((client_ms / 1000)) s"
fi

# --- systemd-analyze verify ---
if command -v systemd-analyze >/dev/null 2>&1; then
	mkdir "$TMP/units"
	# verify checks that the programs exist: point them at the build.
	sed "s|$bindir/vmboot|$VB_BUILDDIR/vmboot|g" "$UNIT" >"$TMP/units/vmboot@.service"
	for unit in vmboot@.service vmboot@web.service; do
		checks=$((checks + 1))
		if ! (cd "$TMP/units" && systemd-analyze verify --man=no "./$unit") >"$TMP/verify" 2>&1 ||
			[ -s "$TMP/verify" ]; then
			fail "systemd-analyze verify $unit:"
			sed 's/^/    /' "$TMP/verify"
		fi
	done
	# For the reader: how exposed the service is (not asserted).
	(cd "$TMP/units" && systemd-analyze security --offline=true ./vmboot@.service 2>/dev/null) |
		tail -n 1 | sed 's/^/note: /'
else
	echo "SKIP part: no systemd-analyze (Debian package systemd)"
fi

# --- make install, make uninstall ---
if [ "$unitdir" != no ]; then
	checks=$((checks + 1))
	if ! bmake install-systemdsystemunitDATA DESTDIR="$TMP/dest" >"$TMP/log" 2>&1; then
		fail "make install-systemdsystemunitDATA"
		sed 's/^/    /' "$TMP/log"
	elif ! cmp -s "$UNIT" "$TMP/dest$unitdir/vmboot@.service"; then
		fail "not installed as $unitdir/vmboot@.service"
	fi
	checks=$((checks + 1))
	bmake uninstall-systemdsystemunitDATA DESTDIR="$TMP/dest" >"$TMP/log" 2>&1
	[ ! -e "$TMP/dest$unitdir/vmboot@.service" ] || fail "make uninstall left the unit"
fi

echo "$checks checks, $failures failures"
[ "$failures" -eq 0 ] || exit 1
exit 0
