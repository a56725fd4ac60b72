/* Layers of one machine, merged into the one tree the schema checks.
 *
 * A machine is described by layers of the same key/value tree
 * (parse/node.h), in order: the machine file's (or an empty table when
 * there is no file), then the command line's (cli/options.h turns
 * kvmtool-style flags into such a tree, every node located at its flag:
 * "--cpus"). Like an association list read from its end, a later layer
 * shadows an earlier one, key by key, by what the schema (schema.h) says
 * the key is:
 *   - a plain key (cpus, kernel, tty ...): the later value replaces the
 *     earlier one;
 *   - a section (VB_KEY_TABLE: debug): merged member by member, the same
 *     rule one level down (--debug-ioport keeps the file's iodelay);
 *   - the device list (VB_KEY_DEVICES): appended (--disk adds a disk, it
 *     never replaces the file's);
 * and a key whose two values are not of the kind the schema wants (a
 * section written as a number) is replaced, so the schema reports the
 * later, overriding value. Copied nodes keep their locations: a
 * diagnostic about a flag's value points at the flag ("--cpus: error:
 * ..."), one about the file's at its line.
 *
 * After the merge the zero-config default (zeroconf/zeroconf.h) fills in
 * what no layer named, and vb_desc_from_tree() (schema.h) checks the
 * result: see load() in cli/cli.c for the whole pipeline.
 *
 * Return convention: 0 or -errno. */
#ifndef VB_PARSE_MERGE_H
#define VB_PARSE_MERGE_H

#include "parse/node.h"

/* Merges a copy of layer (a table) into base (a table) by the rules
 * above; layer is not changed. Returns 0, -EINVAL when either is not a
 * table, or -ENOMEM (base may then hold part of the layer: free it). */
int vb_layer_merge(struct vb_node *base, const struct vb_node *layer);

#endif
