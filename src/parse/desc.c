#include "parse/desc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "parse/devtype.h"

const char *vb_console_name(enum vb_console_kind console)
{
	static const char *const names[] = {
		[VB_CONSOLE_SERIAL] = "serial",
		[VB_CONSOLE_VIRTIO] = "virtio",
		[VB_CONSOLE_NONE] = "none",
	};
	if ((unsigned)console >= sizeof(names) / sizeof(names[0]) || !names[console])
		return "?";
	return names[console];
}

const char *vb_transport_name(enum vb_transport transport)
{
	return transport == VB_TRANSPORT_MMIO ? "mmio" : "pci";
}

void vb_desc_init(struct vb_machine_desc *desc)
{
	memset(desc, 0, sizeof(*desc));
	desc->console = VB_CONSOLE_SERIAL;
	desc->acpi = true;
	desc->seccomp = true;
}

static void free_strings(struct vb_strings *s)
{
	for (size_t i = 0; i < s->count; i++)
		free(s->items[i]);
	free(s->items);
}

void vb_desc_free(struct vb_machine_desc *desc)
{
	for (size_t i = 0; i < desc->n_devices; i++)
		vb_device_desc_free(&desc->devices[i]);
	free(desc->devices);
	free(desc->source);
	free(desc->name);
	free(desc->kernel);
	free(desc->initrd);
	free(desc->params);
	free(desc->user);
	vb_desc_init(desc);
}

static bool same_string(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return !strcmp(a, b);
}

static bool same_strings(const struct vb_strings *a, const struct vb_strings *b)
{
	if (a->count != b->count)
		return false;
	for (size_t i = 0; i < a->count; i++)
		if (!same_string(a->items[i], b->items[i]))
			return false;
	return true;
}

static bool same_value(const struct vb_key_schema *k, const struct vb_value *a,
		       const struct vb_value *b)
{
	if (a->set != b->set)
		return false;
	switch (k->type) {
	case VB_KEY_STRING:
	case VB_KEY_NAME:
	case VB_KEY_PATH: return same_string(a->string, b->string);
	case VB_KEY_BOOL: return a->boolean == b->boolean;
	case VB_KEY_MAC: return !memcmp(a->mac, b->mac, sizeof(a->mac));
	case VB_KEY_STRINGS: return same_strings(&a->strings, &b->strings);
	default: return a->number == b->number;
	}
}

static bool same_device(const struct vb_device_desc *a, const struct vb_device_desc *b)
{
	if (a->type != b->type || !same_string(a->id, b->id) || a->transport != b->transport)
		return false;
	for (size_t i = 0; a->type && a->values && b->values && i < a->type->n_keys; i++)
		if (!same_value(&a->type->keys[i], &a->values[i], &b->values[i]))
			return false;
	return true;
}

bool vb_desc_equal(const struct vb_machine_desc *a, const struct vb_machine_desc *b)
{
	if (!same_string(a->name, b->name) || a->name_set != b->name_set ||
	    a->cpus != b->cpus || a->cpus_set != b->cpus_set ||
	    a->ram_bytes != b->ram_bytes || a->memory_set != b->memory_set ||
	    !same_string(a->kernel, b->kernel) || !same_string(a->initrd, b->initrd) ||
	    !same_string(a->params, b->params) || a->console != b->console ||
	    a->tty != b->tty || a->hugepages != b->hugepages ||
	    a->hugepages_set != b->hugepages_set || a->seccomp != b->seccomp ||
	    !same_string(a->user, b->user) || a->acpi != b->acpi ||
	    a->debug.ioport != b->debug.ioport ||
	    a->debug.single_step != b->debug.single_step ||
	    a->debug.iodelay_ms != b->debug.iodelay_ms || a->n_devices != b->n_devices)
		return false;
	for (size_t i = 0; i < a->n_devices; i++)
		if (!same_device(&a->devices[i], &b->devices[i]))
			return false;
	return true;
}

/* ---- a device's keys ------------------------------------------------- */

static size_t key_index(const struct vb_device_type *type, const char *key)
{
	for (size_t i = 0; type && i < type->n_keys; i++)
		if (!strcmp(type->keys[i].name, key))
			return i;
	return SIZE_MAX;
}

const struct vb_value *vb_device_value(const struct vb_device_desc *d, const char *key)
{
	size_t i = key_index(d->type, key);
	return i == SIZE_MAX || !d->values ? NULL : &d->values[i];
}

const char *vb_device_string(const struct vb_device_desc *d, const char *key)
{
	size_t i = key_index(d->type, key);
	if (i == SIZE_MAX || !d->values)
		return NULL;
	const struct vb_key_schema *k = &d->type->keys[i];
	if (k->type == VB_KEY_ENUM)
		return k->choices[d->values[i].number];
	return d->values[i].string;
}

uint64_t vb_device_number(const struct vb_device_desc *d, const char *key)
{
	const struct vb_value *v = vb_device_value(d, key);
	return v ? v->number : 0;
}

bool vb_device_bool(const struct vb_device_desc *d, const char *key)
{
	const struct vb_value *v = vb_device_value(d, key);
	return v && v->boolean;
}

bool vb_device_is_set(const struct vb_device_desc *d, const char *key)
{
	const struct vb_value *v = vb_device_value(d, key);
	return v && v->set;
}

struct vb_loc vb_device_loc(const struct vb_device_desc *d, const char *key)
{
	const struct vb_value *v = vb_device_value(d, key);
	return v && v->set && v->loc.file ? v->loc : d->loc;
}

/* The default a key's table gives as a literal (vb_key_default_literal). */
static void set_default(const struct vb_key_schema *k, struct vb_value *v)
{
	if (!vb_key_default_literal(k))
		return;
	if (k->type == VB_KEY_BOOL)
		v->boolean = !strcmp(k->default_text, "true");
	else if (k->type == VB_KEY_UINT)
		v->number = strtoull(k->default_text, NULL, 10);
	else if (k->type == VB_KEY_ENUM)
		for (size_t c = 0; k->choices[c]; c++)
			if (!strcmp(k->choices[c], k->default_text))
				v->number = c;
}

int vb_device_desc_init(struct vb_device_desc *d, const struct vb_device_type *type)
{
	memset(d, 0, sizeof(*d));
	d->transport = VB_TRANSPORT_PCI;
	d->values = calloc(type->n_keys ? type->n_keys : 1, sizeof(*d->values));
	if (!d->values)
		return -ENOMEM;
	d->type = type;
	for (size_t i = 0; i < type->n_keys; i++)
		set_default(&type->keys[i], &d->values[i]);
	return 0;
}

void vb_device_desc_free(struct vb_device_desc *d)
{
	for (size_t i = 0; d->values && i < d->type->n_keys; i++) {
		free(d->values[i].string);
		free_strings(&d->values[i].strings);
	}
	free(d->values);
	free(d->id);
	memset(d, 0, sizeof(*d));
}

/* The value of key, marked given, when the key is of type want or want2;
 * else NULL. */
static struct vb_value *settable(struct vb_device_desc *d, const char *key,
				 enum vb_key_type want, enum vb_key_type want2)
{
	size_t i = key_index(d->type, key);
	if (i == SIZE_MAX || !d->values ||
	    (d->type->keys[i].type != want && d->type->keys[i].type != want2))
		return NULL;
	d->values[i].set = true;
	return &d->values[i];
}

static int set_choice(struct vb_device_desc *d, size_t i, const char *value)
{
	const char *const *choices = d->type->keys[i].choices;
	for (size_t c = 0; choices[c]; c++) {
		if (!strcmp(choices[c], value)) {
			d->values[i].number = c;
			d->values[i].set = true;
			return 0;
		}
	}
	return -ENOENT;
}

int vb_device_set_string(struct vb_device_desc *d, const char *key, const char *value)
{
	size_t i = key_index(d->type, key);
	if (i != SIZE_MAX && d->values && d->type->keys[i].type == VB_KEY_ENUM)
		return set_choice(d, i, value);
	struct vb_value *v = settable(d, key, VB_KEY_STRING, VB_KEY_PATH);
	if (!v)
		v = settable(d, key, VB_KEY_NAME, VB_KEY_NAME);
	if (!v)
		return -ENOENT;
	char *copy = strdup(value);
	if (!copy)
		return -ENOMEM;
	free(v->string);
	v->string = copy;
	return 0;
}

int vb_device_set_number(struct vb_device_desc *d, const char *key, uint64_t value)
{
	struct vb_value *v = settable(d, key, VB_KEY_UINT, VB_KEY_SIZE);
	return v ? (v->number = value, 0) : -ENOENT;
}

int vb_device_set_bool(struct vb_device_desc *d, const char *key, bool value)
{
	struct vb_value *v = settable(d, key, VB_KEY_BOOL, VB_KEY_BOOL);
	return v ? (v->boolean = value, 0) : -ENOENT;
}
