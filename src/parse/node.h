/* The syntax tree both front ends produce: a format-neutral tree of typed
 * values, each with its source location.
 *
 * The libconfig (.conf) and YAML (.yaml/.yml) front ends do no semantic
 * checks and no syscalls beyond reading the file: they only turn syntax into
 * this tree. The schema (schema.h) then checks keys and types and fills the
 * typed description, so both syntaxes share one set of rules and messages.
 *
 * Ownership: a tree is one allocation graph rooted at the returned node;
 * vb_node_free() frees it. The file name in every vb_loc points at the
 * root's `source` string, owned by the root. */
#ifndef VB_PARSE_NODE_H
#define VB_PARSE_NODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/diag.h"

enum vb_node_kind {
	VB_NODE_NULL,
	VB_NODE_BOOL,
	VB_NODE_INT,
	VB_NODE_FLOAT,
	VB_NODE_STRING,
	VB_NODE_LIST,  /* items[] in order; libconfig lists and arrays */
	VB_NODE_TABLE, /* items[] are members, each with key set; libconfig groups */
};

struct vb_node {
	enum vb_node_kind kind;
	struct vb_loc loc;     /* where the value starts */
	char *key;             /* member name when inside a table, else NULL */
	struct vb_loc key_loc; /* where the key starts */
	bool boolean;
	int64_t integer;
	bool hex;              /* the integer was written 0x...: a byte count (util/size.h) */
	double real;
	char *string;          /* NUL-terminated; may contain no NUL itself */
	struct vb_node **items;
	size_t n_items;
	char *source;          /* root only: the file name all locs point to */
};

const char *vb_node_kind_name(enum vb_node_kind kind);

struct vb_node *vb_node_new(enum vb_node_kind kind, struct vb_loc loc);
/* Appends child (taking ownership). Returns 0 or -ENOMEM (child then freed). */
int vb_node_append(struct vb_node *parent, struct vb_node *child);
/* Sets node->key (copied). Returns 0 or -ENOMEM. */
int vb_node_set_key(struct vb_node *node, const char *key, struct vb_loc loc);
int vb_node_set_string(struct vb_node *node, const char *s, size_t len);
void vb_node_free(struct vb_node *node);

/* First member of a table with this key, or NULL. */
struct vb_node *vb_node_get(const struct vb_node *table, const char *key);

/* Makes member (which has a key) the table's member of its key: replaces
 * the one with that key, else appends. Takes ownership (member is freed on
 * error). Returns 0 or -ENOMEM. */
int vb_node_put(struct vb_node *table, struct vb_node *member);

/* A deep copy, locations and all (they point at the same file names, so
 * the copy must not outlive the original's root). NULL: out of memory. */
struct vb_node *vb_node_clone(const struct vb_node *node);

/* Structural equality ignoring locations (the .conf/.yaml twin test). */
bool vb_node_equal(const struct vb_node *a, const struct vb_node *b);

/* Front ends. `name` is the file name used in locations and messages.
 * Syntax errors are added to diags with their location; the return value
 * is the tree, or NULL when the text could not be parsed (diags then holds
 * at least one error). The buffer functions exist for fuzzing and tests;
 * text need not be NUL-terminated. */
struct vb_node *vb_parse_conf_buffer(const char *name, const char *text, size_t len,
				     struct vb_diags *diags);
struct vb_node *vb_parse_yaml_buffer(const char *name, const char *text, size_t len,
				     struct vb_diags *diags);

enum vb_format { VB_FORMAT_AUTO, VB_FORMAT_CONF, VB_FORMAT_YAML };

/* Picks the format from the extension (.conf, .yaml, .yml) unless forced,
 * reads the file and parses it. Unknown extension with AUTO is an error. */
struct vb_node *vb_parse_file(const char *path, enum vb_format format,
			      struct vb_diags *diags);

#endif
