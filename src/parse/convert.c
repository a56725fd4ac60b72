/* Tree to description, driven by the schema tables. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse/devtype.h"
#include "parse/schema.h"
#include "util/size.h"

/* Device types a did-you-mean considers; the registry has far fewer. */
#define VB_MAX_DEVICE_TYPES 64

struct convert {
	const struct vb_node *root;
	const struct vb_device_type *const *types;
	size_t n_types;
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

/* ---- reading one value ------------------------------------------------
 * Each reader checks v against k and, when there is something to keep,
 * fills out and returns true (a list of strings is kept with the items
 * that are strings, beside the errors for those that are not); store()
 * then puts it where k lives. */

static bool read_string(struct convert *c, const struct vb_key_schema *k,
			const struct vb_node *v, const char *path, struct vb_value *out)
{
	if (v->kind != VB_NODE_STRING) {
		type_error(c, v, path, "a string");
		return false;
	}
	if (k->type == VB_KEY_NAME && !is_name(v->string)) {
		vb_diag_error(c->diags, v->loc,
			      "%s: \"%s\" is not a valid name (1 to 64 of A-Z a-z 0-9 . _ -)",
			      path, v->string);
		return false;
	}
	if (k->type == VB_KEY_PATH && !v->string[0]) {
		vb_diag_error(c->diags, v->loc, "%s: path is empty", path);
		return false;
	}
	out->string = k->type == VB_KEY_PATH ? resolve_path(c, v) : strdup(v->string);
	if (!out->string)
		c->diags->out_of_memory = true;
	return out->string != NULL;
}

static bool read_uint(struct convert *c, const struct vb_key_schema *k,
		      const struct vb_node *v, const char *path, struct vb_value *out)
{
	if (v->kind != VB_NODE_INT) {
		type_error(c, v, path, "an integer");
		return false;
	}
	if (v->integer < k->min || v->integer > k->max) {
		vb_diag_error(c->diags, v->loc, "%s: must be between %lld and %lld, got %lld",
			      path, (long long)k->min, (long long)k->max,
			      (long long)v->integer);
		return false;
	}
	out->number = (uint64_t)v->integer;
	return true;
}

static bool read_size(struct convert *c, const struct vb_key_schema *k,
		      const struct vb_node *v, const char *path, struct vb_value *out)
{
	if (v->kind == VB_NODE_INT) {
		/* 0x... is a byte count, as in a string (util/size.h). */
		uint64_t unit = v->hex ? 1 : k->size_unit;
		if (v->integer < 0 || (uint64_t)v->integer > UINT64_MAX / unit) {
			vb_diag_error(c->diags, v->loc, "%s: %lld is out of range", path,
				      (long long)v->integer);
			return false;
		}
		out->number = (uint64_t)v->integer * unit;
		return true;
	}
	if (v->kind == VB_NODE_STRING) {
		const char *why;
		if (vb_size_parse(v->string, k->size_unit, &out->number, &why)) {
			vb_diag_error(c->diags, v->loc, "%s: cannot parse size \"%s\": %s",
				      path, v->string, why);
			return false;
		}
		return true;
	}
	type_error(c, v, path, "a size (an integer or a string such as \"512M\")");
	return false;
}

static bool read_enum(struct convert *c, const struct vb_key_schema *k,
		      const struct vb_node *v, const char *path, struct vb_value *out)
{
	if (v->kind != VB_NODE_STRING) {
		type_error(c, v, path, "a string");
		return false;
	}
	size_t n = 0;
	while (k->choices[n])
		n++;
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(v->string, k->choices[i])) {
			out->number = i;
			return true;
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
	return false;
}

static bool read_mac(struct convert *c, const struct vb_node *v, const char *path,
		     struct vb_value *out)
{
	if (v->kind != VB_NODE_STRING) {
		type_error(c, v, path, "a string");
		return false;
	}
	int rc = vb_mac_parse(v->string, out->mac);
	if (rc == -ERANGE)
		vb_diag_error(c->diags, v->loc,
			      "%s: \"%s\" is a multicast address (lowest bit of the first octet set)",
			      path, v->string);
	else if (rc)
		vb_diag_error(c->diags, v->loc,
			      "%s: \"%s\" is not a MAC address (expected six hex octets, e.g. \"52:54:00:12:34:56\")",
			      path, v->string);
	return rc == 0;
}

static void free_strings(struct vb_strings *s)
{
	for (size_t i = 0; i < s->count; i++)
		free(s->items[i]);
	free(s->items);
	*s = (struct vb_strings){ NULL, 0 };
}

static bool read_strings(struct convert *c, const struct vb_node *v, const char *path,
			 struct vb_value *out)
{
	if (v->kind != VB_NODE_LIST) {
		type_error(c, v, path, "a list of strings");
		return false;
	}
	struct vb_strings *list = &out->strings;
	for (size_t i = 0; i < v->n_items; i++) {
		const struct vb_node *item = v->items[i];
		if (item->kind != VB_NODE_STRING) {
			vb_diag_error(c->diags, item->loc, "%s[%zu]: expected a string, got %s",
				      path, i, kind_article(item->kind));
			continue;
		}
		char **items = realloc(list->items, (list->count + 1) * sizeof(*items));
		char *copy = items ? strdup(item->string) : NULL;
		if (items)
			list->items = items;
		if (!copy) {
			c->diags->out_of_memory = true;
			free_strings(list);
			return false;
		}
		list->items[list->count++] = copy;
	}
	return true;
}

static bool read_value(struct convert *c, const struct vb_key_schema *k,
		       const struct vb_node *v, const char *path, struct vb_value *out)
{
	switch (k->type) {
	case VB_KEY_STRING:
	case VB_KEY_NAME:
	case VB_KEY_PATH: return read_string(c, k, v, path, out);
	case VB_KEY_UINT: return read_uint(c, k, v, path, out);
	case VB_KEY_SIZE: return read_size(c, k, v, path, out);
	case VB_KEY_ENUM: return read_enum(c, k, v, path, out);
	case VB_KEY_MAC: return read_mac(c, v, path, out);
	case VB_KEY_STRINGS: return read_strings(c, v, path, out);
	case VB_KEY_BOOL:
		if (v->kind != VB_NODE_BOOL) {
			type_error(c, v, path, "a boolean (true or false)");
			return false;
		}
		out->boolean = v->boolean;
		return true;
	case VB_KEY_TABLE:
	case VB_KEY_DEVICES:
		break; /* store_value's */
	}
	return false;
}

/* ---- storing it ------------------------------------------------------------ */

/* The keys a table may hold: those kept at offsets into base (the
 * machine's, debug's, a device's common keys), those kept in a device's
 * values (its type's own, in the order of own), and those the caller reads
 * itself (a device's type). */
struct key_set {
	const struct vb_key_schema *fields;
	size_t n_fields;
	void *base;
	const struct vb_key_schema *own;
	size_t n_own;
	struct vb_value *values;
	const struct vb_key_schema *extra;
	size_t n_extra;
};

/* Puts val at k's offset into base, taking its allocations. */
static void keep_field(const struct vb_key_schema *k, struct vb_value *val, void *base)
{
	switch (k->type) {
	case VB_KEY_STRING:
	case VB_KEY_NAME:
	case VB_KEY_PATH: {
		char **slot = FIELD(base, k->offset, char *);
		free(*slot);
		*slot = val->string;
		break;
	}
	case VB_KEY_UINT: *FIELD(base, k->offset, unsigned) = (unsigned)val->number; break;
	case VB_KEY_SIZE: *FIELD(base, k->offset, uint64_t) = val->number; break;
	case VB_KEY_ENUM: *FIELD(base, k->offset, int) = (int)val->number; break;
	case VB_KEY_BOOL: *FIELD(base, k->offset, bool) = val->boolean; break;
	case VB_KEY_MAC: memcpy(FIELD(base, k->offset, uint8_t), val->mac, sizeof(val->mac)); break;
	case VB_KEY_STRINGS: {
		struct vb_strings *slot = FIELD(base, k->offset, struct vb_strings);
		free_strings(slot);
		*slot = val->strings;
		break;
	}
	case VB_KEY_TABLE:
	case VB_KEY_DEVICES:
		break;
	}
}

static void keep_value(struct vb_value *slot, struct vb_value *val)
{
	free(slot->string);
	free_strings(&slot->strings);
	*slot = *val;
}

static void convert_table(struct convert *c, const struct vb_node *table,
			  const char *path, const struct key_set *keys);
static void convert_devices(struct convert *c, const struct vb_node *list,
			    struct vb_machine_desc *desc);

/* A nested section or the device list, kept at k's offset into base. */
static void store_section(struct convert *c, const struct vb_key_schema *k,
			  const struct vb_node *v, const char *path, void *base)
{
	if (k->type == VB_KEY_DEVICES) {
		if (v->kind != VB_NODE_LIST)
			type_error(c, v, path, "a list of device tables");
		else
			convert_devices(c, v, base);
		return;
	}
	if (v->kind != VB_NODE_TABLE) {
		type_error(c, v, path, "a table");
		return;
	}
	size_t n;
	const struct vb_key_schema *dk = vb_schema_debug_keys(&n);
	struct key_set debug = { .fields = dk, .n_fields = n, .base = FIELD(base, k->offset, void) };
	convert_table(c, v, path, &debug);
}

/* k's value v, into slot when k is a device type's own key, else at k's
 * offsets into base. */
static void store_value(struct convert *c, const struct vb_key_schema *k,
			const struct vb_node *v, const char *path, void *base,
			struct vb_value *slot)
{
	if (k->type == VB_KEY_TABLE || k->type == VB_KEY_DEVICES) {
		store_section(c, k, v, path, base);
		return;
	}
	size_t errors_before = c->diags->errors;
	struct vb_value val = { .set = false };
	if (!read_value(c, k, v, path, &val))
		return;
	/* A value that failed its check is not "set": no follow-on errors. */
	bool valid = c->diags->errors == errors_before;
	if (slot) {
		val.set = valid;
		val.loc = valid ? v->loc : (struct vb_loc){ NULL, 0, 0 };
		keep_value(slot, &val);
		return;
	}
	keep_field(k, &val, base);
	if (valid && k->loc_offset != SIZE_MAX)
		*FIELD(base, k->loc_offset, struct vb_loc) = v->loc;
	if (valid && k->set_offset != SIZE_MAX)
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
			const struct key_set *keys)
{
	const char *names[64];
	size_t n = 0;
	for (size_t i = 0; i < keys->n_fields && n < 64; i++)
		names[n++] = keys->fields[i].name;
	for (size_t i = 0; i < keys->n_own && n < 64; i++)
		names[n++] = keys->own[i].name;
	for (size_t i = 0; i < keys->n_extra && n < 64; i++)
		names[n++] = keys->extra[i].name;
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

static void require(struct convert *c, const struct vb_node *table, const char *path,
		    const struct vb_key_schema *keys, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (keys[i].required && !vb_node_get(table, keys[i].name)) {
			char key_path[256];
			join_path(key_path, sizeof(key_path), path, keys[i].name);
			vb_diag_error(c->diags, table->loc, "%s: missing (required)", key_path);
		}
	}
}

static void convert_table(struct convert *c, const struct vb_node *table,
			  const char *path, const struct key_set *keys)
{
	for (size_t i = 0; i < table->n_items; i++) {
		const struct vb_node *member = table->items[i];
		char key_path[256];
		join_path(key_path, sizeof(key_path), path, member->key);
		const struct vb_key_schema *k = find_key(member->key, keys->fields, keys->n_fields);
		const struct vb_key_schema *own = k ? NULL
						    : find_key(member->key, keys->own, keys->n_own);
		if (k)
			store_value(c, k, member, key_path, keys->base, NULL);
		else if (own)
			store_value(c, own, member, key_path, NULL,
				    &keys->values[own - keys->own]);
		else if (!find_key(member->key, keys->extra, keys->n_extra))
			unknown_key(c, member, path, keys);
	}
	require(c, table, path, keys->fields, keys->n_fields);
	require(c, table, path, keys->own, keys->n_own);
}

static const struct vb_device_type *find_device_type(struct convert *c,
						     const struct vb_node *type,
						     const char *path)
{
	if (type->kind != VB_NODE_STRING) {
		type_error(c, type, path, "a string");
		return NULL;
	}
	const struct vb_device_type *found =
		vb_device_type_find(c->types, c->n_types, type->string);
	if (found)
		return found;
	const char *names[VB_MAX_DEVICE_TYPES];
	size_t n = 0;
	for (size_t i = 0; i < c->n_types && n < VB_MAX_DEVICE_TYPES; i++)
		names[n++] = c->types[i]->name;
	const char *hint = vb_did_you_mean(type->string, names, n);
	char expected[512];
	vb_device_type_names(c->types, c->n_types, expected, sizeof(expected));
	if (hint)
		vb_diag_error_suggesting(c->diags, type->loc, hint,
					 "%s: unknown device type \"%s\"; did you mean \"%s\"?",
					 path, type->string, hint);
	else
		vb_diag_error(c->diags, type->loc, "%s: unknown device type \"%s\" (expected %s)",
			      path, type->string, expected);
	return NULL;
}

static void convert_device(struct convert *c, const struct vb_node *table, size_t index,
			   struct vb_device_desc *dev)
{
	char path[64];
	snprintf(path, sizeof(path), "devices[%zu]", index);
	dev->loc = table->loc;
	dev->transport = VB_TRANSPORT_PCI;

	const struct vb_node *type = vb_node_get(table, "type");
	if (!type) {
		char names[512];
		vb_device_type_names(c->types, c->n_types, names, sizeof(names));
		vb_diag_error(c->diags, table->loc, "%s: missing \"type\" (%s)", path, names);
		return;
	}
	char type_path[80];
	snprintf(type_path, sizeof(type_path), "%s.type", path);
	const struct vb_device_type *t = find_device_type(c, type, type_path);
	if (!t)
		return;
	if (vb_device_desc_init(dev, t)) {
		c->diags->out_of_memory = true;
		return;
	}
	dev->loc = table->loc;

	size_t n_common;
	const struct vb_key_schema *common = vb_schema_device_common_keys(&n_common);
	/* common[0] is type (read above); transport only for virtio. */
	struct key_set keys = {
		.fields = common + 1, .n_fields = t->virtio ? n_common - 1 : n_common - 2,
		.base = dev,
		.own = t->keys, .n_own = t->n_keys, .values = dev->values,
		.extra = common, .n_extra = 1,
	};
	convert_table(c, table, path, &keys);
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

int vb_desc_from_tree(const struct vb_node *root, const struct vb_device_type *const *types,
		      size_t n_types, struct vb_machine_desc *desc, struct vb_diags *diags)
{
	size_t errors_before = diags->errors;
	struct convert c = { .root = root, .types = types, .n_types = n_types, .diags = diags };

	if (root->source) {
		desc->source = strdup(root->source);
		c.base_dir = directory_of(root->source);
	}
	if (root->kind != VB_NODE_TABLE) {
		vb_diag_error(diags, root->loc, "the machine description must be a table");
	} else {
		size_t n;
		const struct vb_key_schema *keys = vb_schema_machine_keys(&n);
		struct key_set machine = { .fields = keys, .n_fields = n, .base = desc };
		convert_table(&c, root, "", &machine);
	}
	if (!desc->name)
		desc->name = root->source ? default_name(root->source) : strdup("vm");
	free(c.base_dir);
	return diags->errors > errors_before ? -EINVAL : 0;
}
