# tests/arch/x86
# x86tables: MP table, CPUID, instruction describer
UNIT_TESTS += tests/arch/x86/test_mptable tests/arch/x86/test_cpuid tests/arch/x86/test_insn
tests_arch_x86_test_mptable_SOURCES = tests/arch/x86/test_mptable.c
tests_arch_x86_test_mptable_CFLAGS = $(TEST_CFLAGS)
tests_arch_x86_test_mptable_LDADD = $(TEST_LIBS)
tests_arch_x86_test_cpuid_SOURCES = tests/arch/x86/test_cpuid.c
tests_arch_x86_test_cpuid_CFLAGS = $(TEST_CFLAGS)
tests_arch_x86_test_cpuid_LDADD = $(TEST_LIBS)
tests_arch_x86_test_insn_SOURCES = tests/arch/x86/test_insn.c
tests_arch_x86_test_insn_CFLAGS = $(TEST_CFLAGS)
tests_arch_x86_test_insn_LDADD = $(TEST_LIBS)
# x86boot: boot protocols, e820, command line
UNIT_TESTS += tests/arch/x86/test_boot tests/arch/x86/test_e820 tests/arch/x86/test_cmdline
tests_arch_x86_test_boot_SOURCES = tests/arch/x86/test_boot.c
tests_arch_x86_test_boot_CFLAGS = $(TEST_CFLAGS)
tests_arch_x86_test_boot_LDADD = $(TEST_LIBS)
tests_arch_x86_test_e820_SOURCES = tests/arch/x86/test_e820.c
tests_arch_x86_test_e820_CFLAGS = $(TEST_CFLAGS)
tests_arch_x86_test_e820_LDADD = $(TEST_LIBS)
tests_arch_x86_test_cmdline_SOURCES = tests/arch/x86/test_cmdline.c
tests_arch_x86_test_cmdline_CFLAGS = $(TEST_CFLAGS)
tests_arch_x86_test_cmdline_LDADD = $(TEST_LIBS)
UNIT_TESTS += tests/arch/x86/test_bootparam
tests_arch_x86_test_bootparam_SOURCES = tests/arch/x86/test_bootparam.c
tests_arch_x86_test_bootparam_CFLAGS = $(TEST_CFLAGS)
tests_arch_x86_test_bootparam_LDADD = $(TEST_LIBS)
# x86acpi: ACPI tables and the AML encoder
UNIT_TESTS += tests/arch/x86/test_acpi tests/arch/x86/test_aml
tests_arch_x86_test_acpi_SOURCES = tests/arch/x86/test_acpi.c
tests_arch_x86_test_acpi_CFLAGS = $(TEST_CFLAGS)
tests_arch_x86_test_acpi_LDADD = $(TEST_LIBS)
tests_arch_x86_test_aml_SOURCES = tests/arch/x86/test_aml.c
tests_arch_x86_test_aml_CFLAGS = $(TEST_CFLAGS)
tests_arch_x86_test_aml_LDADD = $(TEST_LIBS)
