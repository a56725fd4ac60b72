/* virtio-9p end to end: 9P2000.L messages travel through a virtqueue the
 * way the Linux driver posts them (T-message readable, R-message
 * writable, either split over several descriptors), under both
 * transports; and the hostile chains: no reply buffer, a reply buffer too
 * small for an Rlerror, a request too short or claiming more bytes than
 * it has. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "driver.h"
#include "machine/machine.h"
#include "machine/registry.h"
#include "parse/node.h"
#include "parse/schema.h"
#include "ninep/wire.h"
#include "parse/desc.h"
#include "virtio/9p.h"
#include "virtio/blk.h"
#include "virtio/virtq.h"

#define QUEUE_GPA 0x10000ULL
#define REQ_GPA 0x40000ULL
#define RESP_GPA 0x80000ULL
#define MMIO_BASE VB_GAP_START_BYTES
#define MMIO_GSI 16u
#define FILE_BYTES 10000u
#define QSIZE 16

static const uint64_t base_features = 1ULL << VB_VIRTIO_F_VERSION_1;

struct fixture {
	struct vt_env env;
	struct vt_drv drv;
	struct vb_device_desc desc;
	char dir[64];
	char path[128];
	uint8_t content[FILE_BYTES];
	uint8_t msg[4096];
	uint16_t next_head;
	/* The last reply. */
	uint8_t rtype;
	struct vb_9p_in r;
	uint8_t reply[FILE_BYTES + 64];
	uint32_t reply_len;
};

static void make_share(struct fixture *f)
{
	snprintf(f->dir, sizeof(f->dir), "/tmp/vb-test-9p-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/hello.txt", f->dir);
	for (size_t i = 0; i < FILE_BYTES; i++)
		f->content[i] = (uint8_t)(i * 7 + 3);
	int fd = open(f->path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, f->content, FILE_BYTES), FILE_BYTES);
	close(fd);
}

/* A 9p share, or (type disk) a directory root disk served by 9p. */
static int setup(void **state, bool pci, const struct vb_device_type *type, bool readonly)
{
	struct fixture *f = VT_FIXTURE_NEW(struct fixture);
	if (!f)
		return -1;
	make_share(f);
	assert_int_equal(vb_device_desc_init(&f->desc, type), 0);
	assert_int_equal(vb_device_set_string(&f->desc, "path", f->dir), 0);
	if (type == &vb_virtio_9p_type)
		assert_int_equal(vb_device_set_string(&f->desc, "tag", "hostshare"), 0);
	assert_int_equal(vb_device_set_bool(&f->desc, "readonly", readonly), 0);
	struct vb_virtio_placement p = {
		.name = "share0", .desc = &f->desc,
		.transport = pci ? VB_VIRTIO_PCI : VB_VIRTIO_MMIO,
		.pci_slot = 1, .mmio_base = MMIO_BASE, .mmio_bytes = 0x1000, .gsi = MMIO_GSI,
	};
	assert_int_equal(vt_env_attach(&f->env, "9p", &p), 0);
	assert_int_equal(vt_drv_open_either(&f->drv, &f->env, pci, 1, MMIO_BASE, MMIO_GSI), 0);
	*state = f;
	return 0;
}

static int setup_mmio(void **state) { return setup(state, false, &vb_virtio_9p_type, false); }
static int setup_pci(void **state) { return setup(state, true, &vb_virtio_9p_type, false); }
static int setup_ro(void **state) { return setup(state, false, &vb_virtio_9p_type, true); }
static int setup_root(void **state) { return setup(state, true, &vb_virtio_blk_type, false); }

static int teardown(void **state)
{
	struct fixture *f = *state;
	vt_env_fini(&f->env);
	vb_device_desc_free(&f->desc);
	unlink(f->path);
	char other[160];
	snprintf(other, sizeof(other), "%s/new.txt", f->dir);
	unlink(other);
	rmdir(f->dir);
	free(f);
	return 0;
}

static void start(struct fixture *f)
{
	uint64_t offered = vt_drv_device_features(&f->drv);
	assert_true(offered & 1ULL << VB_VIRTIO_9P_F_MOUNT_TAG);
	uint8_t s = vt_drv_negotiate(&f->drv, base_features | 1ULL << VB_VIRTIO_9P_F_MOUNT_TAG);
	assert_true(s & VB_VIRTIO_S_FEATURES_OK);
	vt_drv_queue(&f->drv, 0, QSIZE, QUEUE_GPA);
	assert_true(vt_drv_queue_ready(&f->drv, 0));
	vt_drv_set_status(&f->drv, s | VB_VIRTIO_S_DRIVER_OK);
	assert_true(vt_drv_status(&f->drv) & VB_VIRTIO_S_DRIVER_OK);
	f->next_head = 0;
}

/* Post one chain: the request split at req_split (0: one descriptor), the
 * reply buffer of resp_bytes split in two when split_resp. Returns true
 * when the device used it, with the reply parsed into f->r. */
static bool post(struct fixture *f, const uint8_t *req, uint32_t req_len, uint32_t req_split,
		 uint32_t resp_bytes, bool split_resp)
{
	if (req_len)
		memcpy(vt_gpa(&f->env, REQ_GPA), req, req_len);
	memset(vt_gpa(&f->env, RESP_GPA), 0xEE, sizeof(f->reply));
	uint16_t h = f->next_head;
	uint16_t i = h;
	uint16_t F_NEXT = VB_VIRTQ_DESC_F_NEXT, F_W = VB_VIRTQ_DESC_F_WRITE;
	bool has_resp = resp_bytes > 0;
	if (req_len) {
		if (req_split && req_split < req_len) {
			vt_desc(&f->drv, i, REQ_GPA, req_split, F_NEXT, (uint16_t)(i + 1));
			i++;
			vt_desc(&f->drv, i, REQ_GPA + req_split, req_len - req_split,
				has_resp ? F_NEXT : 0, (uint16_t)(i + 1));
		} else {
			vt_desc(&f->drv, i, REQ_GPA, req_len, has_resp ? F_NEXT : 0, (uint16_t)(i + 1));
		}
		i++;
	}
	if (has_resp) {
		if (split_resp && resp_bytes > 16) {
			vt_desc(&f->drv, i, RESP_GPA, 16, F_W | F_NEXT, (uint16_t)(i + 1));
			i++;
			vt_desc(&f->drv, i, RESP_GPA + 16, resp_bytes - 16, F_W, 0);
		} else {
			vt_desc(&f->drv, i, RESP_GPA, resp_bytes, F_W, 0);
		}
		i++;
	}
	/* Requests complete one at a time: the same descriptors serve again. */
	f->next_head = 0;
	vt_avail_push(&f->drv, h);
	vt_drv_notify(&f->drv, 0);
	uint32_t id, len;
	if (!vt_used_next(&f->drv, &id, &len))
		return false;
	assert_int_equal(id, h);
	assert_true(len <= resp_bytes);
	f->reply_len = len;
	memcpy(f->reply, vt_gpa(&f->env, RESP_GPA), len);
	struct vb_9p_header hdr;
	assert_int_equal(vb_9p_header_parse(f->reply, len, len, &hdr, &f->r), 0);
	assert_int_equal(hdr.size, len);
	f->rtype = hdr.type;
	/* Nothing written past the reply. */
	assert_int_equal(vt_gpa(&f->env, RESP_GPA)[len], 0xEE);
	return true;
}

static void put_s(struct vb_9p_out *o, const char *s)
{
	vb_9p_put_str(o, s, strlen(s));
}

/* Send the message built in o; 0 for the expected R type, -ecode for an
 * Rlerror. */
static int send(struct fixture *f, struct vb_9p_out *o, uint8_t type, uint32_t split)
{
	int len = vb_9p_out_finish(o, type, 1);
	assert_true(len > 0);
	assert_true(post(f, f->msg, (uint32_t)len, split, sizeof(f->reply), true));
	if (f->rtype == VB_9P_RLERROR)
		return -(int)vb_9p_get_u32(&f->r);
	assert_int_equal(f->rtype, type + 1);
	return 0;
}

static int t_version(struct fixture *f, uint32_t msize)
{
	struct vb_9p_out o;
	vb_9p_out_init(&o, f->msg, sizeof(f->msg));
	vb_9p_put_u32(&o, msize);
	put_s(&o, "9P2000.L");
	return send(f, &o, VB_9P_TVERSION, 5);
}

static int t_attach(struct fixture *f, uint32_t fid)
{
	struct vb_9p_out o;
	vb_9p_out_init(&o, f->msg, sizeof(f->msg));
	vb_9p_put_u32(&o, fid);
	vb_9p_put_u32(&o, VB_9P_NOFID);
	put_s(&o, "root");
	put_s(&o, "");
	vb_9p_put_u32(&o, 0);
	return send(f, &o, VB_9P_TATTACH, 0);
}

static int t_walk1(struct fixture *f, uint32_t fid, uint32_t newfid, const char *name)
{
	struct vb_9p_out o;
	vb_9p_out_init(&o, f->msg, sizeof(f->msg));
	vb_9p_put_u32(&o, fid);
	vb_9p_put_u32(&o, newfid);
	vb_9p_put_u16(&o, 1);
	put_s(&o, name);
	return send(f, &o, VB_9P_TWALK, 9);
}

static int t_lopen(struct fixture *f, uint32_t fid, uint32_t flags)
{
	struct vb_9p_out o;
	vb_9p_out_init(&o, f->msg, sizeof(f->msg));
	vb_9p_put_u32(&o, fid);
	vb_9p_put_u32(&o, flags);
	return send(f, &o, VB_9P_TLOPEN, 0);
}

static int t_read(struct fixture *f, uint32_t fid, uint64_t off, uint32_t count)
{
	struct vb_9p_out o;
	vb_9p_out_init(&o, f->msg, sizeof(f->msg));
	vb_9p_put_u32(&o, fid);
	vb_9p_put_u64(&o, off);
	vb_9p_put_u32(&o, count);
	return send(f, &o, VB_9P_TREAD, 3);
}

static int t_lcreate(struct fixture *f, uint32_t fid, const char *name)
{
	struct vb_9p_out o;
	vb_9p_out_init(&o, f->msg, sizeof(f->msg));
	vb_9p_put_u32(&o, fid);
	put_s(&o, name);
	vb_9p_put_u32(&o, O_WRONLY | O_CREAT);
	vb_9p_put_u32(&o, 0644);
	vb_9p_put_u32(&o, 0);
	return send(f, &o, VB_9P_TLCREATE, 0);
}

static char cfg_byte(struct fixture *f, uint32_t off)
{
	uint64_t at = f->drv.pci ? f->drv.device : MMIO_BASE + 0x100;
	uint8_t b = 0;
	vb_bus_dispatch(&f->env.mmio, at + off, &b, 1, false);
	return (char)b;
}

static void expect_tag(struct fixture *f, const char *tag)
{
	size_t n = strlen(tag);
	assert_int_equal((uint8_t)cfg_byte(f, 0) | (uint8_t)cfg_byte(f, 1) << 8, n);
	char got[64] = "";
	for (uint32_t i = 0; i < n; i++)
		got[i] = cfg_byte(f, 2 + i);
	assert_string_equal(got, tag);
}

/* Version, attach, walk, open, read the whole file back. */
static void round_trip(struct fixture *f)
{
	start(f);
	assert_int_equal(t_version(f, 64 * 1024), 0);
	assert_int_equal(vb_9p_get_u32(&f->r), 64 * 1024);
	assert_int_equal(t_attach(f, 1), 0);
	assert_int_equal(t_walk1(f, 1, 2, "hello.txt"), 0);
	assert_int_equal(vb_9p_get_u16(&f->r), 1);
	assert_int_equal(t_walk1(f, 1, 3, "missing"), -ENOENT);
	assert_int_equal(t_walk1(f, 1, 3, ".."), -EINVAL);
	assert_int_equal(t_lopen(f, 2, O_RDONLY), 0);
	assert_int_equal(t_read(f, 2, 0, FILE_BYTES + 100), 0);
	uint32_t count = vb_9p_get_u32(&f->r);
	assert_int_equal(count, FILE_BYTES);
	const uint8_t *data = vb_9p_get_bytes(&f->r, count);
	assert_non_null(data);
	assert_memory_equal(data, f->content, FILE_BYTES);
	/* Several requests and interrupts went through, no violation. */
	assert_true(vt_drv_line(&f->drv));
	assert_int_equal(vt_drv_isr(&f->drv), VB_VIRTIO_ISR_QUEUE);
	assert_false(vt_drv_status(&f->drv) & VB_VIRTIO_S_NEEDS_RESET);
	assert_int_equal(f->env.log_lines, 0);
}

static void test_round_trip(void **state)
{
	struct fixture *f = *state;
	expect_tag(f, "hostshare");
	round_trip(f);
	/* Writes reach the host directory. */
	assert_int_equal(t_lcreate(f, 1, "new.txt"), 0);
	char other[160];
	snprintf(other, sizeof(other), "%s/new.txt", f->dir);
	assert_int_equal(access(other, F_OK), 0);
}

static void test_readonly(void **state)
{
	struct fixture *f = *state;
	round_trip(f);
	assert_int_equal(t_lcreate(f, 1, "new.txt"), -EROFS);
	char other[160];
	snprintf(other, sizeof(other), "%s/new.txt", f->dir);
	assert_int_equal(access(other, F_OK), -1);
}

static void test_root_disk_tag(void **state)
{
	struct fixture *f = *state;
	expect_tag(f, VB_VIRTIO_9P_ROOT_TAG);
	round_trip(f);
}

/* Malformed messages get an Rlerror and the device keeps going. */
static void test_bad_messages(void **state)
{
	struct fixture *f = *state;
	start(f);
	static const uint8_t short_msg[3] = { 3, 0, 0 };
	assert_true(post(f, short_msg, sizeof(short_msg), 0, 64, false));
	assert_int_equal(f->rtype, VB_9P_RLERROR);
	assert_int_equal(vb_9p_get_u32(&f->r), EPROTO);

	/* A size field claiming more than arrived. */
	uint8_t lying[16] = { 0xff, 0xff, 0x0f, 0, VB_9P_TVERSION, 1, 0 };
	assert_true(post(f, lying, sizeof(lying), 0, 64, false));
	assert_int_equal(f->rtype, VB_9P_RLERROR);
	assert_int_equal(vb_9p_get_u32(&f->r), EMSGSIZE);

	/* A readable buffer longer than the message: the size field wins. */
	struct vb_9p_out o;
	vb_9p_out_init(&o, f->msg, sizeof(f->msg));
	vb_9p_put_u32(&o, 8192);
	put_s(&o, "9P2000.L");
	int len = vb_9p_out_finish(&o, VB_9P_TVERSION, 1);
	assert_true(post(f, f->msg, (uint32_t)len + 40, 0, 64, false));
	assert_int_equal(f->rtype, VB_9P_TVERSION + 1);

	/* An unknown fid, and a reply buffer that only holds an Rlerror. */
	assert_int_equal(t_lopen(f, 77, O_RDONLY), -EBADF);
	vb_9p_out_init(&o, f->msg, sizeof(f->msg));
	vb_9p_put_u32(&o, 8192);
	put_s(&o, "9P2000.L");
	len = vb_9p_out_finish(&o, VB_9P_TVERSION, 1);
	assert_true(post(f, f->msg, (uint32_t)len, 0, VB_9P_RLERROR_BYTES, false));
	assert_int_equal(f->rtype, VB_9P_RLERROR);
	assert_false(vt_drv_status(&f->drv) & VB_VIRTIO_S_NEEDS_RESET);
	assert_int_equal(f->env.log_lines, 0);
}

static void expect_needs_reset(struct fixture *f)
{
	assert_true(vt_drv_status(&f->drv) & VB_VIRTIO_S_NEEDS_RESET);
	assert_true(vt_drv_isr(&f->drv) & VB_VIRTIO_ISR_CONFIG);
	assert_true(f->env.log_lines >= 1);
	assert_non_null(strstr(f->env.last_log, "share0"));
	/* A reset brings it back. */
	f->env.log_lines = 0;
	round_trip(f);
}

static void test_no_reply_buffer(void **state)
{
	struct fixture *f = *state;
	start(f);
	static const uint8_t msg[7] = { 7, 0, 0, 0, VB_9P_TVERSION, 1, 0 };
	assert_false(post(f, msg, sizeof(msg), 0, 0, false));
	expect_needs_reset(f);
}

static void test_tiny_reply_buffer(void **state)
{
	struct fixture *f = *state;
	start(f);
	static const uint8_t msg[7] = { 7, 0, 0, 0, VB_9P_TVERSION, 1, 0 };
	assert_false(post(f, msg, sizeof(msg), 0, VB_9P_RLERROR_BYTES - 1, false));
	expect_needs_reset(f);
}

static void test_no_request(void **state)
{
	struct fixture *f = *state;
	start(f);
	assert_false(post(f, NULL, 0, 0, 64, false));
	expect_needs_reset(f);
}

/* Attach refuses what cannot be served, naming the device. */
static void test_attach_errors(void **state)
{
	(void)state;
	struct vt_env *e = calloc(1, sizeof(*e));
	assert_non_null(e);
	if (vt_env_init(e) < 0) {
		free(e);
		skip();
	}
	struct vb_device_desc d;
	assert_int_equal(vb_device_desc_init(&d, &vb_virtio_9p_type), 0);
	assert_int_equal(vb_device_set_string(&d, "path", "/nonexistent/vb-9p"), 0);
	assert_int_equal(vb_device_set_string(&d, "tag", "t"), 0);
	struct vb_virtio_placement p = {
		.name = "bad0", .desc = &d, .transport = VB_VIRTIO_PCI, .pci_slot = 2,
	};
	const struct vb_device_ops *ops = vb_device_find("9p");
	assert_non_null(ops);
	struct vb_err err;
	assert_true(vb_dev_set_attach(&e->devices, &e->env, ops, &p, &err) < 0);
	assert_non_null(strstr(err.msg, "bad0"));
	assert_non_null(strstr(err.msg, "/nonexistent/vb-9p"));
	assert_int_equal(vb_device_set_string(&d, "path", "/"), 0);
	assert_int_equal(vb_device_set_string(&d, "tag", "a-tag-that-is-much-longer-than-31-bytes"), 0);
	assert_int_equal(vb_dev_set_attach(&e->devices, &e->env, ops, &p, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "tag"));
	vb_device_desc_free(&d);
	assert_int_equal(vb_device_desc_init(&d, &vb_virtio_9p_type), 0);
	assert_int_equal(vb_device_set_string(&d, "path", "/"), 0);
	assert_int_equal(vb_dev_set_attach(&e->devices, &e->env, ops, &p, &err), -EINVAL);
	assert_int_equal(vb_dev_set_attach(&e->devices, &e->env, ops, NULL, &err), -EINVAL);
	vb_device_desc_free(&d);
	vt_env_fini(e);
	free(e);
}

/* resolve: a disk whose path is a directory is the 9p root, named on the
 * command line (before the user's params, which may override it). */
static char *plan_cmdline(const char *conf, bool *dir_root, struct vb_diags *diags, int *rc)
{
	struct vb_host_facts host = { .ram_bytes = 8ULL << 30, .cpus = 2 };
	struct vb_machine_desc desc;
	struct vb_machine_graph g;
	vb_desc_init(&desc);
	struct vb_node *root = vb_parse_conf_buffer("m.conf", conf, strlen(conf), diags);
	assert_non_null(root);
	size_t errors = diags->errors;
	size_t n_types;
	const struct vb_device_type *const *types = vb_device_types(&n_types);
	assert_int_equal(vb_desc_from_tree(root, types, n_types, &desc, diags), 0);
	vb_desc_validate(&desc, diags);
	assert_int_equal(diags->errors, errors);
	*rc = vb_resolve(&desc, &host, &g, diags);
	char *line = NULL;
	if (!*rc) {
		*dir_root = g.devices[0].dir_root;
		line = strdup(g.cmdline);
		vb_graph_free(&g);
	}
	vb_desc_free(&desc);
	vb_node_free(root);
	return line;
}

static void test_resolve_dir_root(void **state)
{
	(void)state;
	char dir[] = "/tmp/vb-test-9proot-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char file[64];
	snprintf(file, sizeof(file), "%s/img", dir);
	int fd = open(file, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	close(fd);
	char conf[512];
	struct vb_diags diags;
	bool root = false;
	int rc;

	snprintf(conf, sizeof(conf),
		 "kernel = \"/k\"; memory = \"256M\"; params = \"init=/bin/sh\";\n"
		 "devices = ( { type = \"disk\"; path = \"%s\"; } );\n", dir);
	vb_diags_init(&diags);
	char *line = plan_cmdline(conf, &root, &diags, &rc);
	assert_int_equal(rc, 0);
	assert_true(root);
	const char *want = "root=/dev/root rootfstype=9p "
			   "rootflags=trans=virtio,version=9p2000.L,cache=loose rw init=/bin/sh";
	assert_non_null(strstr(line, want));
	free(line);
	vb_diags_free(&diags);

	snprintf(conf, sizeof(conf),
		 "kernel = \"/k\"; memory = \"256M\";\n"
		 "devices = ( { type = \"disk\"; path = \"%s\"; readonly = true; } );\n", dir);
	vb_diags_init(&diags);
	line = plan_cmdline(conf, &root, &diags, &rc);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(line, "cache=loose ro"));
	free(line);
	vb_diags_free(&diags);

	/* An image file is a block disk: no root words. */
	snprintf(conf, sizeof(conf),
		 "kernel = \"/k\"; memory = \"256M\";\n"
		 "devices = ( { type = \"disk\"; path = \"%s\"; } );\n", file);
	vb_diags_init(&diags);
	line = plan_cmdline(conf, &root, &diags, &rc);
	assert_int_equal(rc, 0);
	assert_false(root);
	assert_null(strstr(line, "root="));
	free(line);
	vb_diags_free(&diags);

	/* Two directory roots, or a share using the root's tag: refused. */
	snprintf(conf, sizeof(conf),
		 "kernel = \"/k\"; memory = \"256M\";\n"
		 "devices = ( { type = \"disk\"; path = \"%s\"; }, { type = \"disk\"; path = \"%s\"; } );\n",
		 dir, dir);
	vb_diags_init(&diags);
	line = plan_cmdline(conf, &root, &diags, &rc);
	assert_int_equal(rc, -EINVAL);
	assert_null(line);
	assert_true(vb_diags_contains(&diags, "only one directory"));
	vb_diags_free(&diags);
	snprintf(conf, sizeof(conf),
		 "kernel = \"/k\"; memory = \"256M\";\n"
		 "devices = ( { type = \"disk\"; path = \"%s\"; },\n"
		 "            { type = \"9p\"; path = \"%s\"; tag = \"/dev/root\"; } );\n",
		 dir, dir);
	vb_diags_init(&diags);
	line = plan_cmdline(conf, &root, &diags, &rc);
	assert_int_equal(rc, -EINVAL);
	assert_true(vb_diags_contains(&diags, "tag of the root directory"));
	assert_int_equal(diags.count, 1);
	assert_int_equal(diags.items[0].loc.line, 3);
	vb_diags_free(&diags);

	unlink(file);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip, setup_mmio, teardown),
		cmocka_unit_test_setup_teardown(test_round_trip, setup_pci, teardown),
		cmocka_unit_test_setup_teardown(test_readonly, setup_ro, teardown),
		cmocka_unit_test_setup_teardown(test_root_disk_tag, setup_root, teardown),
		cmocka_unit_test_setup_teardown(test_bad_messages, setup_mmio, teardown),
		cmocka_unit_test_setup_teardown(test_no_reply_buffer, setup_mmio, teardown),
		cmocka_unit_test_setup_teardown(test_tiny_reply_buffer, setup_pci, teardown),
		cmocka_unit_test_setup_teardown(test_no_request, setup_mmio, teardown),
		cmocka_unit_test(test_attach_errors),
		cmocka_unit_test(test_resolve_dir_root),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
