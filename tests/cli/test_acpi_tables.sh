#!/bin/sh
# The ACPI tables vmboot gives a Linux guest (issue 11), as `vmboot plan
# --acpi-dir DIR` writes them, disassembled by iasl (Debian's acpica-tools):
# every table with zero errors and zero warnings, and the DSDT naming each
# device of the machine: the PCI host bridge and its routing, one LNRO0005
# per virtio-mmio device with its window and line, COM1, the keyboard
# controller, the RTC, the power button, the GED and \_S5. Also: the plan
# lists the tables, acpi = false (and --no-acpi) has none and keeps
# acpi=off on the command line, and --acpi-dir refuses such a machine.
set -u

# shellcheck source=SCRIPTDIR/../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
need_built "$VMBOOT"
need_cmd iasl "iasl is needed (apt-get install acpica-tools)"

make_tmp
cd "$TMP" || exit 99
printf 'flat\n' >kernel.bin
mkdir share
: >disk.img
: >disk2.img
cat >acpi.conf <<'CONF'
kernel = "kernel.bin";
cpus = 3;
memory = 256;
devices = (
  { type = "disk"; path = "disk.img"; transport = "mmio"; },
  { type = "rng"; transport = "mmio"; },
  { type = "9p"; path = "share"; tag = "s"; transport = "mmio"; },
  { type = "balloon"; },
  { type = "disk"; path = "disk2.img"; }
);
CONF

expect_status 0 "$VMBOOT" plan --acpi-dir tables acpi.conf
cp "$TMP/out" plan.txt
for sig in RSDP XSDT FACP APIC DSDT; do
	checks=$((checks + 1))
	[ -s "tables/$sig.dat" ] || fail "tables/$sig.dat not written"
	expect_grep plan.txt "^  $sig  0x[0-9a-f]+  [0-9]+ bytes$"
done
expect_grep plan.txt '^platform    ACPI'
expect_grep plan.txt 'LNRO0005'
expect_grep plan.txt '^cmdline .*console=ttyS0'
checks=$((checks + 1))
if grep -qE 'acpi=off|virtio_mmio.device=|pci=lastbus' plan.txt; then
	fail "the ACPI machine's command line still has MP-table words"
	show plan.txt
fi

# The RSDP has no table header, so iasl cannot load it from a file: its
# signature and both checksums (first 20 bytes, all 36) by hand.
sum_bytes() { # FILE COUNT: the low byte of the sum of FILE's first COUNT bytes
	od -An -tu1 -N"$2" -v "$1" | tr -s ' \n' '\n\n' | awk 'NF { s += $1 } END { print s % 256 }'
}
checks=$((checks + 1))
[ "$(head -c 8 tables/RSDP.dat)" = "RSD PTR " ] || fail "RSDP.dat: no \"RSD PTR \" signature"
checks=$((checks + 1))
[ "$(sum_bytes tables/RSDP.dat 20)" = 0 ] || fail "RSDP.dat: the ACPI 1.0 checksum is wrong"
checks=$((checks + 1))
[ "$(sum_bytes tables/RSDP.dat 36)" = 0 ] || fail "RSDP.dat: the extended checksum is wrong"

# Each table on its own: iasl -d reads one binary table a file. The DSDT
# is disassembled last so its .dsl is the one searched below.
for sig in XSDT FACP APIC DSDT; do
	checks=$((checks + 1))
	if ! iasl -d "tables/$sig.dat" >"iasl-$sig.out" 2>&1; then
		fail "iasl -d $sig.dat failed"
		show "iasl-$sig.out"
		continue
	fi
	# "Compilation successful. 0 Errors, 0 Warnings, 0 Remarks" for AML,
	# nothing of the kind for a data table: any error or warning line fails.
	checks=$((checks + 1))
	if grep -iE '^(error|warning)|[1-9][0-9]* (errors|warnings)|\*\*\*\* (error|warning)' \
		"iasl-$sig.out" "tables/$sig.dsl" >/dev/null 2>&1; then
		fail "iasl reports problems in $sig"
		show "iasl-$sig.out"
	fi
done
dsl=tables/DSDT.dsl
for want in 'Device \(PCI0\)' 'EisaId \("PNP0A03"\)' '_PRT' 'Device \(VR00\)' 'Device \(VR01\)' \
	'Device \(VR02\)' '"LNRO0005"' 'Memory32Fixed \(ReadWrite,' 'Device \(COM1\)' \
	'EisaId \("PNP0501"\)' 'EisaId \("PNP0303"\)' 'EisaId \("PNP0B00"\)' \
	'EisaId \("PNP0C0C"\)' '"ACPI0013"' 'Method \(_EVT' '_S5' 'Notify \(.*PWRB, 0x80'; do
	expect_grep "$dsl" "$want"
done
checks=$((checks + 1))
n=$(grep -c '"LNRO0005"' "$dsl")
[ "$n" -eq 3 ] || fail "the DSDT has $n LNRO0005 devices, want 3"
expect_grep tables/APIC.dsl 'Subtable Type : 00 \[Processor Local APIC\]'
checks=$((checks + 1))
n=$(grep -c 'Subtable Type : 00 \[Processor Local APIC\]' tables/APIC.dsl)
[ "$n" -eq 3 ] || fail "the MADT has $n local APICs, want 3"
expect_grep tables/FACP.dsl 'Hardware Reduced \(V5\) : 1'

# JSON: the same tables.
expect_status 0 "$VMBOOT" plan --json acpi.conf
expect_grep "$TMP/out" '"acpi":\{"ged_gsi":[0-9]+,"tables":\{"RSDP":\{"address":917504,"length":36\},"XSDT":'

# Without ACPI: the MP table, acpi=off, virtio_mmio.device= and no tables.
expect_status 0 "$VMBOOT" plan --no-acpi acpi.conf
cp "$TMP/out" noacpi.txt
expect_grep noacpi.txt '^platform    MP table'
expect_grep noacpi.txt '^cmdline .*pci=lastbus=0 acpi=off'
expect_grep noacpi.txt '^cmdline .*virtio_mmio.device=4096@0xd0000000:5'
expect_status 0 "$VMBOOT" plan --json --no-acpi acpi.conf
expect_grep "$TMP/out" '"acpi":null'
expect_status 1 "$VMBOOT" plan --no-acpi --acpi-dir none acpi.conf
expect_grep "$TMP/err" 'acpi = false'

echo "$checks checks, $failures failed"
[ "$failures" -eq 0 ]
