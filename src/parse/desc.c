#include "parse/desc.h"

#include <stdlib.h>
#include <string.h>

const char *vb_device_kind_name(enum vb_device_kind kind)
{
	static const char *const names[VB_DEV_KIND_COUNT] = {
		[VB_DEV_DISK] = "disk", [VB_DEV_NET] = "net",	  [VB_DEV_9P] = "9p",
		[VB_DEV_BALLOON] = "balloon", [VB_DEV_RNG] = "rng", [VB_DEV_SHMEM] = "shmem",
		[VB_DEV_CONSOLE] = "console",
	};
	return (unsigned)kind < VB_DEV_KIND_COUNT ? names[kind] : "?";
}

const char *vb_console_name(enum vb_console_kind console)
{
	switch (console) {
	case VB_CONSOLE_SERIAL: return "serial";
	case VB_CONSOLE_VIRTIO: return "virtio";
	case VB_CONSOLE_NONE: return "none";
	}
	return "?";
}

const char *vb_transport_name(enum vb_transport transport)
{
	return transport == VB_TRANSPORT_MMIO ? "mmio" : "pci";
}

const char *vb_net_mode_name(enum vb_net_mode mode)
{
	return mode == VB_NET_TAP ? "tap" : "user";
}

void vb_desc_init(struct vb_machine_desc *desc)
{
	memset(desc, 0, sizeof(*desc));
	desc->console = VB_CONSOLE_SERIAL;
}

static void free_strings(struct vb_strings *s)
{
	for (size_t i = 0; i < s->count; i++)
		free(s->items[i]);
	free(s->items);
}

void vb_desc_free(struct vb_machine_desc *desc)
{
	for (size_t i = 0; i < desc->n_devices; i++) {
		struct vb_device_desc *dev = &desc->devices[i];
		free(dev->id);
		free(dev->path);
		free(dev->tap);
		free(dev->tag);
		free_strings(&dev->forwards);
	}
	free(desc->devices);
	free(desc->source);
	free(desc->name);
	free(desc->kernel);
	free(desc->initrd);
	free(desc->params);
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

static bool same_device(const struct vb_device_desc *a, const struct vb_device_desc *b)
{
	return a->kind == b->kind && same_string(a->id, b->id) &&
	       a->transport == b->transport && same_string(a->path, b->path) &&
	       a->readonly == b->readonly && a->net_mode == b->net_mode &&
	       same_string(a->tap, b->tap) && a->has_mac == b->has_mac &&
	       !memcmp(a->mac, b->mac, sizeof(a->mac)) && a->dhcp == b->dhcp &&
	       same_strings(&a->forwards, &b->forwards) && same_string(a->tag, b->tag) &&
	       a->size_bytes == b->size_bytes && a->has_address == b->has_address &&
	       a->address == b->address;
}

bool vb_desc_equal(const struct vb_machine_desc *a, const struct vb_machine_desc *b)
{
	if (!same_string(a->name, b->name) || a->name_set != b->name_set ||
	    a->cpus != b->cpus || a->cpus_set != b->cpus_set ||
	    a->ram_bytes != b->ram_bytes || a->memory_set != b->memory_set ||
	    !same_string(a->kernel, b->kernel) || !same_string(a->initrd, b->initrd) ||
	    !same_string(a->params, b->params) || a->console != b->console ||
	    a->tty != b->tty || a->hugepages != b->hugepages ||
	    a->debug.ioport != b->debug.ioport ||
	    a->debug.single_step != b->debug.single_step ||
	    a->debug.iodelay_ms != b->debug.iodelay_ms || a->n_devices != b->n_devices)
		return false;
	for (size_t i = 0; i < a->n_devices; i++)
		if (!same_device(&a->devices[i], &b->devices[i]))
			return false;
	return true;
}
