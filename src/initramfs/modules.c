#include "initramfs/modules.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kcheck/extract.h"

/* modules.dep and modules.builtin are a few hundred KiB; cap what we read. */
#define MAX_INDEX_BYTES (64ULL << 20)

int vb_module_name(const char *path, char *buf, size_t size)
{
	static const char *const suffixes[] = { ".ko.xz", ".ko.zst", ".ko.gz", ".ko" };
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	size_t n = strlen(base);
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		size_t s = strlen(suffixes[i]);
		if (n > s && !strcmp(base + n - s, suffixes[i])) {
			n -= s;
			break;
		}
	}
	if (n + 1 > size)
		return -ENAMETOOLONG;
	for (size_t i = 0; i < n; i++)
		buf[i] = base[i] == '-' ? '_' : base[i];
	buf[n] = 0;
	return 0;
}

/* One line of modules.dep, split in place in a private copy of the text. */
struct dep_line {
	char *path;
	char name[64];
	char **deps;
	size_t n_deps;
	enum { UNSEEN, VISITING, DONE } mark;
};

struct index {
	char *text;
	struct dep_line *lines;
	size_t count;
};

static void index_free(struct index *ix)
{
	for (size_t i = 0; i < ix->count; i++)
		free(ix->lines[i].deps);
	free(ix->lines);
	free(ix->text);
}

static char *next_word(char **p)
{
	char *s = *p + strspn(*p, " \t\r");
	if (!*s)
		return NULL;
	char *e = s + strcspn(s, " \t\r");
	*p = *e ? e + 1 : e;
	*e = 0;
	return s;
}

static int parse_line(char *line, size_t lineno, struct dep_line *out, struct vb_err *err)
{
	char *colon = strchr(line, ':');
	if (!colon)
		return vb_err_set(err, EINVAL, "modules.dep:%zu: no ':' after the module path",
				  lineno);
	*colon = 0;
	char *rest = colon + 1;
	memset(out, 0, sizeof(*out));
	out->path = line;
	if (vb_module_name(line, out->name, sizeof(out->name)))
		return vb_err_set(err, EINVAL, "modules.dep:%zu: module name too long", lineno);
	size_t cap = 0;
	for (char *w; (w = next_word(&rest));) {
		if (out->n_deps == cap) {
			cap = cap ? cap * 2 : 4;
			char **d = realloc(out->deps, cap * sizeof(*d));
			if (!d)
				return -ENOMEM;
			out->deps = d;
		}
		out->deps[out->n_deps++] = w;
	}
	return 0;
}

static int index_parse(const char *dep, size_t len, struct index *ix, struct vb_err *err)
{
	memset(ix, 0, sizeof(*ix));
	ix->text = strndup(dep, len);
	if (!ix->text)
		return -ENOMEM;
	size_t cap = 0, lineno = 0;
	for (char *p = ix->text, *nl; p && *p; p = nl ? nl + 1 : NULL) {
		nl = strchr(p, '\n');
		if (nl)
			*nl = 0;
		lineno++;
		if (!p[strspn(p, " \t\r")] || p[0] == '#')
			continue;
		if (ix->count == cap) {
			cap = cap ? cap * 2 : 256;
			struct dep_line *l = realloc(ix->lines, cap * sizeof(*l));
			if (!l)
				return -ENOMEM;
			ix->lines = l;
		}
		memset(&ix->lines[ix->count], 0, sizeof(ix->lines[0]));
		int rc = parse_line(p, lineno, &ix->lines[ix->count], err);
		ix->count++;
		if (rc)
			return rc;
	}
	return 0;
}

static struct dep_line *by_name(struct index *ix, const char *name)
{
	for (size_t i = 0; i < ix->count; i++)
		if (!strcmp(ix->lines[i].name, name))
			return &ix->lines[i];
	return NULL;
}

static struct dep_line *by_path(struct index *ix, const char *path)
{
	for (size_t i = 0; i < ix->count; i++)
		if (!strcmp(ix->lines[i].path, path))
			return &ix->lines[i];
	return NULL;
}

static int push_name(char ***list, size_t *n, const char *name)
{
	char **l = realloc(*list, (*n + 1) * sizeof(*l));
	if (!l)
		return -ENOMEM;
	*list = l;
	if (!(l[*n] = strdup(name)))
		return -ENOMEM;
	(*n)++;
	return 0;
}

static int push_module(struct vb_modlist *out, const struct dep_line *m)
{
	struct vb_module *items = realloc(out->items, (out->count + 1) * sizeof(*items));
	if (!items)
		return -ENOMEM;
	out->items = items;
	struct vb_module *it = &items[out->count];
	it->name = strdup(m->name);
	it->path = strdup(m->path);
	if (!it->name || !it->path) {
		free(it->name);
		free(it->path);
		return -ENOMEM;
	}
	out->count++;
	return 0;
}

/* Depth-first: everything m needs, then m. depmod lists dependencies
 * transitively, so depth stays small; a cycle (a corrupt index) is caught
 * by the VISITING mark rather than recursing forever. */
static int visit(struct index *ix, struct dep_line *m, struct vb_modlist *out,
		 struct vb_err *err)
{
	if (m->mark == DONE)
		return 0;
	if (m->mark == VISITING)
		return vb_err_set(err, EINVAL, "modules.dep: dependency cycle through %s", m->path);
	m->mark = VISITING;
	/* modprobe loads the listed dependencies last to first. */
	for (size_t i = m->n_deps; i-- > 0;) {
		struct dep_line *d = by_path(ix, m->deps[i]);
		if (!d)
			return vb_err_set(err, EINVAL, "modules.dep: %s needs %s, which has no line",
					  m->path, m->deps[i]);
		int rc = visit(ix, d, out, err);
		if (rc)
			return rc;
	}
	m->mark = DONE;
	return push_module(out, m);
}

static bool is_builtin(const char *builtin, size_t len, const char *name)
{
	char word[64];
	const char *p = builtin, *end = builtin ? builtin + len : NULL;
	while (p && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((nl ? nl : end) - p);
		char line[512];
		if (n < sizeof(line)) {
			memcpy(line, p, n);
			line[n] = 0;
			if (!vb_module_name(line, word, sizeof(word)) && !strcmp(word, name))
				return true;
		}
		p = nl ? nl + 1 : end;
	}
	return false;
}

int vb_modules_resolve_text(const char *dep, size_t dep_len, const char *builtin,
			    size_t builtin_len, const char *const *wanted, size_t n_wanted,
			    struct vb_modlist *out, struct vb_err *err)
{
	struct index ix;
	memset(out, 0, sizeof(*out));
	int rc = index_parse(dep, dep_len, &ix, err);
	for (size_t i = 0; !rc && i < n_wanted; i++) {
		char name[64];
		if (vb_module_name(wanted[i], name, sizeof(name))) {
			rc = vb_err_set(err, EINVAL, "module name \"%s\" too long", wanted[i]);
			break;
		}
		struct dep_line *m = by_name(&ix, name);
		if (m)
			rc = visit(&ix, m, out, err);
		else if (is_builtin(builtin, builtin_len, name))
			rc = push_name(&out->builtin, &out->n_builtin, name);
		else
			rc = push_name(&out->missing, &out->n_missing, name);
	}
	if (rc == -ENOMEM)
		vb_err_set(err, ENOMEM, "resolving modules: out of memory");
	index_free(&ix);
	return rc;
}

int vb_modules_resolve(const char *dir, const char *const *wanted, size_t n_wanted,
		       struct vb_modlist *out, struct vb_err *err)
{
	char path[4096];
	uint8_t *dep = NULL, *builtin = NULL;
	size_t dep_len, builtin_len = 0;
	memset(out, 0, sizeof(*out));
	snprintf(path, sizeof(path), "%s/modules.dep", dir);
	int rc = vb_kcheck_read_file(path, MAX_INDEX_BYTES, &dep, &dep_len, err);
	if (rc)
		return rc;
	snprintf(path, sizeof(path), "%s/modules.builtin", dir);
	if (vb_kcheck_read_file(path, MAX_INDEX_BYTES, &builtin, &builtin_len, NULL))
		builtin = NULL;
	rc = vb_modules_resolve_text((const char *)dep, dep_len, (const char *)builtin,
				     builtin_len, wanted, n_wanted, out, err);
	if (rc)
		vb_err_prefix(err, "%s", dir);
	free(dep);
	free(builtin);
	return rc;
}

void vb_modlist_free(struct vb_modlist *l)
{
	for (size_t i = 0; i < l->count; i++) {
		free(l->items[i].name);
		free(l->items[i].path);
	}
	for (size_t i = 0; i < l->n_builtin; i++)
		free(l->builtin[i]);
	for (size_t i = 0; i < l->n_missing; i++)
		free(l->missing[i]);
	free(l->items);
	free(l->builtin);
	free(l->missing);
	memset(l, 0, sizeof(*l));
}
