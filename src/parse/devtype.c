/* Looking device types up, and the helpers their flags use (devtype.h). */
#include "parse/devtype.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const struct vb_device_type *vb_device_type_find(const struct vb_device_type *const *types,
						 size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(types[i]->name, name))
			return types[i];
	return NULL;
}

void vb_device_type_names(const struct vb_device_type *const *types, size_t n, char *buf,
			  size_t size)
{
	size_t used = 0;
	if (size)
		buf[0] = 0;
	for (size_t i = 0; i < n && used < size; i++)
		used += (size_t)snprintf(buf + used, size - used, "%s%s",
					 i == 0 ? "" : i + 1 == n ? " or " : ", ", types[i]->name);
}

struct vb_loc vb_flag_loc(const char *flag)
{
	return (struct vb_loc){ flag, 0, 0 };
}

int vb_flag_error(struct vb_err *err, const char *flag, const char *fmt, ...)
{
	char why[VB_ERR_MSG_BYTES];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return vb_err_set(err, EINVAL, "%s: %s", flag, why);
}

size_t vb_flag_split(char *text, char **fields, size_t max)
{
	size_t n = 0;
	while (n < max) {
		fields[n++] = text;
		char *comma = strchr(text, ',');
		if (!comma)
			break;
		*comma = 0;
		text = comma + 1;
	}
	return n;
}

static struct vb_node *new_member(enum vb_node_kind kind, const char *key, const char *flag)
{
	struct vb_loc loc = vb_flag_loc(flag);
	struct vb_node *n = vb_node_new(kind, loc);
	if (n && vb_node_set_key(n, key, loc)) {
		vb_node_free(n);
		return NULL;
	}
	return n;
}

static int put(struct vb_node *table, struct vb_node *member)
{
	return member ? vb_node_put(table, member) : -ENOMEM;
}

int vb_flag_put_string(struct vb_node *table, const char *key, const char *value,
		       const char *flag)
{
	struct vb_node *n = new_member(VB_NODE_STRING, key, flag);
	if (n && vb_node_set_string(n, value, strlen(value))) {
		vb_node_free(n);
		return -ENOMEM;
	}
	return put(table, n);
}

int vb_flag_put_bool(struct vb_node *table, const char *key, bool value, const char *flag)
{
	struct vb_node *n = new_member(VB_NODE_BOOL, key, flag);
	if (n)
		n->boolean = value;
	return put(table, n);
}

int vb_flag_put_int(struct vb_node *table, const char *key, int64_t value, const char *flag)
{
	struct vb_node *n = new_member(VB_NODE_INT, key, flag);
	if (n)
		n->integer = value;
	return put(table, n);
}

struct vb_node *vb_flag_member(struct vb_node *table, const char *key, enum vb_node_kind kind,
			       const char *flag)
{
	struct vb_node *n = vb_node_get(table, key);
	if (n && n->kind == kind)
		return n;
	n = new_member(kind, key, flag);
	return put(table, n) ? NULL : n;
}

int vb_flag_append_string(struct vb_node *table, const char *key, const char *value,
			  const char *flag)
{
	struct vb_node *list = vb_flag_member(table, key, VB_NODE_LIST, flag);
	struct vb_node *s = list ? vb_node_new(VB_NODE_STRING, vb_flag_loc(flag)) : NULL;
	if (!s || vb_node_set_string(s, value, strlen(value))) {
		vb_node_free(s);
		return -ENOMEM;
	}
	return vb_node_append(list, s);
}
