#!/bin/sh
# Every fuzz target still builds from the sources its row in fuzz/run names,
# warning-free, and runs its whole seed corpus without a crash: the fuzzers
# are not run by CI, and a moved or split source file would otherwise only
# show up the next time someone fuzzes. Uses fuzz/run --replay (the ordinary
# compiler and fuzz/replay.c; no libFuzzer needed).
set -u
VB_BUILDDIR=${VB_BUILDDIR-}
# shellcheck source=SCRIPTDIR/../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
src=$VB_SRCDIR
make_tmp
out=$TMP
targets=$("$src/fuzz/run" --list)
[ -n "$targets" ] || { echo "FAIL: fuzz/run --list printed no targets"; exit 1; }
count=0
for t in $targets; do
	count=$((count + 1))
	if FUZZ_OUT=$out "$src/fuzz/run" --replay "$t" >"$out/$t.log" 2>&1; then
		echo "ok: $t: $(tail -n 1 "$out/$t.log")"
	else
		fail "$t:"
		show "$out/$t.log"
	fi
done
echo "$count targets, $failures failures"
[ "$failures" -eq 0 ]
