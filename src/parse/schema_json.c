/* The key tables as a JSON Schema (schema_json.h). */
#include "parse/schema_json.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parse/devtype.h"
#include "parse/schema.h"
#include "util/json.h"
#include "util/size.h"

/* ---- members for the writer (util/json.h) ------------------------------- */

static void begin_object(struct vb_json *w, const char *key)
{
	vb_json_key(w, key);
	vb_json_begin_object(w);
}

static void begin_array(struct vb_json *w, const char *key)
{
	vb_json_key(w, key);
	vb_json_begin_array(w);
}

static void key_i64(struct vb_json *w, const char *key, int64_t value)
{
	vb_json_key(w, key);
	vb_json_i64(w, value);
}

/* ---- keys ------------------------------------------------------------------ */

/* Where a key sits: the top level's required keys may be left to the
 * zero-config default. */
enum where { AT_TOP, IN_TABLE };

/* The device types `devices` offers (the registry, passed down). */
struct types {
	const struct vb_device_type *const *items;
	size_t n;
};

/* "MiB", "bytes": what a bare integer counts for a size key. */
static void unit_name(uint64_t unit, char *buf, size_t size)
{
	char shown[32];
	vb_size_format(unit, shown, sizeof(shown));
	snprintf(buf, size, "%s", strncmp(shown, "1 ", 2) ? shown : shown + 2);
}

static void write_default(struct vb_json *w, const struct vb_key_schema *k)
{
	if (!vb_key_default_literal(k))
		return;
	if (k->type == VB_KEY_BOOL)
		vb_json_key_bool(w, "default", !strcmp(k->default_text, "true"));
	else if (k->type == VB_KEY_UINT)
		key_i64(w, "default", strtoll(k->default_text, NULL, 10));
	else
		vb_json_key_string(w, "default", k->default_text);
}

/* The table's one-line help as a sentence, with what the schema cannot
 * say as a keyword: a bare integer's unit, a default in words, the
 * zero-config default filling in a required key. */
static void write_description(struct vb_json *w, const struct vb_key_schema *k, enum where where)
{
	char text[1024];
	size_t used = (size_t)snprintf(text, sizeof(text), "%c%s.",
				       toupper((unsigned char)k->help[0]), k->help + 1);
	if (k->type == VB_KEY_SIZE && used < sizeof(text)) {
		char unit[32];
		unit_name(k->size_unit, unit, sizeof(unit));
		used += (size_t)snprintf(text + used, sizeof(text) - used,
					 k->size_unit == 1 ? " A bare integer counts %s."
							   : " A bare integer counts %s, 0x... bytes.",
					 unit);
	}
	if (k->default_text && !vb_key_default_literal(k) && used < sizeof(text))
		used += (size_t)snprintf(text + used, sizeof(text) - used, " Default: %s.",
					 k->default_text);
	if (k->required && where == AT_TOP && used < sizeof(text))
		snprintf(text + used, sizeof(text) - used,
			 " Without it, the zero-config default of vmboot(1) fills it in.");
	vb_json_key_string(w, "description", text);
}

static void write_key(struct vb_json *w, const struct vb_key_schema *k, enum where where,
		      const struct types *types);

static void write_properties(struct vb_json *w, const struct vb_key_schema *keys, size_t n,
			     enum where where, const struct types *types)
{
	for (size_t i = 0; i < n; i++)
		write_key(w, &keys[i], where, types);
}

/* "required": the keys the table marks so; nothing written for none. */
static void write_required(struct vb_json *w, const char *first, const struct vb_key_schema *keys,
			   size_t n)
{
	bool any = first != NULL;
	for (size_t i = 0; i < n; i++)
		any = any || keys[i].required;
	if (!any)
		return;
	begin_array(w, "required");
	if (first)
		vb_json_string(w, first);
	for (size_t i = 0; i < n; i++)
		if (keys[i].required)
			vb_json_string(w, keys[i].name);
	vb_json_end_array(w);
}

static void write_debug_table(struct vb_json *w)
{
	size_t n;
	const struct vb_key_schema *keys = vb_schema_debug_keys(&n);
	vb_json_key_string(w, "type", "object");
	begin_object(w, "properties");
	write_properties(w, keys, n, IN_TABLE, NULL);
	vb_json_end_object(w);
	write_required(w, NULL, keys, n);
	vb_json_key_bool(w, "additionalProperties", false);
}

/* One device type: its `type` as a const (the discriminator of the oneOf),
 * id, transport for virtio devices, then its own keys. */
static void write_device(struct vb_json *w, const struct vb_device_type *dev,
			 const struct types *types)
{
	size_t n_common;
	const struct vb_key_schema *common = vb_schema_device_common_keys(&n_common);
	char title[64], names[512], help[600];
	snprintf(title, sizeof(title), "%s device", dev->name);
	vb_json_begin_object(w);
	vb_json_key_string(w, "title", title);
	vb_json_key_string(w, "description", dev->help);
	vb_json_key_string(w, "type", "object");
	begin_object(w, "properties");
	for (size_t i = 0; i < n_common; i++) {
		if (!strcmp(common[i].name, "type")) {
			/* "device type: disk, net ...": the table's help with the
			 * registry's names, which parse cannot spell out itself. */
			struct vb_key_schema type = common[i];
			vb_device_type_names(types->items, types->n, names, sizeof(names));
			snprintf(help, sizeof(help), "%s: %s", type.help, names);
			type.help = help;
			begin_object(w, "type");
			write_description(w, &type, IN_TABLE);
			vb_json_key_string(w, "const", dev->name);
			vb_json_end_object(w);
		} else if (strcmp(common[i].name, "transport") || dev->virtio) {
			write_key(w, &common[i], IN_TABLE, types);
		}
	}
	write_properties(w, dev->keys, dev->n_keys, IN_TABLE, types);
	vb_json_end_object(w);
	write_required(w, "type", dev->keys, dev->n_keys);
	vb_json_key_bool(w, "additionalProperties", false);
	vb_json_end_object(w);
}

static void write_devices(struct vb_json *w, const struct types *types)
{
	vb_json_key_string(w, "type", "array");
	key_i64(w, "maxItems", VB_MAX_DEVICES);
	begin_object(w, "items");
	begin_array(w, "oneOf");
	for (size_t i = 0; i < types->n; i++)
		write_device(w, types->items[i], types);
	vb_json_end_array(w);
	vb_json_end_object(w);
}

static void write_size(struct vb_json *w)
{
	char pattern[512];
	begin_array(w, "type");
	vb_json_string(w, "integer");
	vb_json_string(w, "string");
	vb_json_end_array(w);
	key_i64(w, "minimum", 0);
	if (vb_size_pattern(pattern, sizeof(pattern)) == 0)
		vb_json_key_string(w, "pattern", pattern);
}

static void write_key(struct vb_json *w, const struct vb_key_schema *k, enum where where,
		      const struct types *types)
{
	char pattern[64];
	begin_object(w, k->name);
	write_description(w, k, where);
	switch (k->type) {
	case VB_KEY_STRING:
		vb_json_key_string(w, "type", "string");
		break;
	case VB_KEY_NAME:
		/* convert.c's is_name(). */
		snprintf(pattern, sizeof(pattern), "^[A-Za-z0-9._-]{1,%d}$", VB_NAME_MAX);
		vb_json_key_string(w, "type", "string");
		vb_json_key_string(w, "pattern", pattern);
		break;
	case VB_KEY_PATH:
		vb_json_key_string(w, "type", "string");
		key_i64(w, "minLength", 1);
		break;
	case VB_KEY_UINT:
		vb_json_key_string(w, "type", "integer");
		key_i64(w, "minimum", k->min);
		key_i64(w, "maximum", k->max);
		break;
	case VB_KEY_BOOL:
		vb_json_key_string(w, "type", "boolean");
		break;
	case VB_KEY_SIZE:
		write_size(w);
		break;
	case VB_KEY_ENUM:
		vb_json_key_string(w, "type", "string");
		begin_array(w, "enum");
		for (size_t i = 0; k->choices[i]; i++)
			vb_json_string(w, k->choices[i]);
		vb_json_end_array(w);
		break;
	case VB_KEY_MAC:
		/* vb_mac_parse(): six hex octets; bit 0 of the first clear
		 * (unicast), so its second digit is even. */
		vb_json_key_string(w, "type", "string");
		vb_json_key_string(w, "pattern", "^[0-9A-Fa-f][02468ACEace](:[0-9A-Fa-f]{2}){5}$");
		break;
	case VB_KEY_STRINGS:
		vb_json_key_string(w, "type", "array");
		begin_object(w, "items");
		vb_json_key_string(w, "type", "string");
		vb_json_end_object(w);
		break;
	case VB_KEY_TABLE:
		write_debug_table(w);
		break;
	case VB_KEY_DEVICES:
		if (types)
			write_devices(w, types);
		break;
	}
	write_default(w, k);
	vb_json_end_object(w);
}

int vb_schema_write_json(FILE *out, const struct vb_device_type *const *types, size_t n_types)
{
	size_t n;
	const struct vb_key_schema *keys = vb_schema_machine_keys(&n);
	const struct types registry = { types, n_types };
	struct vb_json w;

	vb_json_init_file(&w, out, VB_JSON_PRETTY);
	vb_json_begin_object(&w);
	vb_json_key_string(&w, "$schema", "https://json-schema.org/draft/2020-12/schema");
	vb_json_key_string(&w, "$id", VB_SCHEMA_JSON_ID);
	vb_json_key_string(&w, "title", "vmboot machine file");
	vb_json_key_string(&w, "description",
			   "A virtual machine for vmboot(1), in libconfig or YAML: every key is in "
			   "vmboot.conf(5). Generated by `vmboot schema` from the tables vmboot --check "
			   "uses; --check also applies rules across keys that a schema cannot express.");
	vb_json_key_string(&w, "type", "object");
	begin_object(&w, "properties");
	write_properties(&w, keys, n, AT_TOP, &registry);
	vb_json_end_object(&w);
	vb_json_key_bool(&w, "additionalProperties", false);
	vb_json_end_object(&w);
	return vb_json_finish(&w);
}
