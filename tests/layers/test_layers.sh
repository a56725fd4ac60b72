#!/bin/sh
# The layer order of ARCHITECTURE.md holds over src/ (check_layers.sh), and
# the check can fail:
#   1. src/ as it is: no upward include, no include cycle, no call cycle
#      between the objects the build made (and it read most of them).
#   2. A copy of src/ with one include added that points up (mem -> machine,
#      and dev -> virtio as ivshmem.c once had) fails, naming the file and
#      line, the floors and the header.
#   3. A small made-up tree: includes down and within a floor pass; two
#      headers including each other fail as an include cycle; a directory
#      without a floor fails; two objects calling each other (a stand-in
#      for nm) fail as a call cycle naming both and a symbol each way,
#      while calls one way pass.
#   4. The drawing in ARCHITECTURE.md from `vmboot machines/debian.conf` to
#      KVM_RUN names each function with the file that defines it, and it
#      reads at least 25 of them; a renamed one is caught.
set -u

: "${VB_BUILDDIR:?run through make check, or set VB_BUILDDIR}"
# shellcheck source=SCRIPTDIR/../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
CHECK=$VB_SRCDIR/tests/layers/check_layers.sh
TABLE=$VB_SRCDIR/ARCHITECTURE.md
make_tmp

# expect STATUS NAME [PATTERN...] -- ARGS: runs the check with ARGS; its
# exit status must be STATUS and its output must match every PATTERN
# (grep -E).
expect() {
	want=$1 name=$2
	shift 2
	pats=
	while [ "$1" != -- ]; do
		pats="$pats
$1"
		shift
	done
	shift
	sh "$CHECK" "$@" >"$TMP/out" 2>&1
	got=$?
	if [ "$got" -ne "$want" ]; then
		fail "$name: exit $got, want $want"
		sed 's/^/    /' "$TMP/out"
		return
	fi
	echo "$pats" | while IFS= read -r pat; do
		[ -z "$pat" ] && continue
		grep -Eq -- "$pat" "$TMP/out" || { echo "no /$pat/"; exit 1; }
	done >"$TMP/missing" || {
		fail "$name: $(cat "$TMP/missing") in:"
		sed 's/^/    /' "$TMP/out"
		return
	}
	echo "ok: $name"
}

# 1. The tree as it is.
expect 0 "src/ keeps the layer order" \
	'^layers: [0-9]+ files, [0-9]+ includes in order' \
	'no call cycles between ([5-9][0-9]|[1-9][0-9][0-9]+) objects' \
	-- "$VB_SRCDIR/src" "$TABLE" "$VB_BUILDDIR"

# 2. A copy with one upward include each.
cp -R "$VB_SRCDIR/src" "$TMP/up"
echo '#include "machine/vm.h"' >>"$TMP/up/mem/memmap.h"
line=$(wc -l <"$TMP/up/mem/memmap.h")
expect 1 "an upward include fails" \
	"^upward include: mem/memmap.h:$line \\(floor 1, mem\\) includes machine/vm.h \\(floor 5, machine\\)$" \
	-- "$TMP/up" "$TABLE"
cp "$VB_SRCDIR/src/mem/memmap.h" "$TMP/up/mem/memmap.h"
echo '#include "virtio/virtio.h"' >>"$TMP/up/dev/ivshmem.c"
expect 1 "dev including virtio fails" \
	'^upward include: dev/ivshmem.c:[0-9]+ \(floor 3, dev\) includes virtio/virtio.h \(floor 4, virtio\)$' \
	-- "$TMP/up" "$TABLE"

# 3. A made-up tree.
mkdir -p "$TMP/fake/util" "$TMP/fake/mem" "$TMP/build/src/util" "$TMP/build/src/mem"
cat >"$TMP/table.md" <<'EOF'
<!-- layers:begin -->
| floor | under src/ | what |
| ----: | --- | --- |
| 0 | `util` | below |
| 1 | `mem` | above |
<!-- layers:end -->
EOF
printf '#include "util/a.h"\n' >"$TMP/fake/util/b.h"
printf '/* a */\n' >"$TMP/fake/util/a.h"
printf '#include "util/a.h"\n#include "util/b.h"\n#include <stdio.h>\n#include "vb-paths.h"\n' \
	>"$TMP/fake/util/a.c"
printf '#include "util/a.h"\n' >"$TMP/fake/mem/m.h"
printf '#include "mem/m.h"\n#include "util/b.h"\n' >"$TMP/fake/mem/m.c"
expect 0 "includes down and within a floor pass" \
	'^layers: 5 files, 6 includes in order over 2 table entries; no include cycles$' \
	-- "$TMP/fake" "$TMP/table.md"

printf '#include "util/b.h"\n' >"$TMP/fake/util/a.h"
expect 1 "headers including each other fail" \
	'^include cycle: util/a.h -> util/b.h -> util/a.h$' \
	-- "$TMP/fake" "$TMP/table.md"
printf '/* a */\n' >"$TMP/fake/util/a.h"

mkdir "$TMP/fake/extra"
: >"$TMP/fake/extra/x.c"
expect 1 "a directory without a floor fails" \
	'^no floor: extra/x.c ' \
	-- "$TMP/fake" "$TMP/table.md"
rm -r "$TMP/fake/extra"

# A stand-in for nm -g -P -A: a.c calls m_fn in m.c; m.c calls a_fn back
# when $TMP/callback exists.
: >"$TMP/build/src/util/a.o"
: >"$TMP/build/src/mem/m.o"
cat >"$TMP/nm" <<EOF
#!/bin/sh
for o; do
	case \$o in -*) continue ;; esac
	case \$o in
	*/a.o) printf '%s: a_fn T 0 10\n%s: m_fn U\n' "\$o" "\$o" ;;
	*/m.o) printf '%s: m_fn T 0 10\n' "\$o"
	       [ -e "$TMP/callback" ] && printf '%s: a_fn U\n' "\$o" ;;
	esac
done
EOF
chmod +x "$TMP/nm"
NM=$TMP/nm
export NM
expect 0 "calls one way pass" \
	'no call cycles between 2 objects$' \
	-- "$TMP/fake" "$TMP/table.md" "$TMP/build"
: >"$TMP/callback"
expect 1 "files calling each other fail" \
	'^call cycle: mem/m.c -> util/a.c \(a_fn\) -> mem/m.c \(m_fn\); all of ' \
	-- "$TMP/fake" "$TMP/table.md" "$TMP/build"

# 4. The drawing from the command line to KVM_RUN still names functions
# that exist, and a drawing naming one that does not is caught.
# flow_check DOC: on each line of DOC's drawing, every name() before a
# src/ file must be defined in that file (a line starting in column 0 with
# the name after a type, not a prototype). Prints "found NAME" for each,
# and a line for each that is not.
flow_check() {
	awk '/flow:begin/ { on = 1; next } /flow:end/ { on = 0 } on' "$1" |
	while IFS= read -r line; do
		file=$(printf '%s\n' "$line" | grep -Eo 'src/[A-Za-z0-9_/]+\.c' | head -n 1)
		names=$(printf '%s\n' "${line%%src/*}" | grep -Eo '[A-Za-z_][A-Za-z0-9_]*\(\)' |
			tr -d '()')
		[ -z "$names" ] && continue
		if [ -z "$file" ]; then
			echo "no file for: $line"
			continue
		fi
		for name in $names; do
			if grep -Eq "^[A-Za-z].*[ *]$name\\([^;]*\$" "$VB_SRCDIR/$file" 2>/dev/null; then
				echo "found $name"
			else
				echo "not defined in $file: $name()"
			fi
		done
	done
}
flow_check "$TABLE" >"$TMP/flow"
found=$(grep -c '^found ' "$TMP/flow")
if grep -v '^found ' "$TMP/flow" >"$TMP/flow.bad"; then
	fail "the drawing in ARCHITECTURE.md is out of date:"
	sed 's/^/    /' "$TMP/flow.bad"
elif [ "$found" -lt 25 ]; then
	fail "the drawing in ARCHITECTURE.md: only $found functions read"
else
	echo "ok: the drawing's $found functions are where it says"
fi
sed 's/vb_resolve()/vb_resolve_gone()/' "$TABLE" >"$TMP/stale.md"
if flow_check "$TMP/stale.md" | grep -qx 'not defined in src/machine/resolve.c: vb_resolve_gone()'; then
	echo "ok: a drawing naming a function that is gone fails"
else
	fail "a drawing naming vb_resolve_gone() passed"
fi

[ "$failures" -eq 0 ] || exit 1
