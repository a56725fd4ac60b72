#include "dev/ignore.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const uint16_t ignored_ports[] = {0x80, 0x87, 0xed};
#define N_IGNORED (sizeof(ignored_ports) / sizeof(ignored_ports[0]))

struct ignore_state {
	struct vb_bus *bus;
	size_t registered;
};

int vb_ignore_access(void *opaque, uint64_t offset, uint8_t *data,
		     uint32_t size, bool is_write)
{
	(void)opaque;
	(void)offset;
	if (!is_write)
		memset(data, 0xff, size);
	return 0;
}

static void ignore_detach(void *state)
{
	struct ignore_state *s = state;
	if (!s)
		return;
	for (size_t i = 0; i < s->registered; i++)
		(void)vb_bus_unregister(s->bus, ignored_ports[i], NULL);
	free(s);
}

static int ignore_attach(const struct vb_device_ops *self, struct vb_dev_env *env,
			 const void *config, void **state, struct vb_err *err)
{
	(void)self;
	(void)config;
	struct ignore_state *s = calloc(1, sizeof(*s));
	if (!s)
		return vb_err_errno(err, ENOMEM, "ignore");
	s->bus = env->pio;
	for (size_t i = 0; i < N_IGNORED; i++) {
		struct vb_bus_range r = {
			.base = ignored_ports[i], .len = 1, .name = "ignore",
			.access = vb_ignore_access, .flags = VB_BUS_QUIET,
		};
		int ret = vb_bus_register(env->pio, &r, err);
		if (ret < 0) {
			ignore_detach(s);
			return ret;
		}
		s->registered++;
	}
	*state = s;
	return 0;
}

const struct vb_device_ops vb_ignore_ops = {
	.name = "ignore",
	.attach = ignore_attach,
	.detach = ignore_detach,
};
