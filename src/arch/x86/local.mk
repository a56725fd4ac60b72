# src/arch/x86: sources of this subsystem
# x86tables: MP table, per-vCPU CPUID, instruction describer
libvmboot_a_SOURCES += \
	src/arch/x86/mptable.c src/arch/x86/mptable.h \
	src/arch/x86/cpuid.c src/arch/x86/cpuid.h \
	src/arch/x86/insn.c src/arch/x86/insn.h
# x86boot: boot protocols (bzImage, PVH, flat), e820, command line, entry registers
libvmboot_a_SOURCES += \
	src/arch/x86/layout.h src/arch/x86/bootparam.h \
	src/arch/x86/boot.c src/arch/x86/boot.h src/arch/x86/loader.h \
	src/arch/x86/bzimage.c src/arch/x86/pvh.c src/arch/x86/flat.c \
	src/arch/x86/guestram.c src/arch/x86/guestram.h \
	src/arch/x86/regs.c src/arch/x86/regs.h src/arch/x86/kfile.c \
	src/arch/x86/e820.c src/arch/x86/e820.h \
	src/arch/x86/cmdline.c src/arch/x86/cmdline.h
# x86acpi: ACPI tables (RSDP, XSDT, FADT, MADT, DSDT) and the AML encoder
libvmboot_a_SOURCES += \
	src/arch/x86/acpi.c src/arch/x86/acpi.h \
	src/arch/x86/aml.c src/arch/x86/aml.h
