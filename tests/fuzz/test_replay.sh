#!/bin/sh
# Every fuzz target still builds from the sources its row in fuzz/run names,
# warning-free, and runs its whole seed corpus without a crash: the fuzzers
# are not run by CI, and a moved or split source file would otherwise only
# show up the next time someone fuzzes. Uses fuzz/run --replay (the ordinary
# compiler and fuzz/replay.c; no libFuzzer needed).
set -u
src=${VB_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
targets=$("$src/fuzz/run" --list)
[ -n "$targets" ] || { echo "FAIL: fuzz/run --list printed no targets"; exit 1; }
failed=0
count=0
for t in $targets; do
	count=$((count + 1))
	if FUZZ_OUT=$out "$src/fuzz/run" --replay "$t" >"$out/$t.log" 2>&1; then
		echo "ok: $t: $(tail -n 1 "$out/$t.log")"
	else
		echo "FAIL: $t:"
		sed 's/^/    /' "$out/$t.log"
		failed=$((failed + 1))
	fi
done
echo "$count targets, $failed failures"
[ "$failed" -eq 0 ]
