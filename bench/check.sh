#!/usr/bin/env bash
# Cost of `vmboot --check` per machine file, beyond process start.
#
# Generates N typical machine files (half libconfig, half YAML, each with a
# few devices), then measures in the same run: the baseline (N processes of
# `vmboot --version`: exec, dynamic linking, exit) and N processes of
# `vmboot --check FILE`, and one process checking all N files. Prints the
# CPU time (user + system) per file and the ratio against the baseline.
set -euo pipefail
vmboot=${1:?usage: bench/check.sh VMBOOT [N]}
n=${2:-400}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

for i in $(seq 1 "$n"); do
	if [ $((i % 2)) = 0 ]; then
		cat >"$dir/m$i.conf" <<CONF
# machine $i
name = "bench-$i";
cpus = $((i % 8 + 1));
memory = "$((i % 4 + 1))G";
kernel = "/boot/vmlinuz";
initrd = "/boot/initrd.img";
params = "root=/dev/vda1 rw quiet";
devices = (
  { type = "disk"; id = "root"; path = "images/root-$i.img"; },
  { type = "disk"; path = "images/data-$i.img"; readonly = true; transport = "mmio"; },
  { type = "net"; mode = "user"; mac = "52:54:00:12:34:$(printf %02x $((i % 256)))"; forward = ["tcp:127.0.0.1:$((2000 + i))-:22"]; },
  { type = "9p"; path = "/srv"; tag = "srv$i"; },
  { type = "rng"; }
);
debug = { ioport = false; iodelay = 0; };
CONF
	else
		cat >"$dir/m$i.yaml" <<YAML
# machine $i
name: bench-$i
cpus: $((i % 8 + 1))
memory: $((i % 4 + 1))G
kernel: /boot/vmlinuz
initrd: /boot/initrd.img
params: root=/dev/vda1 rw quiet
devices:
  - {type: disk, id: root, path: images/root-$i.img}
  - {type: disk, path: images/data-$i.img, readonly: true, transport: mmio}
  - type: net
    mode: user
    mac: "52:54:00:12:34:$(printf %02x $((i % 256)))"
    forward: ["tcp:127.0.0.1:$((2000 + i))-:22"]
  - {type: 9p, path: /srv, tag: srv$i}
  - {type: rng}
debug: {ioport: false, iodelay: 0}
YAML
	fi
done
files=("$dir"/m*.conf "$dir"/m*.yaml)

cc -O2 -o "$dir/cputime" "$(dirname "$0")/cputime.c"
cputime=$dir/cputime

# Repeated runs of one representative file of each syntax.
conf=$dir/m2.conf
yaml=$dir/m1.yaml
runs=$n
base=$("$cputime" "$runs" "$vmboot" --version)
each_conf=$("$cputime" "$runs" "$vmboot" --check "$conf")
each_yaml=$("$cputime" "$runs" "$vmboot" --check "$yaml")
all=$("$cputime" 5 "$vmboot" --check "${files[@]}")

awk -v n="$n" -v runs="$runs" -v base="$base" -v conf="$each_conf" -v yaml="$each_yaml" -v all="$all" 'BEGIN {
	printf "files: %d generated (half .conf, half .yaml, 5 devices each)\n", n
	printf "baseline  vmboot --version:          %7.1f us CPU per process\n", base / runs
	printf "check     vmboot --check FILE.conf:  %7.1f us CPU per process\n", conf / runs
	printf "check     vmboot --check FILE.yaml:  %7.1f us CPU per process\n", yaml / runs
	printf "check     one process, %d files:    %7.1f us CPU per file\n", n, all / 5 / n
	printf "per-file cost beyond process start: conf %.1f us, yaml %.1f us (target < 1000 us)\n", (conf - base) / runs, (yaml - base) / runs
	printf "ratio to baseline: conf %.2f, yaml %.2f\n", conf / base, yaml / base
}'

# Instructions are repeatable where CPU time is not (a loaded machine, a
# hypervisor): count them with callgrind when valgrind is installed.
if command -v valgrind >/dev/null; then
	count() {
		valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null |
			awk '/Collected/ { print $NF }'
	}
	i_base=$(count "$vmboot" --version)
	i_conf=$(count "$vmboot" --check "$conf")
	i_yaml=$(count "$vmboot" --check "$yaml")
	awk -v b="$i_base" -v c="$i_conf" -v y="$i_yaml" 'BEGIN {
		printf "instructions (callgrind): --version %d, --check conf %d (+%d), yaml %d (+%d)\n", b, c, c - b, y, y - b
		printf "ratio to baseline: conf %.2f, yaml %.2f\n", c / b, y / b
	}'
fi
