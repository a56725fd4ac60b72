/* Tree to description, driven by the schema tables. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse/schema.h"
#include "util/size.h"

struct convert {
	const struct vb_node *root;
	char *base_dir;          /* directory of the machine file, or NULL */
	struct vb_diags *diags;
};

#define FIELD(base, offset, type) ((type *)((char *)(base) + (offset)))

static const char *kind_article(enum vb_node_kind kind)
{
	switch (kind) {
	case VB_NODE_NULL: return "null";
	case VB_NODE_BOOL: return "a boolean";
	case VB_NODE_INT: return "an integer";
	case VB_NODE_FLOAT: return "a floating-point number";
	case VB_NODE_STRING: return "a string";
	case VB_NODE_LIST: return "a list";
	case VB_NODE_TABLE: return "a table";
	}
	return "?";
}

static void type_error(struct convert *c, const struct vb_node *v, const char *path,
		       const char *expected)
{
	vb_diag_error(c->diags, v->loc, "%s: expected %s, got %s", path, expected,
		      kind_article(v->kind));
}

static bool is_name(const char *s)
{
	size_t n = strlen(s);
	if (n < 1 || n > VB_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			  (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-';
		if (!ok)
			return false;
	}
	return true;
}

/* Values written in the file are relative to the file's directory; values
 * from the command line are relative to the working directory. */
static char *resolve_path(struct convert *c, const struct vb_node *v)
{
	bool from_file = c->root->source && v->loc.file == c->root->source;
	if (v->string[0] == '/' || !from_file || !c->base_dir)
		return strdup(v->string);
	char *out = NULL;
	if (asprintf(&out, "%s/%s", c->base_dir, v->string) < 0)
		return NULL;
	return out;
}

int vb_mac_parse(const char *text, uint8_t mac[6])
{
	unsigned octets[6];
	char tail;
	if (strlen(text) != 17 ||
	    sscanf(text, "%2x:%2x:%2x:%2x:%2x:%2x%c", &octets[0], &octets[1], &octets[2],
		   &octets[3], &octets[4], &octets[5], &tail) != 6)
		return -EINVAL;
	for (int i = 0; i < 6; i++) {
		if (text[i * 3] == ' ' || text[i * 3] == '+' || text[i * 3] == '-')
			return -EINVAL;
		mac[i] = (uint8_t)octets[i];
	}
	/* Bit 0 of the first octet marks a group address: not for a NIC. */
	if (mac[0] & 1)
		return -ERANGE;
	return 0;
}

static void store_string(struct convert *c, const struct vb_key_schema *k,
			 const struct vb_node *v, const char *path, void *base)
{
	if (v->kind != VB_NODE_STRING) {
		type_error(c, v, path, "a string");
		return;
	}
	if (k->type == VB_KEY_NAME && !is_name(v->string)) {
		vb_diag_error(c->diags, v->loc,
			      "%s: \"%s\" is not a valid name (1 to 64 of A-Z a-z 0-9 . _ -)",
			      path, v->string);
		return;
	}
	if (k->type == VB_KEY_PATH && !v->string[0]) {
		vb_diag_error(c->diags, v->loc, "%s: path is empty", path);
		return;
	}
	char *copy = k->type == VB_KEY_PATH ? resolve_path(c, v) : strdup(v->string);
	if (!copy) {
		c->diags->out_of_memory = true;
		return;
	}
	char **slot = FIELD(base, k->offset, char *);
	free(*slot);
	*slot = copy;
}

static void store_uint(struct convert *c, const struct vb_key_schema *k,
		       const struct vb_node *v, const char *path, void *base)
{
	if (v->kind != VB_NODE_INT) {
		type_error(c, v, path, "an integer");
		return;
	}
	if (v->integer < k->min || v->integer > k->max) {
		vb_diag_error(c->diags, v->loc, "%s: must be between %lld and %lld, got %lld",
			      path, (long long)k->min, (long long)k->max,
			      (long long)v->integer);
		return;
	}
	*FIELD(base, k->offset, unsigned) = (unsigned)v->integer;
}

static void store_size(struct convert *c, const struct vb_key_schema *k,
		       const struct vb_node *v, const char *path, void *base)
{
	uint64_t bytes;
	if (v->kind == VB_NODE_INT) {
		/* 0x... is a byte count, as in a string (util/size.h). */
		uint64_t unit = v->hex ? 1 : k->size_unit;
		if (v->integer < 0 || (uint64_t)v->integer > UINT64_MAX / unit) {
			vb_diag_error(c->diags, v->loc, "%s: %lld is out of range", path,
				      (long long)v->integer);
			return;
		}
		bytes = (uint64_t)v->integer * unit;
	} else if (v->kind == VB_NODE_STRING) {
		const char *why;
		if (vb_size_parse(v->string, k->size_unit, &bytes, &why)) {
			vb_diag_error(c->diags, v->loc, "%s: cannot parse size \"%s\": %s",
				      path, v->string, why);
			return;
		}
	} else {
		type_error(c, v, path, "a size (an integer or a string such as \"512M\")");
		return;
	}
	*FIELD(base, k->offset, uint64_t) = bytes;
}

static void store_enum(struct convert *c, const struct vb_key_schema *k,
		       const struct vb_node *v, const char *path, void *base)
{
	if (v->kind != VB_NODE_STRING) {
		type_error(c, v, path, "a string");
		return;
	}
	size_t n = 0;
	while (k->choices[n])
		n++;
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(v->string, k->choices[i])) {
			*FIELD(base, k->offset, int) = (int)i;
			return;
		}
	}
	char choices[256] = "";
	for (size_t i = 0; i < n; i++) {
		size_t used = strlen(choices);
		snprintf(choices + used, sizeof(choices) - used, "%s\"%s\"",
			 i == 0 ? "" : (i + 1 == n ? " or " : ", "), k->choices[i]);
	}
	const char *hint = vb_did_you_mean(v->string, k->choices, n);
	if (hint)
		vb_diag_error_suggesting(c->diags, v->loc, hint,
					 "%s: unknown value \"%s\"; did you mean \"%s\"? (expected %s)",
					 path, v->string, hint, choices);
	else
		vb_diag_error(c->diags, v->loc, "%s: unknown value \"%s\" (expected %s)",
			      path, v->string, choices);
}

static void store_mac(struct convert *c, const struct vb_key_schema *k,
		      const struct vb_node *v, const char *path, void *base)
{
	if (v->kind != VB_NODE_STRING) {
		type_error(c, v, path, "a string");
		return;
	}
	int rc = vb_mac_parse(v->string, FIELD(base, k->offset, uint8_t));
	if (rc == -ERANGE)
		vb_diag_error(c->diags, v->loc,
			      "%s: \"%s\" is a multicast address (lowest bit of the first octet set)",
			      path, v->string);
	else if (rc)
		vb_diag_error(c->diags, v->loc,
			      "%s: \"%s\" is not a MAC address (expected six hex octets, e.g. \"52:54:00:12:34:56\")",
			      path, v->string);
}

static void store_strings(struct convert *c, const struct vb_key_schema *k,
			  const struct vb_node *v, const char *path, void *base)
{
	if (v->kind != VB_NODE_LIST) {
		type_error(c, v, path, "a list of strings");
		return;
	}
	struct vb_strings *out = FIELD(base, k->offset, struct vb_strings);
	for (size_t i = 0; i < v->n_items; i++) {
		const struct vb_node *item = v->items[i];
		if (item->kind != VB_NODE_STRING) {
			vb_diag_error(c->diags, item->loc, "%s[%zu]: expected a string, got %s",
				      path, i, kind_article(item->kind));
			continue;
		}
		char **items = realloc(out->items, (out->count + 1) * sizeof(*items));
		char *copy = items ? strdup(item->string) : NULL;
		if (items)
			out->items = items;
		if (!copy) {
			c->diags->out_of_memory = true;
			return;
		}
		out->items[out->count++] = copy;
	}
}

static void convert_table(struct convert *c, const struct vb_node *table,
			  const char *path, const struct vb_key_schema *keys, size_t n_keys,
			  const struct vb_key_schema *extra, size_t n_extra, void *base);
static void convert_devices(struct convert *c, const struct vb_node *list,
			    struct vb_machine_desc *desc);

static void store_value(struct convert *c, const struct vb_key_schema *k,
			const struct vb_node *v, const char *path, void *base)
{
	size_t errors_before = c->diags->errors;
	switch (k->type) {
	case VB_KEY_STRING:
	case VB_KEY_NAME:
	case VB_KEY_PATH:
		store_string(c, k, v, path, base);
		break;
	case VB_KEY_UINT:
		store_uint(c, k, v, path, base);
		break;
	case VB_KEY_BOOL:
		if (v->kind != VB_NODE_BOOL)
			type_error(c, v, path, "a boolean (true or false)");
		else
			*FIELD(base, k->offset, bool) = v->boolean;
		break;
	case VB_KEY_SIZE:
		store_size(c, k, v, path, base);
		break;
	case VB_KEY_ENUM:
		store_enum(c, k, v, path, base);
		break;
	case VB_KEY_MAC:
		store_mac(c, k, v, path, base);
		break;
	case VB_KEY_STRINGS:
		store_strings(c, k, v, path, base);
		break;
	case VB_KEY_TABLE: {
		if (v->kind != VB_NODE_TABLE) {
			type_error(c, v, path, "a table");
			break;
		}
		size_t n;
		const struct vb_key_schema *dk = vb_schema_debug_keys(&n);
		convert_table(c, v, path, dk, n, NULL, 0, FIELD(base, k->offset, void));
		break;
	}
	case VB_KEY_DEVICES:
		if (v->kind != VB_NODE_LIST)
			type_error(c, v, path, "a list of device tables");
		else
			convert_devices(c, v, base);
		break;
	}
	/* A value that failed its check is not "set": no follow-on errors. */
	if (c->diags->errors > errors_before)
		return;
	if (k->loc_offset != SIZE_MAX)
		*FIELD(base, k->loc_offset, struct vb_loc) = v->loc;
	if (k->set_offset != SIZE_MAX)
		*FIELD(base, k->set_offset, bool) = true;
}

static const struct vb_key_schema *find_key(const char *name,
					    const struct vb_key_schema *keys, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(keys[i].name, name))
			return &keys[i];
	return NULL;
}

static void unknown_key(struct convert *c, const struct vb_node *member, const char *path,
			const struct vb_key_schema *keys, size_t n_keys,
			const struct vb_key_schema *extra, size_t n_extra)
{
	const char *names[64];
	size_t n = 0;
	for (size_t i = 0; i < n_keys && n < 64; i++)
		names[n++] = keys[i].name;
	for (size_t i = 0; i < n_extra && n < 64; i++)
		names[n++] = extra[i].name;
	const char *hint = vb_did_you_mean(member->key, names, n);
	const char *where = path[0] ? path : "machine";
	if (hint)
		vb_diag_error_suggesting(c->diags, member->key_loc, hint,
					 "%s: unknown key \"%s\"; did you mean \"%s\"?", where,
					 member->key, hint);
	else
		vb_diag_error(c->diags, member->key_loc, "%s: unknown key \"%s\"", where,
			      member->key);
}

static void join_path(char *buf, size_t size, const char *prefix, const char *key)
{
	if (prefix[0])
		snprintf(buf, size, "%s.%s", prefix, key);
	else
		snprintf(buf, size, "%s", key);
}

/* keys: the keys stored into base; extra: keys allowed here but handled by
 * the caller (device type/id/transport). */
static void convert_table(struct convert *c, const struct vb_node *table,
			  const char *path, const struct vb_key_schema *keys, size_t n_keys,
			  const struct vb_key_schema *extra, size_t n_extra, void *base)
{
	for (size_t i = 0; i < table->n_items; i++) {
		const struct vb_node *member = table->items[i];
		char key_path[256];
		join_path(key_path, sizeof(key_path), path, member->key);
		const struct vb_key_schema *k = find_key(member->key, keys, n_keys);
		if (k)
			store_value(c, k, member, key_path, base);
		else if (!find_key(member->key, extra, n_extra))
			unknown_key(c, member, path, keys, n_keys, extra, n_extra);
	}
	for (size_t i = 0; i < n_keys; i++) {
		if (keys[i].required && !vb_node_get(table, keys[i].name)) {
			char key_path[256];
			join_path(key_path, sizeof(key_path), path, keys[i].name);
			vb_diag_error(c->diags, table->loc, "%s: missing (required)", key_path);
		}
	}
}

static const struct vb_device_schema *find_device_type(struct convert *c,
							 const struct vb_node *type,
							 const char *path)
{
	size_t n;
	const struct vb_device_schema *types = vb_schema_devices(&n);
	if (type->kind != VB_NODE_STRING) {
		type_error(c, type, path, "a string");
		return NULL;
	}
	const char *names[VB_DEV_KIND_COUNT];
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(types[i].type, type->string))
			return &types[i];
		names[i] = types[i].type;
	}
	const char *hint = vb_did_you_mean(type->string, names, n);
	if (hint)
		vb_diag_error_suggesting(c->diags, type->loc, hint,
					 "%s: unknown device type \"%s\"; did you mean \"%s\"?",
					 path, type->string, hint);
	else
		vb_diag_error(c->diags, type->loc,
			      "%s: unknown device type \"%s\" (expected disk, net, 9p, balloon, rng, shmem or console)",
			      path, type->string);
	return NULL;
}

static void convert_device(struct convert *c, const struct vb_node *table, size_t index,
			   struct vb_device_desc *dev)
{
	char path[64];
	snprintf(path, sizeof(path), "devices[%zu]", index);
	dev->loc = table->loc;
	dev->transport = VB_TRANSPORT_PCI;
	dev->net_mode = VB_NET_USER;
	dev->dhcp = true;

	const struct vb_node *type = vb_node_get(table, "type");
	if (!type) {
		vb_diag_error(c->diags, table->loc, "%s: missing \"type\" (disk, net, 9p, balloon, rng or shmem)",
			      path);
		return;
	}
	char type_path[80];
	snprintf(type_path, sizeof(type_path), "%s.type", path);
	const struct vb_device_schema *schema = find_device_type(c, type, type_path);
	if (!schema)
		return;
	dev->kind = schema->kind;

	size_t n_common;
	const struct vb_key_schema *common = vb_schema_device_common_keys(&n_common);
	/* common[0] is type (handled above); transport only for virtio. */
	size_t n_stored = schema->virtio ? n_common - 1 : n_common - 2;
	struct vb_key_schema keys[16];
	size_t n_keys = 0;
	for (size_t i = 0; i < n_stored; i++)
		keys[n_keys++] = common[1 + i];
	for (size_t i = 0; i < schema->n_keys && n_keys < 16; i++)
		keys[n_keys++] = schema->keys[i];
	convert_table(c, table, path, keys, n_keys, common, 1, dev);
}

static void convert_devices(struct convert *c, const struct vb_node *list,
			    struct vb_machine_desc *desc)
{
	if (list->n_items > VB_MAX_DEVICES) {
		vb_diag_error(c->diags, list->loc, "devices: %zu devices; at most %d are supported",
			      list->n_items, VB_MAX_DEVICES);
		return;
	}
	desc->devices = calloc(list->n_items ? list->n_items : 1, sizeof(*desc->devices));
	if (!desc->devices) {
		c->diags->out_of_memory = true;
		return;
	}
	for (size_t i = 0; i < list->n_items; i++) {
		const struct vb_node *item = list->items[i];
		if (item->kind != VB_NODE_TABLE) {
			vb_diag_error(c->diags, item->loc, "devices[%zu]: expected a table, got %s",
				      i, kind_article(item->kind));
			continue;
		}
		convert_device(c, item, i, &desc->devices[desc->n_devices++]);
	}
}

static char *directory_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

static char *default_name(const char *source)
{
	const char *base = strrchr(source, '/');
	base = base ? base + 1 : source;
	const char *dot = strrchr(base, '.');
	size_t len = dot && dot != base ? (size_t)(dot - base) : strlen(base);
	char *name = strndup(base, len);
	/* A file name that is not a valid machine name falls back to "vm". */
	for (char *p = name; p && *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' || *p == '-'))
			*p = '_';
	if (name && (!name[0] || strlen(name) > VB_NAME_MAX)) {
		free(name);
		name = strdup("vm");
	}
	return name;
}

int vb_desc_from_tree(const struct vb_node *root, struct vb_machine_desc *desc,
		      struct vb_diags *diags)
{
	size_t errors_before = diags->errors;
	struct convert c = { .root = root, .diags = diags };

	if (root->source) {
		desc->source = strdup(root->source);
		c.base_dir = directory_of(root->source);
	}
	if (root->kind != VB_NODE_TABLE) {
		vb_diag_error(diags, root->loc, "the machine description must be a table");
	} else {
		size_t n;
		const struct vb_key_schema *keys = vb_schema_machine_keys(&n);
		convert_table(&c, root, "", keys, n, NULL, 0, desc);
	}
	if (!desc->name)
		desc->name = root->source ? default_name(root->source) : strdup("vm");
	free(c.base_dir);

	vb_desc_validate(desc, diags);
	return diags->errors > errors_before ? -EINVAL : 0;
}
