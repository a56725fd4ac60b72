# echo.bin: copy what arrives on COM1 back to COM1, polling (LSR bit 0,
# DR: "data ready"; bit 5, THRE), until a newline has been copied; then
# reset. Contract: tests/guests/guests.h. 16-bit real mode, DS = CS.
# tests/kvm/test_console_input.sh pipes a line into vmboot and expects it
# back: the host console's input path end to end.
	.code16
	.text
	.globl _start
_start:
	cli
	mov	%cs, %ax
	mov	%ax, %ds
wait_rx:
	mov	$0x3fd, %dx
	in	%dx, %al
	test	$0x01, %al
	jz	wait_rx
	mov	$0x3f8, %dx
	in	%dx, %al
	call	putc
	cmp	$0x0a, %al
	jne	wait_rx
	mov	$0xfe, %al
	out	%al, $0x64
1:	hlt
	jmp	1b

.include "serial.inc"
