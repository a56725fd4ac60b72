# bootinfo.bin: print the e820 table the host left in the zero page at
# 0x7000 (count at +0x1E8, 20-byte entries at +0x2D0), in hex, then reset.
# Contract: tests/guests/guests.h.
	.code16
	.text
	.globl _start
_start:
	cli
	mov	%cs, %ax
	mov	%ax, %ds
	mov	$0x700, %ax		# zero page segment: 0x700 << 4 = 0x7000
	mov	%ax, %fs

	mov	$msg_e820, %si
	call	puts
	xor	%ch, %ch
	mov	%fs:0x1e8, %cl		# e820_entries
	cmp	$128, %cx		# the zero page holds at most 128
	jbe	1f
	mov	$128, %cx
1:
	mov	%cl, %al
	call	puthex8
	mov	$'\n', %al
	call	putc

	mov	$0x2d0, %di		# e820_table
entry:
	jcxz	done
	mov	%fs:4(%di), %edx	# addr, high dword first
	call	puthex32
	mov	%fs:0(%di), %edx
	call	puthex32
	mov	$' ', %al
	call	putc
	mov	%fs:12(%di), %edx	# size
	call	puthex32
	mov	%fs:8(%di), %edx
	call	puthex32
	mov	$' ', %al
	call	putc
	mov	%fs:16(%di), %edx	# type
	call	puthex32
	mov	$'\n', %al
	call	putc
	add	$20, %di
	dec	%cx
	jmp	entry
done:
	mov	$0xfe, %al
	out	%al, $0x64
halt:
	hlt
	jmp	halt

# puthex32: print edx as 8 hex digits.
puthex32:
	push	%cx
	mov	$8, %cx
1:
	rol	$4, %edx
	mov	%dl, %al
	call	puthexdigit
	loop	1b
	pop	%cx
	ret

# puthex8: print al as 2 hex digits.
puthex8:
	push	%ax
	shr	$4, %al
	call	puthexdigit
	pop	%ax
	call	puthexdigit
	ret

# puthexdigit: print the low nibble of al.
puthexdigit:
	and	$0xf, %al
	add	$'0', %al
	cmp	$'9', %al
	jbe	putc
	add	$('a' - '0' - 10), %al
	jmp	putc

.include "serial.inc"

msg_e820:
	.asciz	"e820 "
