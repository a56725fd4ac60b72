/* Syntax tree nodes shared by the .conf and YAML front ends (node.h). */
#include "parse/node.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *vb_node_kind_name(enum vb_node_kind kind)
{
	static const char *const names[] = {
		[VB_NODE_NULL] = "null",     [VB_NODE_BOOL] = "boolean",  [VB_NODE_INT] = "integer",
		[VB_NODE_FLOAT] = "float",   [VB_NODE_STRING] = "string", [VB_NODE_LIST] = "list",
		[VB_NODE_TABLE] = "table",
	};
	if ((unsigned)kind >= sizeof(names) / sizeof(names[0]) || !names[kind])
		return "unknown";
	return names[kind];
}

struct vb_node *vb_node_new(enum vb_node_kind kind, struct vb_loc loc)
{
	struct vb_node *node = calloc(1, sizeof(*node));
	if (!node)
		return NULL;
	node->kind = kind;
	node->loc = loc;
	return node;
}

/* The capacity of items[] is not stored: it is the smallest power of two
 * >= n_items, so the array grows exactly when n_items is 0 or a power of
 * two, keeping appends amortised O(1) without widening the public struct. */
static bool needs_growth(size_t n)
{
	return (n & (n - 1)) == 0;
}

int vb_node_append(struct vb_node *parent, struct vb_node *child)
{
	size_t n = parent->n_items;

	if (needs_growth(n)) {
		size_t cap = n ? n * 2 : 1;
		struct vb_node **items;

		if (cap > SIZE_MAX / sizeof(*items)) {
			vb_node_free(child);
			return -ENOMEM;
		}
		items = realloc(parent->items, cap * sizeof(*items));
		if (!items) {
			vb_node_free(child);
			return -ENOMEM;
		}
		parent->items = items;
	}
	parent->items[n] = child;
	parent->n_items = n + 1;
	return 0;
}

int vb_node_set_key(struct vb_node *node, const char *key, struct vb_loc loc)
{
	char *copy = strdup(key);

	if (!copy)
		return -ENOMEM;
	free(node->key);
	node->key = copy;
	node->key_loc = loc;
	return 0;
}

int vb_node_set_string(struct vb_node *node, const char *s, size_t len)
{
	char *copy;

	/* Later stages treat strings as C strings: an embedded NUL would
	 * silently truncate a path or command line. */
	if (memchr(s, '\0', len))
		return -EINVAL;
	copy = malloc(len + 1);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, s, len);
	copy[len] = '\0';
	free(node->string);
	node->string = copy;
	return 0;
}

void vb_node_free(struct vb_node *node)
{
	if (!node)
		return;
	for (size_t i = 0; i < node->n_items; i++)
		vb_node_free(node->items[i]);
	free(node->items);
	free(node->key);
	free(node->string);
	free(node->source);
	free(node);
}

struct vb_node *vb_node_get(const struct vb_node *table, const char *key)
{
	if (!table || table->kind != VB_NODE_TABLE)
		return NULL;
	for (size_t i = 0; i < table->n_items; i++) {
		struct vb_node *item = table->items[i];
		if (item->key && strcmp(item->key, key) == 0)
			return item;
	}
	return NULL;
}

int vb_node_put(struct vb_node *table, struct vb_node *member)
{
	for (size_t i = 0; i < table->n_items; i++) {
		if (table->items[i]->key && !strcmp(table->items[i]->key, member->key)) {
			vb_node_free(table->items[i]);
			table->items[i] = member;
			return 0;
		}
	}
	return vb_node_append(table, member);
}

struct vb_node *vb_node_clone(const struct vb_node *node)
{
	struct vb_node *copy = vb_node_new(node->kind, node->loc);
	if (!copy)
		return NULL;
	copy->boolean = node->boolean;
	copy->integer = node->integer;
	copy->hex = node->hex;
	copy->real = node->real;
	if ((node->key && vb_node_set_key(copy, node->key, node->key_loc)) ||
	    (node->string && vb_node_set_string(copy, node->string, strlen(node->string)))) {
		vb_node_free(copy);
		return NULL;
	}
	for (size_t i = 0; i < node->n_items; i++) {
		struct vb_node *item = vb_node_clone(node->items[i]);
		if (!item || vb_node_append(copy, item)) {
			vb_node_free(copy);
			return NULL;
		}
	}
	return copy;
}

static bool same_key(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

bool vb_node_equal(const struct vb_node *a, const struct vb_node *b)
{
	if (!a || !b)
		return a == b;
	if (a->kind != b->kind || !same_key(a->key, b->key))
		return false;
	switch (a->kind) {
	case VB_NODE_NULL:
		return true;
	case VB_NODE_BOOL:
		return a->boolean == b->boolean;
	case VB_NODE_INT:
		return a->integer == b->integer && a->hex == b->hex;
	case VB_NODE_FLOAT:
		return a->real == b->real || (isnan(a->real) && isnan(b->real));
	case VB_NODE_STRING:
		return same_key(a->string, b->string);
	case VB_NODE_LIST:
	case VB_NODE_TABLE:
		if (a->n_items != b->n_items)
			return false;
		for (size_t i = 0; i < a->n_items; i++)
			if (!vb_node_equal(a->items[i], b->items[i]))
				return false;
		return true;
	}
	return false;
}
