#!/bin/sh
# The example machines in machines/ stay valid, and the debian.conf and
# debian.yaml twins describe the same machine: their --plan --json output
# is identical once the source file name is set aside. Needs no /dev/kvm.
set -u

# shellcheck source=SCRIPTDIR/../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
MACHINES=$VB_SRCDIR/machines
need_built "$VMBOOT"
make_tmp
files=0

# Every example passes --check (images it names may be missing: warnings),
# reports no error, and starts with a comment saying what it is.
for f in "$MACHINES"/*.conf "$MACHINES"/*.yaml "$MACHINES"/*.yml; do
	[ -e "$f" ] || continue
	files=$((files + 1))
	if ! "$VMBOOT" --check --host-ram 16G --host-cpus 4 "$f" >"$TMP/out" 2>"$TMP/err"; then
		fail "$(basename "$f") does not pass --check:"
		cat "$TMP/err"
	elif grep -q ': error: ' "$TMP/err"; then
		fail "$(basename "$f"): errors despite exit 0:"
		cat "$TMP/err"
	fi
	head -n 1 "$f" | grep -q '^# ' || fail "$(basename "$f"): no comment on its first line"
	if ! "$VMBOOT" --plan --json --host-ram 16G --host-cpus 4 "$f" >"$TMP/out" 2>"$TMP/err"; then
		fail "$(basename "$f") does not plan:"
		cat "$TMP/err"
	fi
done
for want in minimal.conf debian.conf debian.yaml; do
	[ -f "$MACHINES/$want" ] || fail "machines/$want is missing"
done
[ "$files" -ge 3 ] || fail "only $files machine files in $MACHINES"

# The twins. Paths in the plan are resolved against each file's directory,
# which is the same; the source file name is the only allowed difference.
plan_of() {
	"$VMBOOT" --plan --json --host-ram 16G --host-cpus 4 "$MACHINES/$1" 2>/dev/null |
		sed "s|debian\\.conf|SOURCE|g; s|debian\\.yaml|SOURCE|g"
}
plan_of debian.conf >"$TMP/conf.json"
plan_of debian.yaml >"$TMP/yaml.json"
if [ ! -s "$TMP/conf.json" ]; then
	fail "debian.conf: no plan"
elif ! cmp -s "$TMP/conf.json" "$TMP/yaml.json"; then
	fail "debian.conf and debian.yaml plan differently:"
	diff "$TMP/conf.json" "$TMP/yaml.json"
fi
# Guard against both being empty or trivial: the twins are the documented
# Debian machine.
for field in '"name":"debian"' '"cpus":2' '"ram_mib":1024' '"id":"root"' \
	'"type":"rng"' '"type":"net"' '"type":"9p"' 'root=/dev/vda rw"'; do
	grep -qF "$field" "$TMP/conf.json" || fail "debian.conf plan lacks $field"
done
# The text plans agree too, apart from the file name on the first line.
for f in debian.conf debian.yaml; do
	"$VMBOOT" --plan --host-ram 16G --host-cpus 4 "$MACHINES/$f" 2>/dev/null | sed 1d >"$TMP/$f.txt"
done
cmp -s "$TMP/debian.conf.txt" "$TMP/debian.yaml.txt" || {
	fail "debian.conf and debian.yaml text plans differ:"
	diff "$TMP/debian.conf.txt" "$TMP/debian.yaml.txt"
}

echo "$files machine files checked, $failures failures"
[ "$failures" -eq 0 ] || exit 1
exit 0
