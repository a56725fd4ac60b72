# hello.bin: print "hello from guest\n" on COM1, then reset.
# Contract: tests/guests/guests.h. 16-bit real mode, DS = CS.
	.code16
	.text
	.globl _start
_start:
	cli
	mov	%cs, %ax
	mov	%ax, %ds
	mov	$msg, %si
next:
	lodsb
	test	%al, %al
	jz	reset
	mov	%al, %bl
wait_thr:
	# LSR bit 5 (THRE): the transmit holding register can take a byte
	# (16550 datasheet, Line Status Register).
	mov	$0x3fd, %dx
	in	%dx, %al
	test	$0x20, %al
	jz	wait_thr
	mov	$0x3f8, %dx
	mov	%bl, %al
	out	%al, %dx
	jmp	next
reset:
	# i8042 command 0xFE pulses the CPU reset line.
	mov	$0xfe, %al
	out	%al, $0x64
halt:
	hlt
	jmp	halt

msg:
	.asciz	"hello from guest\n"
