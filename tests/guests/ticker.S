# ticker.bin: prints "tick NNNN\n" (NNNN a hex counter) on COM1 once per
# second of the RTC, forever; resets when the keyboard controller hands it
# the Delete make code (0x53, scancode set 1: the "Del" of Ctrl-Alt-Del),
# which is how `vmboot stop` asks a guest to shut down. Contract:
# tests/guests/guests.h. 16-bit real mode, DS = CS, interrupts off: both
# devices are polled.
	.code16
	.text
	.globl _start
_start:
	cli
	mov	%cs, %ax
	mov	%ax, %ds
	xor	%bp, %bp		# the counter
	mov	$0xff, %dh		# last RTC seconds; 0xff is never a BCD second
loop:
	# i8042 status bit 0 (OBF): a byte waits at port 0x60.
	in	$0x64, %al
	test	$0x01, %al
	jz	clock
	in	$0x60, %al
	cmp	$0x53, %al
	je	reset
clock:
	# CMOS register 0 is the RTC's seconds (MC146818 datasheet).
	mov	$0x00, %al
	out	%al, $0x70
	in	$0x71, %al
	cmp	%dh, %al
	je	loop
	mov	%al, %dh
	mov	$msg, %si
	call	puts
	mov	%bp, %bx
	mov	$4, %cx
digit:
	rol	$4, %bx
	mov	%bl, %al
	and	$0x0f, %al
	add	$'0', %al
	cmp	$'9', %al
	jbe	1f
	add	$('a' - '0' - 10), %al
1:	call	putc
	loop	digit
	mov	$'\n', %al
	call	putc
	inc	%bp
	jmp	loop

.include "serial.inc"

reset:
	# i8042 command 0xFE pulses the CPU reset line.
	mov	$0xfe, %al
	out	%al, $0x64
halt:
	hlt
	jmp	halt

msg:
	.asciz	"tick "
