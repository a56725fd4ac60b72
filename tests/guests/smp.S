# smp.bin: every vCPU starts here; each prints "cpu N up\n" (N = APIC id,
# decimal) under a spin lock, and the last one to print resets.
# Contract: tests/guests/guests.h (mailbox at 0x6000).
	.code16
	.text
	.globl _start
_start:
	cli
	mov	%cs, %ax
	mov	%ax, %ds
	mov	$0x600, %ax		# mailbox segment: 0x600 << 4 = 0x6000
	mov	%ax, %fs

	# CPUID leaf 1: EBX[31:24] is the initial APIC id (SDM Vol. 2A CPUID).
	mov	$1, %eax
	cpuid
	shr	$24, %ebx
	mov	%bx, %bp		# bp = APIC id for the rest of the run

	# Private stack: 256 bytes per vCPU below the SP we were given.
	mov	%bp, %ax
	shl	$8, %ax
	sub	%ax, %sp

acquire:
	mov	$1, %al
	xchg	%al, %fs:4		# xchg with memory is always locked
	test	%al, %al
	jz	locked
spin:
	pause
	cmpb	$0, %fs:4
	jne	spin
	jmp	acquire
locked:
	mov	$msg_cpu, %si
	call	puts
	mov	%bp, %ax
	call	putdec
	mov	$msg_up, %si
	call	puts

	incw	%fs:8
	mov	%fs:0, %cx
	test	%cx, %cx
	jnz	have_n
	mov	$1, %cx			# no mailbox written: assume one vCPU
have_n:
	cmp	%cx, %fs:8
	jae	reset
	movb	$0, %fs:4		# release; x86 stores are not reordered with older stores
halt:
	hlt
	jmp	halt

reset:
	mov	$0xfe, %al
	out	%al, $0x64
	jmp	halt

# putdec: print ax (0..999) in decimal, no leading zeros.
putdec:
	xor	%cx, %cx
	mov	$10, %bx
1:
	xor	%dx, %dx
	div	%bx
	push	%dx
	inc	%cx
	test	%ax, %ax
	jnz	1b
2:
	pop	%ax
	add	$'0', %al
	call	putc
	loop	2b
	ret

.include "serial.inc"

msg_cpu:
	.asciz	"cpu "
msg_up:
	.asciz	" up\n"
