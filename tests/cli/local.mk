# tests/cli: the command line end to end, the example machines, and the
# manual pages kept in step with the schema and flag tables.
UNIT_TESTS += tests/cli/test_docs
tests_cli_test_docs_SOURCES = tests/cli/test_docs.c
tests_cli_test_docs_CFLAGS = $(TEST_CFLAGS)
tests_cli_test_docs_LDADD = $(TEST_LIBS)
# test_options: every flag refused by the commands that do not take it,
# one-dash long options, glued short options, command suggestions, and the
# help (each flag once, 80 columns, one command's alone).
UNIT_TESTS += tests/cli/test_options
tests_cli_test_options_SOURCES = tests/cli/test_options.c
tests_cli_test_options_CFLAGS = $(TEST_CFLAGS)
tests_cli_test_options_LDADD = $(TEST_LIBS)

TESTS += tests/cli/test_machines.sh tests/cli/test_check.sh
EXTRA_DIST += tests/cli/test_machines.sh tests/cli/test_check.sh \
	tests/cli/fixtures/ok.conf tests/cli/fixtures/bad.conf \
	tests/cli/fixtures/bad.yaml tests/cli/fixtures/syntax.conf \
	tests/cli/fixtures/nokernel.yaml tests/cli/fixtures/missing-kernel.yaml \
	tests/cli/fixtures/mmio.yaml tests/cli/fixtures/dummy-kernel \
	tests/cli/fixtures/user.conf tests/cli/fixtures/user.yaml
# test_install.sh: make install DESTDIR=... and make uninstall from the
# build tree; the installed vmboot finds its helpers (vmboot --version).
TESTS += tests/cli/test_install.sh
EXTRA_DIST += tests/cli/test_install.sh
# test_pvm: the KVM-PVM verdict (src/cli/pvm.h) for fixture configurations,
# the way forward named from each kind of tree, the gate on a fake sysfs;
# test_pvm.sh: vmboot run refusing a kernel without CONFIG_PVM_GUEST on a
# (fake) KVM-PVM host, --force-pvm, and flat guests still running.
UNIT_TESTS += tests/cli/test_pvm
tests_cli_test_pvm_SOURCES = tests/cli/test_pvm.c
tests_cli_test_pvm_CFLAGS = $(TEST_CFLAGS)
tests_cli_test_pvm_LDADD = $(TEST_LIBS)
TESTS += tests/cli/test_pvm.sh
EXTRA_DIST += tests/cli/test_pvm.sh tests/cli/fixtures/pvm-guest.config \
	tests/cli/fixtures/stock.config
# test_nonblock.sh: FIFO and other wrong-kind files refused at --check
# --strict (located) and at run without blocking; SIGTERM during the build
# undoes it (util/io.h vb_open_expect, machine/vm.h).
TESTS += tests/cli/test_nonblock.sh
EXTRA_DIST += tests/cli/test_nonblock.sh
# test_acpi_tables.sh: the ACPI tables from vmboot plan --acpi-dir pass
# iasl -d without errors or warnings and name every device; --no-acpi.
TESTS += tests/cli/test_acpi_tables.sh
EXTRA_DIST += tests/cli/test_acpi_tables.sh
# test_refusals.sh: every rule the builder enforces (src/util/refusal.h)
# has a --check twin: a fixture per rule (refusals.tab), and every builder
# error is a refusal with a rule or listed with its reason (refusals.allow).
TESTS += tests/cli/test_refusals.sh
EXTRA_DIST += tests/cli/test_refusals.sh tests/cli/refusals.tab tests/cli/refusals.allow \
	tests/cli/fixtures/refusals
# test_diag.sh: the source line and caret under each --check diagnostic
# (both syntaxes, tabs), --color, NO_COLOR, no colour when piped or --json.
TESTS += tests/cli/test_diag.sh
EXTRA_DIST += tests/cli/test_diag.sh tests/cli/fixtures/tabs.conf
# test_completion.sh: contrib/bash-completion/vmboot driven as readline
# drives it (COMP_WORDS ...), with plain bash and with bash-completion's
# helpers: commands, each command's flags from its --help, flag values, VM
# names from list --json (fixture and tests/control/fakevm), machine files.
TESTS += tests/cli/test_completion.sh
EXTRA_DIST += tests/cli/test_completion.sh
# test_schema.sh: vmboot schema is valid 2020-12 JSON Schema and the built
# machine.schema.json; the YAML machines --check accepts, it accepts; a
# machine with every key passes both; each mutation of it (unknown key,
# bad enum, out-of-range number, unknown device type, missing required
# key ...) fails both (python3-jsonschema, python3-yaml).
TESTS += tests/cli/test_schema.sh
EXTRA_DIST += tests/cli/test_schema.sh
# test_json.sh: every --json output (check, plan, kernel-check, list, stat,
# debug against tests/control/fakevm) read by Python's strict json module
# with the fields vmboot(1) documents; names with byte 0xff as U+FFFD.
TESTS += tests/cli/test_json.sh
EXTRA_DIST += tests/cli/test_json.sh
