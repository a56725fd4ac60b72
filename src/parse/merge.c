/* Merging a machine's layers (merge.h). */
#include "parse/merge.h"

#include <errno.h>
#include <string.h>

#include "parse/schema.h"

/* What the schema says a top-level key is; VB_KEY_STRING (replace) for a
 * key it does not know, which the schema then reports where it was
 * written. */
static enum vb_key_type machine_key_type(const char *key)
{
	size_t n;
	const struct vb_key_schema *keys = vb_schema_machine_keys(&n);
	for (size_t i = 0; i < n; i++)
		if (!strcmp(keys[i].name, key))
			return keys[i].type;
	return VB_KEY_STRING;
}

static int put_copy(struct vb_node *table, const struct vb_node *member)
{
	struct vb_node *copy = vb_node_clone(member);
	return copy ? vb_node_put(table, copy) : -ENOMEM;
}

/* A section: each of the layer's members shadows the base's of its key. */
static int merge_section(struct vb_node *base, const struct vb_node *layer)
{
	for (size_t i = 0; i < layer->n_items; i++) {
		int rc = put_copy(base, layer->items[i]);
		if (rc)
			return rc;
	}
	return 0;
}

/* The device list: the layer's devices come after the base's. */
static int append_items(struct vb_node *base, const struct vb_node *layer)
{
	for (size_t i = 0; i < layer->n_items; i++) {
		struct vb_node *copy = vb_node_clone(layer->items[i]);
		int rc = copy ? vb_node_append(base, copy) : -ENOMEM;
		if (rc)
			return rc;
	}
	return 0;
}

int vb_layer_merge(struct vb_node *base, const struct vb_node *layer)
{
	if (base->kind != VB_NODE_TABLE || layer->kind != VB_NODE_TABLE)
		return -EINVAL;
	for (size_t i = 0; i < layer->n_items; i++) {
		const struct vb_node *member = layer->items[i];
		struct vb_node *mine = vb_node_get(base, member->key);
		enum vb_key_type type = machine_key_type(member->key);
		int rc;
		if (type == VB_KEY_TABLE && mine && mine->kind == VB_NODE_TABLE &&
		    member->kind == VB_NODE_TABLE)
			rc = merge_section(mine, member);
		else if (type == VB_KEY_DEVICES && mine && mine->kind == VB_NODE_LIST &&
			 member->kind == VB_NODE_LIST)
			rc = append_items(mine, member);
		else
			rc = put_copy(base, member);
		if (rc)
			return rc;
	}
	return 0;
}
