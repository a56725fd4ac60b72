/* Rules that span several keys (the files named are checked in files.c). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "parse/schema.h"
#include "util/size.h"

static void check_unique_ids(const struct vb_machine_desc *desc, struct vb_diags *diags)
{
	for (size_t i = 0; i < desc->n_devices; i++) {
		const struct vb_device_desc *dev = &desc->devices[i];
		if (!dev->id)
			continue;
		for (size_t j = 0; j < i; j++) {
			if (desc->devices[j].id && !strcmp(desc->devices[j].id, dev->id)) {
				vb_diag_error(diags, dev->id_loc,
					      "devices[%zu].id: \"%s\" already used by devices[%zu]",
					      i, dev->id, j);
				break;
			}
		}
	}
}

static void check_9p_tags(const struct vb_machine_desc *desc, struct vb_diags *diags)
{
	for (size_t i = 0; i < desc->n_devices; i++) {
		const struct vb_device_desc *dev = &desc->devices[i];
		if (dev->kind != VB_DEV_9P || !dev->tag)
			continue;
		size_t len = strlen(dev->tag);
		if (len == 0 || len > VB_9P_TAG_MAX)
			vb_diag_error(diags, dev->tag_loc,
				      "devices[%zu].tag: must be 1 to %d bytes, got %zu", i,
				      VB_9P_TAG_MAX, len);
		for (size_t j = 0; j < i; j++) {
			const struct vb_device_desc *other = &desc->devices[j];
			if (other->kind == VB_DEV_9P && other->tag && !strcmp(other->tag, dev->tag)) {
				vb_diag_error(diags, dev->tag_loc,
					      "devices[%zu].tag: \"%s\" already used by devices[%zu]",
					      i, dev->tag, j);
				break;
			}
		}
	}
}

static void check_singletons(const struct vb_machine_desc *desc, struct vb_diags *diags)
{
	static const enum vb_device_kind singles[] = { VB_DEV_BALLOON, VB_DEV_RNG,
							      VB_DEV_CONSOLE };
	for (size_t s = 0; s < sizeof(singles) / sizeof(singles[0]); s++) {
		size_t first = SIZE_MAX;
		for (size_t i = 0; i < desc->n_devices; i++) {
			if (desc->devices[i].kind != singles[s])
				continue;
			if (first == SIZE_MAX) {
				first = i;
				continue;
			}
			vb_diag_error(diags, desc->devices[i].loc,
				      "devices[%zu]: only one %s device is allowed (devices[%zu] is one)",
				      i, vb_device_kind_name(singles[s]), first);
		}
	}
}

/* "tcp:127.0.0.1:2222-:22": protocol, optional host address, host port,
 * '-', optional guest address, guest port. */
static int check_forward(const char *spec)
{
	char proto[4], host_addr[64], guest_addr[64];
	unsigned host_port, guest_port;
	int consumed = 0;
	const char *p = spec;

	if (strncmp(p, "tcp:", 4) && strncmp(p, "udp:", 4))
		return -EINVAL;
	memcpy(proto, p, 3);
	proto[3] = 0;
	p += 4;
	host_addr[0] = guest_addr[0] = 0;
	if (*p != ':' && sscanf(p, "%63[0-9.]%n", host_addr, &consumed) == 1)
		p += consumed;
	if (*p++ != ':')
		return -EINVAL;
	if (sscanf(p, "%5u%n", &host_port, &consumed) != 1)
		return -EINVAL;
	p += consumed;
	if (*p++ != '-')
		return -EINVAL;
	if (*p != ':' && sscanf(p, "%63[0-9.]%n", guest_addr, &consumed) == 1)
		p += consumed;
	if (*p++ != ':')
		return -EINVAL;
	if (sscanf(p, "%5u%n", &guest_port, &consumed) != 1 || p[consumed])
		return -EINVAL;
	if (host_port == 0 || host_port > 65535 || guest_port == 0 || guest_port > 65535)
		return -ERANGE;
	return 0;
}

static void check_net(const struct vb_machine_desc *desc, size_t i, struct vb_diags *diags)
{
	const struct vb_device_desc *dev = &desc->devices[i];
	if (dev->net_mode == VB_NET_TAP && !dev->tap)
		vb_diag_error(diags, dev->loc,
			      "devices[%zu]: a tap network needs a tap interface name (tap = \"tap0\")",
			      i);
	if (dev->net_mode != VB_NET_TAP && dev->tap)
		vb_diag_error(diags, dev->tap_loc,
			      "devices[%zu].tap: only used with mode = \"tap\"", i);
	if (dev->tap && (strlen(dev->tap) == 0 || strlen(dev->tap) >= 16))
		vb_diag_error(diags, dev->tap_loc,
			      "devices[%zu].tap: interface names are 1 to 15 bytes", i);
	for (size_t f = 0; f < dev->forwards.count; f++) {
		if (dev->net_mode != VB_NET_USER) {
			vb_diag_error(diags, dev->loc,
				      "devices[%zu].forward: port forwards need mode = \"user\"", i);
			break;
		}
		if (check_forward(dev->forwards.items[f]))
			vb_diag_error(diags, dev->loc,
				      "devices[%zu].forward[%zu]: \"%s\" is not a forward (expected \"tcp:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT\")",
				      i, f, dev->forwards.items[f]);
	}
}

int vb_shmem_check_size(uint64_t size_bytes, struct vb_err *err)
{
	char shown[32];
	vb_size_format(size_bytes, shown, sizeof(shown));
	/* BAR2 is a 32-bit memory BAR, so a power of two of at most 2 GiB
	 * (PCI 3.0 6.2.5.1; dev/pci.c), and a KVM memory slot, so whole
	 * pages. */
	if (size_bytes < VB_SHMEM_MIN_BYTES || size_bytes > VB_SHMEM_MAX_BYTES ||
	    (size_bytes & (size_bytes - 1)))
		return vb_refuse(err, VB_REFUSAL_SHMEM_SIZE, EINVAL,
				 "%s is not a power of two from 4 KiB to 2 GiB (a 32-bit PCI BAR of whole pages)",
				 shown);
	return 0;
}

int vb_shmem_check_address(uint64_t size_bytes, uint64_t address, struct vb_err *err)
{
	char shown[32];
	vb_size_format(size_bytes, shown, sizeof(shown));
	/* A BAR is aligned to its size (PCI 3.0 6.2.5.1). */
	if (address & (size_bytes - 1))
		return vb_refuse(err, VB_REFUSAL_SHMEM_ALIGN, EINVAL,
				 "0x%llx is not aligned to the size (%s): a BAR is naturally aligned",
				 (unsigned long long)address, shown);
	return 0;
}

static struct vb_loc or_device(struct vb_loc loc, const struct vb_device_desc *dev)
{
	return loc.file ? loc : dev->loc;
}

static void check_shmem(const struct vb_machine_desc *desc, size_t i, struct vb_diags *diags)
{
	const struct vb_device_desc *dev = &desc->devices[i];
	struct vb_err err;
	/* No size: the required-key error already says so. */
	if (!dev->size_loc.file)
		return;
	if (vb_shmem_check_size(dev->size_bytes, &err))
		vb_diag_error(diags, or_device(dev->size_loc, dev), "devices[%zu].size: %s", i,
			      err.msg);
	else if (dev->has_address && vb_shmem_check_address(dev->size_bytes, dev->address, &err))
		vb_diag_error(diags, or_device(dev->address_loc, dev), "devices[%zu].address: %s", i,
			      err.msg);
}

int vb_shmem_check(const struct vb_device_desc *dev, struct vb_err *err)
{
	int r = vb_shmem_check_size(dev->size_bytes, err);
	if (!r && dev->has_address)
		r = vb_shmem_check_address(dev->size_bytes, dev->address, err);
	return r;
}

/* A console device is where the guest console goes (the builder feeds it
 * the terminal): with the console on the UART or nowhere it would be a
 * second, silent console, which is never what the file meant. */
static void check_console(const struct vb_machine_desc *desc, size_t i, struct vb_diags *diags)
{
	if (desc->console != VB_CONSOLE_VIRTIO)
		vb_diag_error(diags, desc->devices[i].loc,
			      "devices[%zu]: a console device carries the guest console: set console = \"virtio\" (now \"%s\")",
			      i, vb_console_name(desc->console));
}

void vb_desc_validate(const struct vb_machine_desc *desc, struct vb_diags *diags)
{
	if (desc->memory_set && desc->ram_bytes < VB_MIN_RAM_BYTES) {
		char shown[32];
		vb_size_format(desc->ram_bytes, shown, sizeof(shown));
		vb_diag_error(diags, desc->memory_loc, "memory: %s is below the minimum of 64 MiB",
			      shown);
	}
	check_unique_ids(desc, diags);
	check_9p_tags(desc, diags);
	check_singletons(desc, diags);
	for (size_t i = 0; i < desc->n_devices; i++) {
		if (desc->devices[i].kind == VB_DEV_NET)
			check_net(desc, i, diags);
		else if (desc->devices[i].kind == VB_DEV_SHMEM)
			check_shmem(desc, i, diags);
		else if (desc->devices[i].kind == VB_DEV_CONSOLE)
			check_console(desc, i, diags);
	}
}
