#include "zeroconf/zeroconf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guestinit/ginit.h"

/* RFC 4648 section 4: the standard alphabet, '=' padding. */
static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void base64(const uint8_t *in, size_t len, char *out)
{
	size_t o = 0;
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < len)
			v |= in[i + 2];
		out[o++] = b64[(v >> 18) & 63];
		out[o++] = b64[(v >> 12) & 63];
		out[o++] = i + 1 < len ? b64[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < len ? b64[v & 63] : '=';
	}
	out[o] = 0;
}

int vb_zeroconf_encode_cmd(const char *const *argv, size_t argc, char **param,
			   struct vb_err *err)
{
	*param = NULL;
	if (!argc)
		return vb_err_set(err, EINVAL, "--: no command after it");
	if (argc > VB_GINIT_MAX_ARGS)
		return vb_err_set(err, E2BIG, "--: %zu arguments, the guest's init takes at most %d",
				  argc, VB_GINIT_MAX_ARGS);
	size_t raw_len = 0;
	for (size_t i = 0; i < argc; i++) {
		raw_len += strlen(argv[i]) + 1;
		if (raw_len > VB_GINIT_MAX_CMD_BYTES)
			return vb_err_set(err, E2BIG, "--: the command is longer than the %d bytes the guest's init takes",
					  VB_GINIT_MAX_CMD_BYTES);
	}
	uint8_t *raw = malloc(raw_len);
	size_t plen = strlen(VB_GINIT_CMD_PARAM);
	char *out = raw ? malloc(plen + (raw_len + 2) / 3 * 4 + 1) : NULL;
	if (!out) {
		free(raw);
		return vb_err_set(err, ENOMEM, "--: out of memory");
	}
	size_t at = 0;
	for (size_t i = 0; i < argc; i++) {
		size_t n = strlen(argv[i]) + 1; /* with its NUL: the argument separator */
		memcpy(raw + at, argv[i], n);
		at += n;
	}
	memcpy(out, VB_GINIT_CMD_PARAM, plen);
	base64(raw, raw_len, out + plen);
	free(raw);
	*param = out;
	return 0;
}

/* ---- the machine tree ---- */

static const struct vb_loc default_loc = { "zero-config default", 0, 0 };

static struct vb_node *new_member(enum vb_node_kind kind, const char *key)
{
	struct vb_node *n = vb_node_new(kind, default_loc);
	if (n && key && vb_node_set_key(n, key, default_loc)) {
		vb_node_free(n);
		return NULL;
	}
	return n;
}

static int add_string(struct vb_node *table, const char *key, const char *value)
{
	struct vb_node *n = new_member(VB_NODE_STRING, key);
	if (!n || vb_node_set_string(n, value, strlen(value))) {
		vb_node_free(n);
		return -ENOMEM;
	}
	return vb_node_append(table, n);
}

static bool has_host_share(const struct vb_node *devices)
{
	for (size_t i = 0; devices && i < devices->n_items; i++) {
		const struct vb_node *tag = vb_node_get(devices->items[i], "tag");
		if (tag && tag->kind == VB_NODE_STRING && tag->string &&
		    !strcmp(tag->string, VB_ZEROCONF_HOST_TAG))
			return true;
	}
	return false;
}

/* devices += { type = "9p"; path = "/"; tag = "hostroot"; readonly = true; } */
static int add_host_share(struct vb_node *root)
{
	struct vb_node *devices = vb_node_get(root, "devices");
	if (devices && devices->kind != VB_NODE_LIST)
		return 0; /* the schema reports the file's mistake */
	if (has_host_share(devices))
		return 0;
	if (!devices) {
		devices = new_member(VB_NODE_LIST, "devices");
		if (!devices || vb_node_append(root, devices))
			return -ENOMEM;
	}
	struct vb_node *dev = new_member(VB_NODE_TABLE, NULL);
	struct vb_node *ro = new_member(VB_NODE_BOOL, "readonly");
	if (!dev || !ro) {
		vb_node_free(dev);
		vb_node_free(ro);
		return -ENOMEM;
	}
	ro->boolean = true;
	if (vb_node_append(devices, dev)) {
		vb_node_free(ro);
		return -ENOMEM;
	}
	if (add_string(dev, "type", "9p") || add_string(dev, "path", "/") ||
	    add_string(dev, "tag", VB_ZEROCONF_HOST_TAG) || vb_node_append(dev, ro))
		return -ENOMEM;
	return 1;
}

/* params = FILE'S PARAMS + " quiet vmboot.cmd=...": quiet keeps the kernel's
 * boot messages out of the command's output (errors still show). */
static int add_command(struct vb_node *root, const struct vb_zeroconf_request *req,
		       struct vb_err *err)
{
	char *param;
	int rc = vb_zeroconf_encode_cmd(req->argv, req->argc, &param, err);
	if (rc)
		return rc;
	struct vb_node *params = vb_node_get(root, "params");
	const char *old = params && params->kind == VB_NODE_STRING && params->string
				  ? params->string : "";
	size_t len = strlen(old) + strlen(param) + 16;
	char *text = malloc(len);
	if (text)
		snprintf(text, len, "%s%squiet %s", old, old[0] ? " " : "", param);
	free(param);
	if (!text)
		return vb_err_set(err, ENOMEM, "out of memory");
	if (params && params->kind == VB_NODE_STRING)
		rc = vb_node_set_string(params, text, strlen(text));
	else if (!params)
		rc = add_string(root, "params", text);
	free(text);
	return rc ? vb_err_set(err, ENOMEM, "out of memory") : 0;
}

bool vb_zeroconf_wanted(const struct vb_node *root)
{
	return root && !vb_node_get(root, "kernel");
}

int vb_zeroconf_apply(struct vb_node *root, const struct vb_zeroconf_request *req,
		      struct vb_zeroconf_plan *plan, struct vb_err *err)
{
	memset(plan, 0, sizeof(*plan));
	bool has_initrd = vb_node_get(root, "initrd") != NULL;
	if (!vb_zeroconf_wanted(root) || has_initrd) {
		if (req->argc)
			return vb_err_set(err, EINVAL,
					  "-- COMMAND runs in vmboot's own initramfs, so it needs a machine without %s",
					  has_initrd ? "an initrd" : "a kernel");
		if (!vb_zeroconf_wanted(root))
			return 0;
	}
	if (add_string(root, "kernel", req->kernel_path))
		return vb_err_set(err, ENOMEM, "out of memory");
	plan->host_kernel = true;
	if (has_initrd)
		return 0;
	plan->initramfs = true;
	if (req->share_host) {
		int rc = add_host_share(root);
		if (rc < 0)
			return vb_err_set(err, ENOMEM, "out of memory");
		plan->shared_host = rc > 0;
	}
	return req->argc ? add_command(root, req, err) : 0;
}
