/* The machine file as a JSON Schema (draft 2020-12), for editors and
 * scripts: `vmboot schema`, installed as $(datadir)/vmboot/machine.schema.json.
 *
 * Generated from the key tables of parse/schema.h and the device types'
 * descriptors (parse/devtype.h), the ones --check uses, so it cannot
 * drift from them: each key's JSON type, default, range,
 * enum and one-line description (the table's help); unknown keys refused
 * (additionalProperties false) at the top level, in debug and in each
 * device; `devices` items a oneOf over one object schema per device type,
 * told apart by "type": {"const": ...}. A YAML machine file loaded with
 * the YAML 1.2 core schema (as vmboot reads it) is the JSON instance.
 *
 * The schema is necessary, not sufficient: rules across keys (unique ids,
 * one balloon, a power-of-two shmem size, tap names ...) are --check's
 * alone. A top-level key the table marks required is not required of the
 * file when the zero-config default fills it in (kernel: vmboot(1)). */
#ifndef VB_PARSE_SCHEMA_JSON_H
#define VB_PARSE_SCHEMA_JSON_H

#include <stddef.h>
#include <stdio.h>

/* The schema's "$id": a name, not a place (editors find the file through
 * the path in `# yaml-language-server: $schema=PATH` or their settings). */
#define VB_SCHEMA_JSON_ID "urn:vmboot:machine-file"

struct vb_device_type;

/* Writes the schema to out (util/json.h's writer, pretty-printed: people
 * read the installed file), offering the device types given (the
 * registry, machine/registry.h: parse sits below the devices and is handed
 * the list, parse/devtype.h). Returns 0, or -EIO when writing failed. */
int vb_schema_write_json(FILE *out, const struct vb_device_type *const *types, size_t n_types);

#endif
