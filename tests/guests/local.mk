# tests/guests: tiny 16-bit real-mode guests (flat binaries loaded at
# 0x10000), assembled with the host's GNU as; contract in guests.h.
GUEST_AS = as --32 -I $(srcdir)/tests/guests
GUEST_BINS = tests/guests/hello.bin tests/guests/smp.bin tests/guests/bootinfo.bin \
	tests/guests/echo.bin
noinst_DATA += $(GUEST_BINS)
CLEANFILES += $(GUEST_BINS)
EXTRA_DIST += tests/guests/guests.h tests/guests/hello.S tests/guests/smp.S tests/guests/echo.S \
	tests/guests/bootinfo.S tests/guests/serial.inc
# The guests that print through serial.inc's putc/puts.
tests/guests/smp.bin tests/guests/bootinfo.bin tests/guests/ticker.bin \
	tests/guests/echo.bin: tests/guests/serial.inc

# Only .text goes into the image; the i386 REL relocations against .text
# already hold the right offsets because the image runs at offset 0 of
# its segment (CS = 0x1000, IP = 0).
VB_GUEST_BUILD = $(AM_V_GEN)$(MKDIR_P) tests/guests && \
	$(GUEST_AS) -o $@.o $(srcdir)/$(@:.bin=.S) && \
	$(OBJCOPY) -O binary -j .text $@.o $@ && rm -f $@.o

tests/guests/hello.bin: tests/guests/hello.S
	$(VB_GUEST_BUILD)
tests/guests/echo.bin: tests/guests/echo.S
	$(VB_GUEST_BUILD)
tests/guests/smp.bin: tests/guests/smp.S
	$(VB_GUEST_BUILD)
tests/guests/bootinfo.bin: tests/guests/bootinfo.S
	$(VB_GUEST_BUILD)

# bench.bin: the boot benchmark's guest (bench/boot/run boots it in vmboot
# and, wrapped in a BIOS ROM, in QEMU microvm). Contract: guests.h.
noinst_DATA += tests/guests/bench.bin
CLEANFILES += tests/guests/bench.bin
EXTRA_DIST += tests/guests/bench.S
tests/guests/bench.bin: tests/guests/bench.S
	$(VB_GUEST_BUILD)
