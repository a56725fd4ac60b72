#include "dev/dev.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct vb_irq vb_dev_env_irq(const struct vb_dev_env *env, uint32_t gsi)
{
	struct vb_irq irq = {
		.set_level = env->irq_set_level, .ctx = env->irq_ctx, .gsi = gsi, .fd = -1,
	};
	return irq;
}

int vb_dev_env_edge_irq(const struct vb_dev_env *env, uint32_t gsi, struct vb_irq *out,
			struct vb_err *err)
{
	*out = vb_dev_env_irq(env, gsi); /* fd -1 until irqfd_open fills it */
	out->edge = true;
	return env->irqfd_open ? env->irqfd_open(env->irq_ctx, gsi, &out->fd, err) : 0;
}

void vb_irq_release(struct vb_irq *irq)
{
	if (irq->edge && irq->fd >= 0)
		close(irq->fd);
	irq->fd = -1;
}

void vb_dev_env_request(const struct vb_dev_env *env, enum vb_dev_request req)
{
	if (env->request)
		env->request(env->request_ctx, req);
}

void vb_dev_env_log(const struct vb_dev_env *env, const char *fmt, ...)
{
	if (!env->log)
		return;
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	env->log(env->log_ctx, msg);
}

int vb_dev_set_attach(struct vb_dev_set *set, struct vb_dev_env *env,
		      const struct vb_device_ops *ops, const void *config,
		      struct vb_err *err)
{
	if (set->count >= VB_DEV_SET_MAX)
		return vb_err_set(err, ENOSPC, "%s: more than %d devices",
				  ops->name, VB_DEV_SET_MAX);
	void *state = NULL;
	/* Attach errors already start with the device name. */
	int r = ops->attach(ops, env, config, &state, err);
	if (r < 0)
		return r;
	set->items[set->count].ops = ops;
	set->items[set->count].state = state;
	set->count++;
	return 0;
}

void vb_dev_set_detach_all(struct vb_dev_set *set)
{
	while (set->count > 0) {
		struct vb_dev_instance *d = &set->items[--set->count];
		if (d->ops->detach)
			d->ops->detach(d->state);
		d->state = NULL;
	}
}

int vb_dev_set_cmdline(const struct vb_dev_set *set, char *buf, size_t size,
		       struct vb_err *err)
{
	if (size == 0)
		return vb_err_set(err, ENOSPC, "kernel command line: no room");
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < set->count; i++) {
		const struct vb_dev_instance *d = &set->items[i];
		if (!d->ops->cmdline)
			continue;
		size_t sep = used ? 1 : 0;
		if (used + sep >= size)
			return vb_err_set(err, ENOSPC, "kernel command line too long");
		size_t need = d->ops->cmdline(d->state, buf + used + sep,
					      size - used - sep);
		if (need == 0) {
			buf[used] = '\0';
			continue;
		}
		if (need >= size - used - sep) {
			buf[used] = '\0';
			return vb_err_set(err, ENOSPC,
					  "kernel command line too long at %s",
					  d->ops->name);
		}
		if (sep)
			buf[used] = ' ';
		used += sep + need;
	}
	return 0;
}
