#!/bin/sh
# shellcheck shell=bash disable=SC1090
# contrib/bash-completion/vmboot, driven the way readline drives it: set
# COMP_WORDS, COMP_CWORD, COMP_LINE and COMP_POINT for a command line, call
# _vmboot, compare COMPREPLY. The `vmboot` it completes is the build's,
# through a stub on PATH that answers `list --json` with two fixture VMs
# (in the JSON writer's format); one case lists a real (fake) VM
# (tests/control/fakevm) through the real writer. Every case runs twice:
# with plain bash, and with bash-completion's helpers loaded (skipped with
# a note where the bash-completion package is not installed).
set -u

if [ -z "${BASH_VERSION-}" ]; then
	command -v bash >/dev/null 2>&1 || { echo "SKIP: bash is not installed"; exit 77; }
	exec bash "$0" "$@"
fi

# shellcheck source=SCRIPTDIR/../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
COMPLETION=$VB_SRCDIR/contrib/bash-completion/vmboot
BASH_COMPLETION=${VB_BASH_COMPLETION:-/usr/share/bash-completion/bash_completion}
need_built "$VMBOOT"

make_tmp
fake_pid=
cleanup() {
	[ -z "$fake_pid" ] || kill "$fake_pid" 2>/dev/null
	rm -rf "$TMP"
}

# The stub: `vmboot list --json` prints the fixture, anything else is the
# build's vmboot. VB_LIST_FOR_REAL=1 makes list the real one too.
mkdir "$TMP/bin" "$TMP/empty" "$TMP/files" "$TMP/files/dir" "$TMP/run"
chmod 0700 "$TMP/run"
cat >"$TMP/list.json" <<'EOF'
[
  {"name": "web", "pid": 4242, "state": "running", "cpus": 2, "memory_bytes": 536870912, "uptime_s": 61, "console": "/dev/pts/3"},
  {"name": "db-1.test", "pid": null, "state": "not answering", "cpus": null, "memory_bytes": null, "uptime_s": null, "console": null}
]
EOF
cat >"$TMP/bin/vmboot" <<EOF
#!/bin/sh
if [ "\$*" = "list --json" ] && [ -z "\${VB_LIST_FOR_REAL-}" ]; then
	cat '$TMP/list.json'
	exit 0
fi
exec '$VMBOOT' "\$@"
EOF
chmod +x "$TMP/bin/vmboot"
touch "$TMP/files/a.conf" "$TMP/files/b.yaml" "$TMP/files/c.txt"
PATH=$TMP/bin:$PATH
# A private socket directory: the real list sees only the fake VM.
XDG_RUNTIME_DIR=$TMP/run
export PATH XDG_RUNTIME_DIR

# complete LINE: COMPREPLY for the cursor at the end of LINE, sorted, on
# one line. The words are split as readline splits them: at spaces, and
# around each '=' (COMP_WORDBREAKS), which is a word of its own.
complete_line() {
	local line=$1 token part
	local -a tokens
	read -ra tokens <<<"$line"
	COMP_WORDS=()
	for token in "${tokens[@]}"; do
		while [[ $token == *=* ]]; do
			part=${token%%=*}
			[[ $part ]] && COMP_WORDS+=("$part")
			COMP_WORDS+=("=")
			token=${token#*=}
		done
		[[ $token ]] && COMP_WORDS+=("$token")
	done
	[[ $line == *" " ]] && COMP_WORDS+=("")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMP_LINE=$line
	COMP_POINT=${#line}
	COMPREPLY=()
	_vmboot vmboot "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
	printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ' | sed 's/ $//'
}

# expect MODE DIR LINE WANT: completing LINE in DIR gives exactly WANT
# (sorted, space-separated).
expect() {
	local mode=$1 dir=$2 line=$3 want=$4 got
	checks=$((checks + 1))
	got=$(cd "$dir" && complete_line "$line")
	[ "$got" = "$want" ] || fail "$mode: '$line<TAB>': want [$want], got [$got]"
}

# expect_has MODE LINE WORD... : the completions include each WORD
# (!WORD: do not include it).
expect_has() {
	local mode=$1 line=$2 got w
	shift 2
	got=" $(cd "$TMP/empty" && complete_line "$line") "
	for w in "$@"; do
		checks=$((checks + 1))
		case $w in
		!*) [[ $got != *" ${w#!} "* ]] || fail "$mode: '$line<TAB>' offers ${w#!}:$got" ;;
		*) [[ $got == *" $w "* ]] || fail "$mode: '$line<TAB>' lacks $w:$got" ;;
		esac
	done
}

cases() {
	local m=$1 e=$TMP/empty f=$TMP/files
	# Commands: every word of `vmboot --help`, and a prefix.
	expect "$m" "$e" "vmboot " \
		"balloon check console debug help kernel-check list pause plan resume run schema stat stop version"
	expect "$m" "$e" "vmboot sto" "stop"
	expect "$m" "$e" "vmboot ke" "kernel-check"
	expect "$m" "$e" "vmboot help " \
		"balloon check console debug help kernel-check list pause plan resume run schema stat stop version"
	expect_has "$m" "vmboot -" --check --plan --version --help --color --cpus '!--all' '!-c'
	# VM names from list --json; a name given is not offered again;
	# --all takes none; list takes none; a flag's value is not a name.
	expect "$m" "$e" "vmboot stop " "db-1.test web"
	expect "$m" "$e" "vmboot pause w" "web"
	expect "$m" "$e" "vmboot stop web " "db-1.test"
	expect "$m" "$e" "vmboot stat --all " ""
	expect "$m" "$e" "vmboot list " ""
	expect "$m" "$e" "vmboot schema " ""
	expect "$m" "$e" "vmboot stop --timeout " ""
	expect "$m" "$e" "vmboot stop --timeout 5 " "db-1.test web"
	expect "$m" "$e" "vmboot console " "db-1.test web"
	expect "$m" "$e" "vmboot console web " ""
	# Each command's flags: exactly those its --help shows.
	expect "$m" "$e" "vmboot list --" "--help --json"
	expect "$m" "$e" "vmboot console --" "--help --split --tmux"
	expect "$m" "$e" "vmboot balloon --" "--all --deflate --help --inflate"
	expect_has "$m" "vmboot run --" --cpus --mem --kernel --detach --console \
		'!--all' '!--json' '!--vnc' '!--sdl'
	expect_has "$m" "vmboot stop --" --all --force --timeout '!--cpus'
	expect_has "$m" "vmboot --check --" --strict --host-ram --cpus '!--detach'
	# Enumerated values, with a space or an '='.
	expect "$m" "$e" "vmboot --console " "none serial virtio"
	expect "$m" "$e" "vmboot --console=" "none serial virtio"
	expect "$m" "$e" "vmboot run --console=v" "virtio"
	expect "$m" "$e" "vmboot --check --format " "conf yaml"
	expect "$m" "$e" "vmboot --color " "always auto never"
	expect "$m" "$e" "vmboot check --color=n" "never"
	expect "$m" "$e" "vmboot -n " "tap user"
	expect "$m" "$e" "vmboot --network u" "user"
	# After a comma: the [,word] and [,key=VALUE] parts of the argument.
	expect "$m" "$e" "vmboot -d img.raw," "img.raw,queues= img.raw,ro"
	expect "$m" "$e" "vmboot -n user,d" "user,dhcp=off user,dhcp=on"
	expect "$m" "$e" "vmboot -n user,t" "user,tap="
	# Readline replaces what follows the last '=': the value alone.
	expect "$m" "$e" "vmboot -n user,dhcp=o" "off on"
	expect "$m" "$e" "vmboot --network=user,dhcp=" "off on"
	expect "$m" "$e" "vmboot --network=tap,t" "tap,tap="
	expect "$m" "$e" "vmboot --shmem /dev/shm/x,1M," ""
	# Files: machine files (and directories) where a machine file goes,
	# any file for a kernel, directories for --9p, nothing for a number.
	expect "$m" "$f" "vmboot --check " "a.conf b.yaml dir"
	expect "$m" "$f" "vmboot check a.conf " "a.conf b.yaml dir"
	expect "$m" "$f" "vmboot run " "a.conf b.yaml dir"
	expect "$m" "$f" "vmboot run a.conf " ""
	expect "$m" "$f" "vmboot -c 2 " "a.conf b.yaml dir"
	expect "$m" "$f" "vmboot --cpus=2 " "a.conf b.yaml dir"
	expect "$m" "$f" "vmboot " \
		"a.conf b.yaml balloon check console debug dir help kernel-check list pause plan resume run schema stat stop version"
	expect "$m" "$f" "vmboot kernel-check " "a.conf b.yaml c.txt dir"
	expect "$m" "$f" "vmboot -k " "a.conf b.yaml c.txt dir"
	expect "$m" "$f" "vmboot run -i " "a.conf b.yaml c.txt dir"
	expect "$m" "$f" "vmboot -d " "a.conf b.yaml c.txt dir"
	expect "$m" "$f" "vmboot --9p " "dir"
	expect "$m" "$f" "vmboot -m " ""
	# The guest's command after --: not vmboot's business.
	expect "$m" "$f" "vmboot run a.conf -- " ""
	# The real list --json, through the real writer.
	if [ -n "$fake_pid" ]; then
		VB_LIST_FOR_REAL=1 expect "$m" "$e" "vmboot stop " "fake"
	fi
}

if [ -x "$FAKEVM" ]; then
	"$FAKEVM" fake >"$TMP/fake.out" 2>&1 &
	fake_pid=$!
	wait_until grep -q '^ready ' "$TMP/fake.out" || { echo "FAIL: fakevm did not start"; exit 1; }
else
	echo "note: $FAKEVM not built: the real list --json case is left out"
fi

# Each half in a subshell of its own (what one loads stays there), its
# counts in a file: half MODE [FILE-TO-SOURCE...].
half() {
	local mode=$1
	shift
	(
		for f in "$@" "$COMPLETION"; do
			. "$f"
		done
		if [ "$mode" = bash-completion ]; then
			checks=$((checks + 1))
			declare -F _init_completion >/dev/null || fail "$mode: no _init_completion"
		fi
		cases "$mode"
		echo "$checks $failures" >"$TMP/$mode.count"
	)
	read -r n f <"$TMP/$mode.count" || { echo "FAIL: the $mode cases did not finish"; exit 1; }
	total_checks=$((total_checks + n))
	total_failures=$((total_failures + f))
}
total_checks=0
total_failures=0
# Plain bash: no bash-completion loaded, compgen only.
half plain
# With bash-completion's helpers (_init_completion, _filedir).
if [ -r "$BASH_COMPLETION" ]; then
	half bash-completion "$BASH_COMPLETION"
else
	echo "note: $BASH_COMPLETION not found (Debian's bash-completion): its half is skipped"
fi

echo "$total_checks checks, $total_failures failures"
[ "$total_failures" -eq 0 ]
