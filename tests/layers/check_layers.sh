#!/bin/sh
# check_layers.sh SRCDIR TABLE [BUILDDIR]: does SRCDIR keep the layer order?
#
# TABLE is a file with the layer table (ARCHITECTURE.md): the rows
# "| FLOOR | `dir`, `dir` | ... |" between the lines holding
# "layers:begin" and "layers:end". Each file under SRCDIR belongs to the
# entry that is the longest leading part of its path (a directory, or a
# file such as main.c); a file no entry covers is an error, so a new
# directory has to be given its floor.
#
# Refused, each with the place that does it:
#   upward include   an #include "..." in a .c or .h that names a file on a
#                    higher floor (same floor is fine: dev/pci.c may use
#                    dev/bus.h, virtio/9p.c may not be used by dev/);
#   include cycle    headers that include each other, directly or round a
#                    ring (a.h -> b.h -> a.h);
#   call cycle       with BUILDDIR: .c files that depend on each other
#                    through the symbols their objects define and use
#                    (boot.c calls bzimage.c, which calls back into
#                    boot.c). Read from `$NM -g -P -A` (NM defaults to nm)
#                    over the objects the build made from SRCDIR's .c files;
#                    calls through function pointers do not count, which is
#                    how a lower file calls up (an ops table, a callback).
# Includes that name no file under SRCDIR (system headers, the generated
# vb-paths.h) are not ours to order and are passed over.
#
# Prints what it refuses and exits 1, or a one-line summary and exits 0;
# exits 2 when it cannot run.
set -u

if [ $# -lt 2 ] || [ $# -gt 3 ]; then
	echo "usage: $0 SRCDIR TABLE [BUILDDIR]" >&2
	exit 2
fi
src=${1%/}
table=$2
build=${3:-}
NM=${NM:-nm}
for f in "$src" "$table"; do
	[ -e "$f" ] || { echo "$0: $f: not found" >&2; exit 2; }
done

tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
(cd "$src" && find . -type f \( -name '*.c' -o -name '*.h' \) | sed 's#^\./##' |
	LC_ALL=C sort) >"$tmp/files"
if [ ! -s "$tmp/files" ]; then
	echo "$0: no .c or .h files under $src" >&2
	exit 2
fi

# The object the build made from each .c file: DIR/NAME.o, or a program's
# own DIR/PROGRAM-NAME.o; the newest when there are several (one per test
# program that compiles the file itself).
: >"$tmp/objects"
if [ -n "$build" ]; then
	while read -r f; do
		case $f in *.c) ;; *) continue ;; esac
		dir=$(dirname "$f")
		name=$(basename "$f" .c)
		obj=$(ls -t "$build/src/$dir/$name.o" "$build/src/$dir/"*-"$name.o" 2>/dev/null |
			head -n 1)
		[ -n "$obj" ] && printf '%s %s\n' "$obj" "$f" >>"$tmp/objects"
	done <"$tmp/files"
	if [ ! -s "$tmp/objects" ]; then
		echo "$0: no objects under $build/src: build first" >&2
		exit 2
	fi
	# shellcheck disable=SC2046 # object paths have no blanks (make's)
	if ! "$NM" -g -P -A $(cut -d' ' -f1 "$tmp/objects") >"$tmp/symbols" 2>"$tmp/nm.err"; then
		echo "$0: $NM failed:" >&2
		cat "$tmp/nm.err" >&2
		exit 2
	fi
else
	: >"$tmp/symbols"
fi

# shellcheck disable=SC2046 # file names under src/ have no blanks
awk -v tablefile="$table" -v listfile="$tmp/files" -v objfile="$tmp/objects" \
	-v symfile="$tmp/symbols" -v src="$src/" -v callcheck="${build:+1}" '
function fail(msg) { print msg; failures++ }

# The layer table: "| 3 | `dev`, `net` | ... |".
FILENAME == tablefile {
	if ($0 ~ /layers:begin/) { intable = 1; next }
	if ($0 ~ /layers:end/) { intable = 0; next }
	if (!intable || $0 !~ /^\|[ \t]*[0-9]+[ \t]*\|/) next
	split($0, cell, "|")
	floor = cell[2] + 0
	n = split(cell[3], entry, /[`, \t]+/)
	for (i = 1; i <= n; i++) {
		if (entry[i] == "") continue
		if (entry[i] in rank) fail("layer table: " entry[i] " is listed twice")
		rank[entry[i]] = floor
		nentries++
	}
	next
}
FILENAME == listfile { isfile[$0] = 1; order[++nfiles] = $0; next }
FILENAME == objfile { objsrc[$1] = $2; hasobject[$2] = 1; next }
FILENAME == symfile {
	# "OBJ: SYMBOL TYPE [VALUE SIZE]"
	obj = $1; sub(/:$/, "", obj)
	if (!(obj in objsrc)) next
	if ($3 == "U" || $3 == "w" || $3 == "v") uses[objsrc[obj], $2] = 1
	else defined[$2] = (($2 in defined) ? defined[$2] SUBSEP : "") objsrc[obj]
	next
}

# A source file: its includes, as edges between files under src/.
FNR == 1 { file = substr(FILENAME, length(src) + 1) }
/^[ \t]*#[ \t]*include[ \t]*"/ {
	inc = $0
	sub(/^[^"]*"/, "", inc)
	sub(/".*/, "", inc)
	dir = file
	if (!sub(/\/[^\/]*$/, "", dir)) dir = ""
	if (!(inc in isfile) && dir != "" && ((dir "/" inc) in isfile)) inc = dir "/" inc
	if (!(inc in isfile)) next
	nincludes++
	if (!((file, inc) in incline)) incline[file, inc] = FNR
}

# The floor of a path: the longest table entry that is the path or one of
# its directories; -1 for none.
function floor_of(path,   e, best, len) {
	best = -1; len = 0
	for (e in rank)
		if ((path == e || substr(path, 1, length(e) + 1) == e "/") && length(e) > len) {
			best = rank[e]; len = length(e); owner[path] = e
		}
	return best
}

# Tarjan: strongly connected components of the graph in out[v, k]
# (nout[v] edges from v), over the vertices vertex[1..nvert]. Each
# component of two or more vertices gets a number c, size csize[c] and
# members cmember[c, i]; incomp[v] = c.
function strong(v,   k, w) {
	tindex[v] = tlow[v] = ++tcount
	tstack[++tsp] = v; onstack[v] = 1
	for (k = 1; k <= nout[v]; k++) {
		w = out[v, k]
		if (!(w in tindex)) {
			strong(w)
			if (tlow[w] < tlow[v]) tlow[v] = tlow[w]
		} else if (onstack[w] && tindex[w] < tlow[v]) {
			tlow[v] = tindex[w]
		}
	}
	if (tlow[v] != tindex[v]) return
	if (tstack[tsp] == v) { onstack[v] = 0; tsp--; return }
	ncomp++
	do {
		w = tstack[tsp--]; onstack[w] = 0
		cmember[ncomp, ++csize[ncomp]] = w; incomp[w] = ncomp
	} while (w != v)
}
function components(   i) {
	for (i = 1; i <= nvert; i++)
		if (!(vertex[i] in tindex)) strong(vertex[i])
}
function add_edge(a, b, why) {
	if ((a, b) in edgewhy) return
	edgewhy[a, b] = why
	out[a, ++nout[a]] = b
}
# One ring through component c, starting and ending at its first member by name,
# found breadth first inside the component: "a -> b (why) -> a (why)".
function ring(c,   s, head, tail, queue, seen, parent, v, k, w, path, i) {
	s = cmember[c, 1]
	for (i = 2; i <= csize[c]; i++) if (cmember[c, i] < s) s = cmember[c, i]
	head = tail = 0; queue[++tail] = s; seen[s] = 1
	while (head < tail) {
		v = queue[++head]
		for (k = 1; k <= nout[v]; k++) {
			w = out[v, k]
			if (incomp[w] != c) continue
			if (w == s) {
				path = " -> " s edgewhy[v, s]
				while (v != s) { path = " -> " v edgewhy[parent[v], v] path; v = parent[v] }
				return s path
			}
			if (!(w in seen)) { seen[w] = 1; parent[w] = v; queue[++tail] = w }
		}
	}
	return "(no ring found)"
}
function members(c,   i, list) {
	list = cmember[c, 1]
	for (i = 2; i <= csize[c]; i++) list = list ", " cmember[c, i]
	return list
}

END {
	if (nentries == 0) { print "layer table: no rows between layers:begin and layers:end in " tablefile; exit 2 }
	for (i = 1; i <= nfiles; i++) {
		f = order[i]
		fl[f] = floor_of(f)
		if (fl[f] < 0) fail("no floor: " f " (give its directory a row in the layer table)")
	}
	for (i = 1; i <= nfiles; i++) {
		f = order[i]
		for (j = 1; j <= nfiles; j++) {
			g = order[j]
			if (!((f, g) in incline) || fl[f] < 0 || fl[g] < 0) continue
			if (fl[g] > fl[f])
				fail("upward include: " f ":" incline[f, g] " (floor " fl[f] ", " owner[f] \
				     ") includes " g " (floor " fl[g] ", " owner[g] ")")
		}
	}

	# Headers that include each other.
	nvert = 0
	for (i = 1; i <= nfiles; i++) {
		f = order[i]
		if (f !~ /\.h$/) continue
		vertex[++nvert] = f
		for (j = 1; j <= nfiles; j++)
			if (order[j] ~ /\.h$/ && (f, order[j]) in incline && order[j] != f)
				add_edge(f, order[j], "")
	}
	components()
	for (c = 1; c <= ncomp; c++) fail("include cycle: " ring(c))
	header_cycles = ncomp

	if (callcheck) {
		# Start again with the .c files and who uses whose symbols.
		split("", out); split("", nout); split("", edgewhy); split("", tindex)
		split("", tlow); split("", onstack); split("", incomp); split("", cmember)
		split("", csize); ncomp = 0; nvert = 0; tcount = 0; tsp = 0
		for (i = 1; i <= nfiles; i++)
			if (order[i] in hasobject) { vertex[++nvert] = order[i]; nobjects++ }
		for (key in uses) {
			split(key, part, SUBSEP)
			if (!(part[2] in defined)) continue
			m = split(defined[part[2]], definer, SUBSEP)
			for (k = 1; k <= m; k++)
				if (definer[k] != part[1]) add_edge(part[1], definer[k], " (" part[2] ")")
		}
		components()
		for (c = 1; c <= ncomp; c++)
			fail("call cycle: " ring(c) "; all of " members(c) " reach each other")
	}

	if (failures) exit 1
	printf "layers: %d files, %d includes in order over %d table entries; no include cycles", \
	       nfiles, nincludes, nentries
	if (callcheck) printf "; no call cycles between %d objects", nobjects
	printf "\n"
}
' "$table" "$tmp/files" "$tmp/objects" "$tmp/symbols" $(sed "s#^#$src/#" "$tmp/files")
