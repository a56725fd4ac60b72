#!/usr/bin/env bash
# Every Debian package the build and the tests read is installed by ./dev.
#
# Why: slirp.pc Requires glib-2.0, and Debian's libslirp-dev does not depend
# on libglib2.0-dev, so a fresh machine stopped at configure while CI passed
# on a machine that had glib installed by hand (issue #10). Nothing here is a
# hand-kept list: the modules, headers, libraries and programs come from
# configure.ac, the packages from `./dev packages`, the commands from the
# test scripts' `command -v` guards.
#
# "./dev installs P" means: P is in ./dev's list, or a package in the list
# pulls P in through Depends or Pre-Depends, transitively (for `a | b` the
# first alternative that is installed here, as apt would pick it; a virtual
# package by its installed providers), or P is one of Debian's Essential
# packages (on every system). Checked:
#   1. each pkg-config module configure.ac checks (PKG_CHECK_MODULES), and
#      the modules of its Requires and Requires.private, transitively (a
#      static link reads the private ones): the package that owns the .pc
#      file is installed by ./dev's build list;
#   2. the headers (AC_CHECK_HEADER[S]), libraries (AC_CHECK_LIB) and
#      programs (AC_PROG_CC, AC_CHECK_TOOL, ..., autoreconf, make) the build
#      reads: likewise;
#   3. each command a script under tests/ guards with `command -v CMD`: its
#      package is installed by ./dev's build or test list;
#   4. README's "Building by hand" apt-get line names exactly ./dev's build
#      list.
# Something optional (a PKG_CHECK_MODULES with an action-if-not-found, a
# check without AC_MSG_ERROR) that is not installed is skipped with a note.
#
# Exits 77 (skip) without dpkg. VB_DEV_SCRIPT=PATH checks another ./dev
# (e.g. a copy without libglib2.0-dev, to see this test fail), VB_README=PATH
# another README.
set -u

VB_BUILDDIR=${VB_BUILDDIR-}
# shellcheck source=SCRIPTDIR/../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
srcdir=$VB_SRCDIR
dev=${VB_DEV_SCRIPT:-$srcdir/dev}
readme=${VB_README:-$srcdir/README.md}
configure_ac=$srcdir/configure.ac
pkg_config=${PKG_CONFIG:-pkg-config}

need_cmd dpkg-query "not a Debian system (no dpkg-query): cannot tell which package owns what"
[ -f "$dev" ] || skip "$dev not found: no package lists to check"
for f in "$configure_ac" "$readme"; do
	[ -r "$f" ] || { echo "ERROR: $f not readable"; exit 99; }
done
command -v "$pkg_config" >/dev/null 2>&1 ||
	{ echo "ERROR: $pkg_config not found (it is in ./dev's build list)"; exit 99; }

make_tmp

note() {
	echo "note: $*"
}

if ! bash "$dev" packages build >"$TMP/build.list" || [ ! -s "$TMP/build.list" ]; then
	echo "ERROR: '$dev packages build' failed or printed nothing"
	exit 99
fi
if ! bash "$dev" packages test >"$TMP/test.list"; then
	echo "ERROR: '$dev packages test' failed"
	exit 99
fi
cat "$TMP/build.list" "$TMP/test.list" >"$TMP/all.list"

# ---------------------------------------------------------------------------
# The installed-package database and the closure of a list.

# name, status, Essential, Provides, Depends, Pre-Depends; one line a package
# (and architecture), fields separated by tabs.
dpkg-query -W -f='${Package}\t${db:Status-Abbrev}\t${Essential}\t${Provides}\t${Depends}\t${Pre-Depends}\n' \
	>"$TMP/db" 2>/dev/null || { echo "ERROR: dpkg-query -W failed"; exit 99; }

# closure SEEDS_FILE: prints "PACKAGE<TAB>HOW" for every package the seeds
# install, HOW being "listed", "via SEED" or "essential".
closure() {
	awk -F'\t' '
	function clean(s) {
		sub(/\(.*\)/, "", s)
		gsub(/[ \t]/, "", s)
		sub(/:.*/, "", s)
		return s
	}
	function add(p, how) {
		if (p == "" || p in how_of) return
		how_of[p] = how
		queue[tail++] = p
	}
	# The installed packages that satisfy a dependency on name.
	function resolve(name) {
		if (name in installed) return name
		if (name in providers) return providers[name]
		return ""
	}
	FNR == NR {
		if ($2 !~ /^ii/) next
		installed[$1] = 1
		d = $5
		if ($6 != "") d = d (d == "" ? "" : ",") $6
		if (d != "") deps[$1] = deps[$1] (deps[$1] == "" ? "" : ",") d
		if ($3 == "yes") essential[$1] = 1
		n = split($4, pv, ",")
		for (i = 1; i <= n; i++) {
			v = clean(pv[i])
			if (v != "") providers[v] = providers[v] (v in providers ? " " : "") $1
		}
		next
	}
	{ seeds[++nseeds] = $1 }
	END {
		for (i = 1; i <= nseeds; i++) {
			add(seeds[i], "listed")
			# A listed virtual package installs one of its providers.
			if (!(seeds[i] in installed) && seeds[i] in providers) {
				nr = split(providers[seeds[i]], real, " ")
				for (k = 1; k <= nr; k++) add(real[k], "via " seeds[i])
			}
		}
		for (p in essential) add(p, "essential")
		while (head < tail) {
			p = queue[head++]
			root = how_of[p] == "listed" ? p : how_of[p]
			sub(/^via /, "", root)
			ng = split(deps[p], groups, ",")
			for (g = 1; g <= ng; g++) {
				na = split(groups[g], alts, "|")
				for (a = 1; a <= na; a++) {
					r = resolve(clean(alts[a]))
					if (r == "") continue
					nr = split(r, real, " ")
					for (k = 1; k <= nr; k++)
						add(real[k], root == "essential" ? "essential" : "via " root)
					break
				}
			}
		}
		for (p in how_of) print p "\t" how_of[p]
	}' "$TMP/db" "$1"
}

closure "$TMP/build.list" >"$TMP/build.closure"
closure "$TMP/all.list" >"$TMP/all.closure"

# Listed packages that are not installed here: their dependencies cannot be
# followed, so a failure below may be a false one; say so.
lists_installed=1
while read -r p; do
	if ! awk -F'\t' -v p="$p" '$1 == p && $2 ~ /^ii/ { found = 1 } END { exit !found }' "$TMP/db"; then
		note "$p (in ./dev's lists) is not installed here: its dependencies are not followed (run ./dev deps)"
		lists_installed=0
	fi
done <"$TMP/all.list"

# ---------------------------------------------------------------------------
# configure.ac's macro calls.

# Prints one line per call of the named macros: MACRO, the number of
# arguments, then each argument with one level of [quotes] removed and
# white space squeezed; fields separated by \037 (an argument may be empty).
macro_calls() {
	awk -v names="$*" '
	function unquote(s) {
		gsub(/[ \t\n]+/, " ", s)
		sub(/^ /, "", s)
		sub(/ $/, "", s)
		if (s ~ /^\[/ && s ~ /\]$/) s = substr(s, 2, length(s) - 2)
		return s
	}
	# Reads the arguments of the call whose "(" is just before k (m4:
	# commas split arguments outside [quotes] and nested parentheses).
	function parse_call(word, k,    depth_b, depth_p, c, arg, nargs, args, out, a) {
		depth_b = 0; depth_p = 1; arg = ""; nargs = 0
		for (; k <= len; k++) {
			c = substr(text, k, 1)
			if (c == "[") depth_b++
			else if (c == "]") depth_b--
			else if (depth_b == 0 && c == "(") depth_p++
			else if (depth_b == 0 && c == ")" && --depth_p == 0) break
			else if (depth_b == 0 && depth_p == 1 && c == ",") {
				args[++nargs] = arg
				arg = ""
				continue
			}
			arg = arg c
		}
		args[++nargs] = arg
		out = word "\037" nargs
		for (a = 1; a <= nargs; a++) out = out "\037" unquote(args[a])
		print out
		return k + 1
	}
	BEGIN { n = split(names, nm, " "); for (i = 1; i <= n; i++) want[nm[i]] = 1 }
	/^[ \t]*(#|dnl([ \t]|$))/ { next }
	{ text = text $0 "\n" }
	END {
		len = length(text)
		i = 1
		while (i <= len) {
			if (substr(text, i, 1) !~ /[A-Za-z_]/) { i++; continue }
			j = i
			while (j <= len && substr(text, j, 1) ~ /[A-Za-z0-9_]/) j++
			word = substr(text, i, j - i)
			if ((word in want) && substr(text, j, 1) == "(") i = parse_call(word, j + 1)
			else {
				if (word in want) print word "\0370"
				i = j
			}
		}
	}' "$configure_ac"
}

macro_calls PKG_CHECK_MODULES AC_CHECK_HEADER AC_CHECK_HEADERS AC_CHECK_LIB \
	AC_CHECK_TOOL AC_CHECK_PROG AC_PATH_PROG AC_PATH_TOOL \
	AC_PROG_CC AM_PROG_AS AM_PROG_AR AC_PROG_RANLIB AC_INIT AM_INIT_AUTOMAKE \
	>"$TMP/calls"
grep -q '^PKG_CHECK_MODULES' "$TMP/calls" ||
	{ echo "ERROR: no PKG_CHECK_MODULES found in $configure_ac: the parser is broken"; exit 99; }

# ---------------------------------------------------------------------------
# The things to find, one line each in $TMP/wanted:
#   WHAT \t PATH \t LIST   (LIST: build or all)

# want WHAT PATH LIST [PARENT]: PARENT is the pkg-config module whose
# Requires named this one (a failure there is the one to fix first).
want() {
	printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "${4:-}" >>"$TMP/wanted"
}
: >"$TMP/wanted"

# Programs are looked up where Debian's packages put them: a command that
# is only in /usr/local or ~/.pyenv is not something ./dev installs.
system_path=/usr/sbin:/usr/bin:/sbin:/bin
system_command() {
	PATH=$system_path command -v "$1" 2>/dev/null | grep '^/'
}

# The C compiler configure picks first (AC_PROG_CC tries gcc, then cc).
cc=$(system_command gcc || system_command cc || true)

# want_program WHAT CMD REQUIRED LIST
want_program() {
	local path
	if path=$(system_command "$2"); then
		want "$1" "$path" "$4"
	elif [ "$3" = 1 ]; then
		fail "$1: $2 not found in $system_path"
	else
		note "$1: $2 not found (optional): skipped"
	fi
}

# 1. pkg-config modules, walked through Requires and Requires.private.
declare -A module_seen=()
walk_module() {
	local module=$1 chain=$2 optional=$3 parent=${4:-} path req
	[ -z "${module_seen[$module]:-}" ] || return 0
	module_seen[$module]=1
	if ! "$pkg_config" --exists "$module" 2>/dev/null; then
		if [ "$optional" = 1 ]; then
			note "pkg-config module $module ($chain) is optional and not installed: skipped"
		else
			fail "pkg-config module $module ($chain) not found: no $module.pc installed (after ./dev deps, that means ./dev's build list lacks its package)"
		fi
		return 0
	fi
	path=$("$pkg_config" --path "$module" 2>/dev/null)
	[ -n "$path" ] || { fail "pkg-config --path $module printed nothing"; return 0; }
	want "pkg-config module $module ($chain)" "$path" build "$parent"
	for req in $({ "$pkg_config" --print-requires "$module"
		"$pkg_config" --print-requires-private "$module"; } 2>/dev/null |
		awk '{ print $1 }'); do
		walk_module "$req" "$chain -> $req" "$optional" "$module"
	done
}

# 2. Headers, libraries and programs.
header_path() {
	[ -n "$cc" ] || return 1
	printf '#include <%s>\n' "$1" | "$cc" -E -H -x c - 2>&1 >/dev/null |
		awk -v h="/$1" '$1 == "." && substr($2, length($2) - length(h) + 1) == h { print $2; exit }'
}

library_path() {
	local f
	[ -n "$cc" ] || return 1
	for f in "lib$1.so" "lib$1.a"; do
		f=$("$cc" -print-file-name="$f")
		case $f in /*) realpath -s "$f"; return 0 ;; esac
	done
	return 1
}

while IFS=$'\037' read -r -a call; do
	macro=${call[0]}
	nargs=${call[1]}
	args=("${call[@]:2}")
	required=0
	case "${args[*]}" in *AC_MSG_ERROR*) required=1 ;; esac
	case $macro in
	PKG_CHECK_MODULES)
		optional=0
		[ "$nargs" -ge 4 ] && optional=1
		want_program "$macro (pkg-config)" pkg-config 1 build
		# "libconfig >= 1.5 foo": module names, not operators or versions.
		read -r -a words <<<"${args[1]}"
		for ((i = 0; i < ${#words[@]}; i++)); do
			case ${words[i]} in
			'<' | '<=' | '=' | '!=' | '>=' | '>') i=$((i + 1)) ;;
			*) walk_module "${words[i]}" "configure.ac: ${words[i]}" "$optional" ;;
			esac
		done
		;;
	AC_CHECK_HEADER | AC_CHECK_HEADERS)
		for h in ${args[0]}; do
			if path=$(header_path "$h") && [ -n "$path" ]; then
				want "header <$h> ($macro)" "$path" build
			elif [ "$required" = 1 ]; then
				fail "header <$h> ($macro) not found by $cc"
			else
				note "header <$h> ($macro) is optional and not found: skipped"
			fi
		done
		;;
	AC_CHECK_LIB)
		if path=$(library_path "${args[0]}"); then
			want "library -l${args[0]} ($macro)" "$path" build
		elif [ "$required" = 1 ]; then
			fail "library -l${args[0]} ($macro) not found by $cc"
		else
			note "library -l${args[0]} ($macro) is optional and not found: skipped"
		fi
		;;
	AC_CHECK_TOOL | AC_CHECK_PROG | AC_PATH_PROG | AC_PATH_TOOL)
		read -r -a words <<<"${args[1]}"
		want_program "program ${words[0]} ($macro)" "${words[0]}" "$required" build
		;;
	AC_PROG_CC | AM_PROG_AS) want_program "C compiler ($macro)" gcc 1 build ;;
	AM_PROG_AR) want_program "program ar ($macro)" ar 1 build ;;
	AC_PROG_RANLIB) want_program "program ranlib ($macro)" ranlib 1 build ;;
	# ./dev regenerates configure (autoreconf) and runs make.
	AC_INIT)
		want_program "program autoreconf (./dev, $macro)" autoreconf 1 build
		want_program "program make (./dev)" make 1 build
		;;
	AM_INIT_AUTOMAKE) want_program "program automake ($macro)" automake 1 build ;;
	esac
done <"$TMP/calls"

# 3. Commands the test scripts guard with `command -v CMD` or `need_cmd CMD`
# (tests/lib/common.sh).
# (This script's own text is not a test's guard.) The programs vmboot
# itself builds or installs (*_PROGRAMS, *_SCRIPTS) are no package's.
find "$srcdir" \( -name Makefile.am -o -name local.mk \) -exec awk '
	/^[a-z_]*_(PROGRAMS|SCRIPTS)[ \t]*\+?=/ { sub(/^[^=]*=/, ""); collecting = 1 }
	collecting {
		more = sub(/\\$/, "")
		n = split($0, w, /[ \t]+/)
		for (i = 1; i <= n; i++) if (w[i] != "" && w[i] !~ /^\$/) { sub(/.*\//, "", w[i]); print w[i] }
		collecting = more
	}' {} + | sort -u >"$TMP/own-programs"
grep -rIo -E '(command -v|need_cmd) [A-Za-z0-9_.+-]+' --exclude-dir=deps "$srcdir/tests" 2>/dev/null |
	sed -E "s|^$srcdir/||; s/:(command -v|need_cmd) / /" | sort -k2,2 -u >"$TMP/commands"
while read -r file name; do
	if grep -qxF "$name" "$TMP/own-programs"; then
		note "command $name ($file) is built by vmboot itself: skipped"
		continue
	fi
	if path=$(system_command "$name"); then
		want "command $name ($file)" "$path" all
	elif [ "$lists_installed" = 1 ]; then
		fail "command $name ($file) is not in $system_path although every package ./dev lists is installed: the tests that need it skip; add its package to test_packages in ./dev"
	else
		note "command $name ($file) is not installed here: cannot tell whether ./dev's lists provide it"
	fi
done <"$TMP/commands"

# ---------------------------------------------------------------------------
# Owners: one dpkg -S for every path, each also asked as normalized, as its
# symlink target and under its merged-/usr twin (Debian 12 has /bin -> usr/bin,
# and a package may have shipped either name).
variants() {
	local p v
	for p in "$1" "$(realpath -s "$1" 2>/dev/null)" "$(readlink -f "$1" 2>/dev/null)"; do
		[ -n "$p" ] || continue
		printf '%s\n' "$p"
		case $p in
		/usr/bin/* | /usr/sbin/* | /usr/lib/* | /usr/lib64/*) v=${p#/usr} ;;
		/bin/* | /sbin/* | /lib/* | /lib64/*) v=/usr$p ;;
		*) v= ;;
		esac
		[ -z "$v" ] || printf '%s\n' "$v"
	done | awk '!seen[$0]++'
}

cut -f2 "$TMP/wanted" | sort -u | while read -r p; do variants "$p"; done |
	sort -u >"$TMP/paths"
# "pkg:arch, pkg2: /path"; diversions are not owners.
xargs -r -d '\n' dpkg-query -S <"$TMP/paths" 2>/dev/null |
	awk '/^diversion by / { next }
	{
		i = index($0, ": ")
		n = split(substr($0, 1, i - 1), owners, ", ")
		path = substr($0, i + 2)
		for (k = 1; k <= n; k++) { o = owners[k]; sub(/:.*/, "", o); print path "\t" o }
	}' | sort -u >"$TMP/owners"

owners_of() {
	local v
	variants "$1" | while read -r v; do
		awk -F'\t' -v p="$v" '$1 == p { print $2 }' "$TMP/owners"
	done | awk '!seen[$0]++'
}

declare -A failed_module=()
while IFS=$'\t' read -r what path list parent; do
	checks=$((checks + 1))
	owners=$(owners_of "$path" | tr '\n' ' ')
	owners=${owners% }
	if [ -z "$owners" ]; then
		fail "$what: $path belongs to no Debian package (installed by hand?): ./dev cannot install it"
		continue
	fi
	how=
	for o in $owners; do
		how=$(awk -F'\t' -v p="$o" '$1 == p { print $2; exit }' "$TMP/$list.closure")
		[ -z "$how" ] || { owner=$o; break; }
	done
	if [ -n "$how" ]; then
		echo "ok: $what -> $owner ($how)"
		continue
	fi
	if [ "$list" = build ]; then
		where="build_packages"
	else
		where="build_packages or test_packages"
	fi
	module=${what#pkg-config module }
	[ "$module" = "$what" ] || failed_module[${module%% *}]=1
	if [ -n "$parent" ] && [ -n "${failed_module[$parent]:-}" ]; then
		fix="adding the package of $parent (above) may pull it in"
	else
		fix="add it to $where in ./dev"
	fi
	fail "$what -> ${owners// / or } ($path): ./dev's $where neither list it nor pull it in; $fix"
done < <(awk '!seen[$0]++' "$TMP/wanted")

# ---------------------------------------------------------------------------
# 4. README's "Building by hand" apt-get line is ./dev's build list.
checks=$((checks + 1))
awk '
	/^## / { in_section = ($0 ~ /^## Building by hand/) ; next }
	!in_section { next }
	collecting || /apt-get install/ {
		line = $0
		if (!collecting) sub(/.*apt-get install/, "", line)
		collecting = (line ~ /\\$/)
		sub(/\\$/, "", line)
		printf "%s ", line
		if (!collecting) exit
	}' "$readme" | tr -s ' \t' '\n' | grep -v -e '^$' -e '^-' | sort -u >"$TMP/readme.list"
sort -u "$TMP/build.list" >"$TMP/build.sorted"
if [ ! -s "$TMP/readme.list" ]; then
	fail "README: no 'apt-get install' line in the 'Building by hand' section"
else
	missing=$(comm -23 "$TMP/build.sorted" "$TMP/readme.list" | tr '\n' ' ')
	extra=$(comm -13 "$TMP/build.sorted" "$TMP/readme.list" | tr '\n' ' ')
	[ -z "$missing" ] || fail "README's 'Building by hand' list lacks ./dev's build packages: ${missing% }"
	[ -z "$extra" ] || fail "README's 'Building by hand' list names packages ./dev's build list lacks: ${extra% }"
	[ -n "$missing$extra" ] || echo "ok: README's 'Building by hand' list is ./dev's build list ($(wc -l <"$TMP/build.sorted") packages)"
fi

echo "$checks checks, $failures failures"
[ "$failures" -eq 0 ]
