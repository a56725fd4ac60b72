# bench.bin: the guest of the boot benchmark (bench/boot/). Writes
# "bench\n" on COM1 and resets by a triple fault. Contract:
# tests/guests/guests.h. 16-bit real mode, DS = CS; it never writes
# memory, so it also runs from a read-only BIOS ROM (QEMU -bios).
#
# The first port access is the write of "b": the benchmark times exec to
# that byte. No LSR poll before it: a 16550 leaves reset with THRE set
# (16550 datasheet, Line Status Register reset value 0x60).
#
# The reset is a triple fault, not the i8042 reset of hello.bin, because
# QEMU's microvm machine has no i8042: with IDTR.limit = 0 the int3 cannot
# be delivered (#GP), nor can the #GP (double fault), nor that (shutdown;
# Intel SDM vol. 3, 20.1.4 and 6.15 interrupt 8). KVM reports the shutdown
# (KVM_EXIT_SHUTDOWN) and QEMU -no-reboot exits on it.
	.code16
	.text
	.globl _start
_start:
	cli
	mov	%cs, %ax
	mov	%ax, %ds
	mov	$0x3f8, %dx
	mov	$'b', %al
	out	%al, %dx
	mov	$msg, %si
next:
	lodsb
	test	%al, %al
	jz	reset
	mov	%al, %bl
wait_thr:
	# LSR bit 5 (THRE): the transmit holding register can take a byte.
	mov	$0x3fd, %dx
	in	%dx, %al
	test	$0x20, %al
	jz	wait_thr
	mov	$0x3f8, %dx
	mov	%bl, %al
	out	%al, %dx
	jmp	next
reset:
	lidt	null_idt
	int3
halt:
	hlt
	jmp	halt

null_idt:
	.word	0
	.long	0
msg:
	.asciz	"ench\n"
