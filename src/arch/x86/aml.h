/* A small AML byte encoder for the DSDT (ACPI 6.5, chapter 20).
 *
 * AML is prefix notation: an operator's opcode comes first and its
 * operands follow, so most functions here write one opcode (or a whole
 * named object) and the caller writes the operands next, in the order the
 * grammar lists them. Objects that hold a list (Scope, Device, Method,
 * If, Package, Buffer, Field) start with a PkgLength that counts the list,
 * which is known only at its end: their *_open() reserves the longest
 * PkgLength and returns a mark, vb_x86_aml_close() encodes the real one
 * and moves the list down over the unused bytes.
 *
 * The writer never writes past its buffer: a write that does not fit is
 * dropped, pos still advances, and vb_x86_aml_fits() turns false, so a run
 * over a NULL buffer of 0 bytes measures what a real run needs (peak_pos,
 * which the reserved PkgLength bytes may raise a few bytes above pos).
 * A bad input (a name the grammar refuses, a value too wide for its
 * field) marks the writer bad instead of writing wrong AML.
 *
 * Pure: no syscalls, no allocation. */
#ifndef VB_ARCH_X86_AML_H
#define VB_ARCH_X86_AML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vb_x86_aml {
	uint8_t *buf;      /* may be NULL when size is 0: measure only */
	size_t size;
	size_t pos;        /* bytes written, or that would have been */
	size_t peak_pos;   /* the largest pos reached: the bytes a run needs */
	bool overflow;     /* a write fell outside buf */
	bool bad;          /* an input the encoder refused */
};

void vb_x86_aml_init(struct vb_x86_aml *a, uint8_t *buf, size_t size);
/* Every write so far landed in the buffer. */
bool vb_x86_aml_fits(const struct vb_x86_aml *a);

/* Raw little-endian bytes, for the fixed-layout tables around the AML. */
void vb_x86_aml_u8(struct vb_x86_aml *a, uint8_t v);
/* The low bytes (1 to 8) of v, least significant first: the width of an
 * ACPI field (a u16, u32 or u64). */
void vb_x86_aml_le(struct vb_x86_aml *a, uint64_t v, unsigned bytes);
void vb_x86_aml_zeros(struct vb_x86_aml *a, size_t n);
/* The text of s in width bytes, padded with pad (no terminator). */
void vb_x86_aml_text(struct vb_x86_aml *a, const char *s, size_t width, char pad);
/* Overwrite the bytes-wide value at at (< pos) when it lies in the buffer. */
void vb_x86_aml_patch(struct vb_x86_aml *a, size_t at, uint64_t v, unsigned bytes);

/* PkgLength (20.2.4) of a package whose contents after the PkgLength
 * are content bytes; the value it encodes counts its own 1 to 4 bytes
 * too. Writes them into out and returns how many, or 0 when the package
 * is longer than the 28-bit field holds. */
size_t vb_x86_aml_pkglength(uint8_t out[4], size_t content);

/* Close the object opened at mark (a *_open() result): write its
 * PkgLength and move its contents down to follow it. */
void vb_x86_aml_close(struct vb_x86_aml *a, size_t mark);

/* NameString (20.2.2): "\\_SB.PCI0", "^FOO", "_HID", "\\". Each segment
 * is 1 to 4 characters, padded with '_'. */
void vb_x86_aml_namestring(struct vb_x86_aml *a, const char *path);

/* Data objects (20.2.3). The integer takes the shortest encoding: ZeroOp,
 * OneOp, OnesOp (all 64 bits set, DSDT revision 2), then Byte, Word,
 * DWord or QWord prefix. */
void vb_x86_aml_integer(struct vb_x86_aml *a, uint64_t v);
void vb_x86_aml_string(struct vb_x86_aml *a, const char *s);
/* EisaId("PNP0A03"): three letters and four hex digits compressed into
 * the DWord 0x030AD041, always DWord-prefixed as ASL compilers write it. */
uint32_t vb_x86_aml_eisaid_value(const char *id, bool *ok);
void vb_x86_aml_eisaid(struct vb_x86_aml *a, const char *id);

/* Name(name, ...): the caller writes the value next. */
void vb_x86_aml_name(struct vb_x86_aml *a, const char *name);
void vb_x86_aml_name_integer(struct vb_x86_aml *a, const char *name, uint64_t v);
void vb_x86_aml_name_string(struct vb_x86_aml *a, const char *name, const char *s);
void vb_x86_aml_name_eisaid(struct vb_x86_aml *a, const char *name, const char *id);

/* Objects with a list; each returns the mark for vb_x86_aml_close(). */
size_t vb_x86_aml_scope_open(struct vb_x86_aml *a, const char *name);
size_t vb_x86_aml_device_open(struct vb_x86_aml *a, const char *name);
size_t vb_x86_aml_method_open(struct vb_x86_aml *a, const char *name, unsigned args,
			      bool serialized);
/* If: the caller writes the predicate, then the body. */
size_t vb_x86_aml_if_open(struct vb_x86_aml *a);
/* Package with n elements: the caller writes exactly n data objects. */
size_t vb_x86_aml_package_open(struct vb_x86_aml *a, uint8_t n);

/* Buffer(){...}: the size is the byte count written before the close. */
size_t vb_x86_aml_buffer_open(struct vb_x86_aml *a);
void vb_x86_aml_buffer_close(struct vb_x86_aml *a, size_t mark);
/* ResourceTemplate(){...}: a Buffer that the close ends with the End tag. */
size_t vb_x86_aml_restemplate_open(struct vb_x86_aml *a);
void vb_x86_aml_restemplate_close(struct vb_x86_aml *a, size_t mark);

/* OperationRegion (20.2.5.2) and Field with its flags (access type,
 * lock and update rules packed as the grammar's FieldFlags byte). */
enum vb_x86_aml_region_space { VB_X86_AML_SYSTEM_MEMORY = 0, VB_X86_AML_SYSTEM_IO = 1 };
#define VB_X86_AML_FIELD_DWORD_ACC 0x03u
#define VB_X86_AML_FIELD_NO_LOCK 0x00u
#define VB_X86_AML_FIELD_WRITE_AS_ZEROS 0x40u
void vb_x86_aml_opregion(struct vb_x86_aml *a, const char *name, enum vb_x86_aml_region_space space,
			 uint64_t offset, uint64_t bytes);
size_t vb_x86_aml_field_open(struct vb_x86_aml *a, const char *region, uint8_t flags);
/* A named field unit of bits bits, inside a field. */
void vb_x86_aml_field_unit(struct vb_x86_aml *a, const char *name, uint32_t bits);

/* Operators (20.2.5.4): the opcode; the caller writes the operands. */
enum vb_x86_aml_op {
	VB_X86_AML_STORE = 0x70,   /* Store(source, target) */
	VB_X86_AML_AND = 0x7B,     /* And(x, y, target) */
	VB_X86_AML_NOTIFY = 0x86,  /* Notify(object, value) */
	VB_X86_AML_LEQUAL = 0x93,  /* LEqual(x, y) */
};
void vb_x86_aml_op(struct vb_x86_aml *a, enum vb_x86_aml_op op);
void vb_x86_aml_local(struct vb_x86_aml *a, unsigned n);  /* Local0-7 */
void vb_x86_aml_arg(struct vb_x86_aml *a, unsigned n);    /* Arg0-6 */
void vb_x86_aml_no_target(struct vb_x86_aml *a);          /* NullName */

/* Resource descriptors (6.4), written inside a resource template. */
void vb_x86_aml_io(struct vb_x86_aml *a, uint16_t min, uint16_t max, uint8_t align,
		   uint8_t bytes);                 /* IO(Decode16, ...) */
void vb_x86_aml_irq_noflags(struct vb_x86_aml *a, unsigned irq);  /* 0-15 */
void vb_x86_aml_memory32_fixed(struct vb_x86_aml *a, bool writable, uint32_t base,
			       uint32_t bytes);
/* Extended Interrupt descriptor flags (6.4.3.6). */
#define VB_X86_AML_IRQ_CONSUMER 0x01u
#define VB_X86_AML_IRQ_EDGE 0x02u
#define VB_X86_AML_IRQ_ACTIVE_LOW 0x04u
#define VB_X86_AML_IRQ_SHARED 0x08u
void vb_x86_aml_interrupt(struct vb_x86_aml *a, uint8_t flags, uint32_t gsi);

/* Word and DWord address space descriptors (6.4.3.5.2, 6.4.3.5.3). */
enum vb_x86_aml_space_type {
	VB_X86_AML_SPACE_MEMORY = 0,
	VB_X86_AML_SPACE_IO = 1,
	VB_X86_AML_SPACE_BUS = 2,
};
/* General flags: bit 0 consumer (0 = producer), 1 subtractive decode,
 * 2 minimum fixed, 3 maximum fixed. */
#define VB_X86_AML_ADDR_CONSUMER 0x01u
#define VB_X86_AML_ADDR_MIN_FIXED 0x04u
#define VB_X86_AML_ADDR_MAX_FIXED 0x08u
/* Type-specific flags: I/O _RNG EntireRange; memory _RW ReadWrite. */
#define VB_X86_AML_IO_ENTIRE_RANGE 0x03u
#define VB_X86_AML_MEM_READ_WRITE 0x01u
struct vb_x86_aml_addr_space {
	enum vb_x86_aml_space_type type;
	uint8_t general_flags;
	uint8_t type_flags;
	uint64_t granularity, min, max, translation, length;
};
void vb_x86_aml_word_space(struct vb_x86_aml *a, const struct vb_x86_aml_addr_space *s);
void vb_x86_aml_dword_space(struct vb_x86_aml *a, const struct vb_x86_aml_addr_space *s);

#endif
