/* virtio-blk end to end through both transports' registers: the driver
 * writes sectors and reads them back, and the test compares with the
 * image file on the host. Then flush, discard/write-zeroes, readonly,
 * GET_ID, the image lock, and every malformed request: each bad request
 * gets IOERR/UNSUPP and the device keeps working; only a request with
 * nowhere to put its status breaks the device (NEEDS_RESET). */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "driver.h"
#include "parse/desc.h"
#include "virtio/blk.h"
#include "virtio/virtq.h"

#define QUEUE_GPA 0x10000ULL
#define HDR_GPA 0x40000ULL
#define STATUS_GPA 0x41000ULL
#define DATA_GPA 0x50000ULL
#define DATA2_GPA 0x200000ULL
#define MMIO_BASE VB_GAP_START_BYTES
#define MMIO_GSI 16u
#define IMAGE_BYTES (1u << 20)
#define SECTORS (IMAGE_BYTES / 512u)
#define NO_STATUS 0xeeu

#define F(b) (1ULL << (b))
static const uint64_t base_features = F(VB_VIRTIO_F_VERSION_1) | F(VB_BLK_F_FLUSH);

struct fixture {
	struct vt_env env;
	struct vt_drv drv;
	bool pci;
	char dir[64];
	char path[96];
	struct vb_device_desc desc;
};

/* The image starts with byte i of the file = (i * 7) & 0xff. */
static uint8_t image_byte(uint64_t i)
{
	return (uint8_t)(i * 7);
}

static void make_image(const char *path)
{
	vt_make_image(path, IMAGE_BYTES, image_byte);
}

static void file_read(struct fixture *f, uint64_t off, void *out, size_t n)
{
	int fd = open(f->path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, out, n, (off_t)off), (ssize_t)n);
	close(fd);
}

static int setup(void **state, bool pci, bool readonly)
{
	struct fixture *f = VT_FIXTURE_NEW(struct fixture);
	if (!f)
		return -1;
	f->pci = pci;
	snprintf(f->dir, sizeof(f->dir), "/tmp/vb-test-blk-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/root.img", f->dir);
	make_image(f->path);
	assert_int_equal(vb_device_desc_init(&f->desc, &vb_virtio_blk_type), 0);
	assert_int_equal(vb_device_set_string(&f->desc, "path", f->path), 0);
	assert_int_equal(vb_device_set_bool(&f->desc, "readonly", readonly), 0);
	struct vb_virtio_placement p = {
		.name = "root", .desc = &f->desc,
		.transport = pci ? VB_VIRTIO_PCI : VB_VIRTIO_MMIO,
		.pci_slot = 1, .mmio_base = MMIO_BASE, .mmio_bytes = 0x1000, .gsi = MMIO_GSI,
	};
	assert_int_equal(vt_env_attach(&f->env, "disk", &p), 0);
	assert_int_equal(vt_drv_open_either(&f->drv, &f->env, pci, 1, MMIO_BASE, MMIO_GSI), 0);
	*state = f;
	return 0;
}

static int setup_mmio(void **state) { return setup(state, false, false); }
static int setup_pci(void **state) { return setup(state, true, false); }
static int setup_ro_mmio(void **state) { return setup(state, false, true); }
static int setup_ro_pci(void **state) { return setup(state, true, true); }

static int teardown(void **state)
{
	struct fixture *f = *state;
	vt_env_fini(&f->env);
	vb_device_desc_free(&f->desc);
	unlink(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

static void start(struct fixture *f, uint64_t features)
{
	uint8_t s = vt_drv_negotiate(&f->drv, features);
	assert_true(s & VB_VIRTIO_S_FEATURES_OK);
	vt_drv_queue(&f->drv, 0, 64, QUEUE_GPA);
	assert_true(vt_drv_queue_ready(&f->drv, 0));
	vt_drv_set_status(&f->drv, s | VB_VIRTIO_S_DRIVER_OK);
	assert_true(vt_drv_status(&f->drv) & VB_VIRTIO_S_DRIVER_OK);
}

static uint64_t cfg_read(struct fixture *f, uint32_t off, uint32_t size)
{
	return vt_drv_config(&f->drv, off, size);
}

static void put_hdr(struct fixture *f, uint64_t gpa, uint32_t type, uint64_t sector)
{
	uint8_t *h = vt_gpa(&f->env, gpa);
	memset(h, 0, VB_BLK_HDR_BYTES);
	for (int i = 0; i < 4; i++)
		h[i] = (uint8_t)(type >> (8 * i));
	for (int i = 0; i < 8; i++)
		h[8 + i] = (uint8_t)(sector >> (8 * i));
}

struct result {
	uint8_t status;
	uint32_t len;
};

/* Post the chain starting at descriptor 0 and run it. */
static struct result run(struct fixture *f)
{
	*vt_gpa(&f->env, STATUS_GPA) = NO_STATUS;
	vt_avail_push(&f->drv, 0);
	vt_drv_notify(&f->drv, 0);
	uint32_t id = 99;
	struct result r = { 0, 0 };
	assert_true(vt_used_next(&f->drv, &id, &r.len));
	assert_int_equal(id, 0);
	r.status = *vt_gpa(&f->env, STATUS_GPA);
	assert_false(vt_drv_status(&f->drv) & VB_VIRTIO_S_NEEDS_RESET);
	return r;
}

/* The usual three-descriptor request: header, data (if len), status. */
static struct result request(struct fixture *f, uint32_t type, uint64_t sector, uint64_t data_gpa,
			     uint32_t len, bool data_writable)
{
	put_hdr(f, HDR_GPA, type, sector);
	uint16_t n = 1;
	if (len) {
		vt_desc(&f->drv, 0, HDR_GPA, VB_BLK_HDR_BYTES, VB_VIRTQ_DESC_F_NEXT, 1);
		vt_desc(&f->drv, 1, data_gpa, len,
			VB_VIRTQ_DESC_F_NEXT | (data_writable ? VB_VIRTQ_DESC_F_WRITE : 0), 2);
		n = 2;
	} else {
		vt_desc(&f->drv, 0, HDR_GPA, VB_BLK_HDR_BYTES, VB_VIRTQ_DESC_F_NEXT, 1);
	}
	vt_desc(&f->drv, n, STATUS_GPA, 1, VB_VIRTQ_DESC_F_WRITE, 0);
	return run(f);
}

static struct result blk_write(struct fixture *f, uint64_t sector, uint64_t gpa, uint32_t len)
{
	return request(f, VB_BLK_T_OUT, sector, gpa, len, false);
}

static struct result blk_read(struct fixture *f, uint64_t sector, uint64_t gpa, uint32_t len)
{
	return request(f, VB_BLK_T_IN, sector, gpa, len, true);
}

static void fill(struct fixture *f, uint64_t gpa, size_t n, uint8_t seed)
{
	uint8_t *p = vt_gpa(&f->env, gpa);
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i * 13);
}

static void assert_file_is_original(struct fixture *f, uint64_t off, size_t n)
{
	uint8_t *buf = malloc(n);
	assert_non_null(buf);
	file_read(f, off, buf, n);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(buf[i], image_byte(off + i));
	free(buf);
}

static void test_config(void **state)
{
	struct fixture *f = *state;
	uint64_t feat = vt_drv_device_features(&f->drv);
	assert_true(feat & F(VB_BLK_F_FLUSH));
	assert_true(feat & F(VB_BLK_F_SEG_MAX));
	assert_true(feat & F(VB_BLK_F_SIZE_MAX));
	assert_true(feat & F(VB_BLK_F_BLK_SIZE));
	assert_true(feat & F(VB_BLK_F_DISCARD));
	assert_true(feat & F(VB_BLK_F_WRITE_ZEROES));
	assert_false(feat & F(VB_BLK_F_RO));
	/* Multiqueue is offered; a disk without `queues` has one. */
	assert_true(feat & F(VB_BLK_F_MQ));
	assert_int_equal(cfg_read(f, VB_BLK_CFG_NUM_QUEUES, 2), 1);
	assert_int_equal(cfg_read(f, VB_BLK_CFG_CAPACITY, 8), SECTORS);
	assert_int_equal(cfg_read(f, VB_BLK_CFG_CAPACITY, 4), SECTORS); /* 32-bit halves */
	assert_int_equal(cfg_read(f, VB_BLK_CFG_CAPACITY + 4, 4), 0);
	assert_int_equal(cfg_read(f, VB_BLK_CFG_SEG_MAX, 4), VB_BLK_SEG_MAX);
	assert_int_equal(cfg_read(f, VB_BLK_CFG_SIZE_MAX, 4), VB_BLK_SIZE_MAX_BYTES);
	assert_int_equal(cfg_read(f, VB_BLK_CFG_BLK_SIZE, 4), 512);
	assert_int_equal(cfg_read(f, VB_BLK_CFG_MAX_DISCARD_SEG, 4), VB_BLK_MAX_DISCARD_SEGS);
	assert_int_equal(cfg_read(f, VB_BLK_CFG_DISCARD_ALIGN, 4), VB_BLK_DISCARD_ALIGN_SECTORS);
	assert_int_equal(cfg_read(f, VB_BLK_CFG_WZ_MAY_UNMAP, 1), 1);
}

static void test_write_read(void **state)
{
	struct fixture *f = *state;
	start(f, base_features);
	fill(f, DATA_GPA, 4096, 0x31);
	struct result r = blk_write(f, 10, DATA_GPA, 4096);
	assert_int_equal(r.status, VB_BLK_S_OK);
	assert_int_equal(r.len, 1);
	/* On the host's file, exactly there. */
	uint8_t buf[4096 + 1024];
	file_read(f, 10 * 512 - 512, buf, sizeof(buf));
	for (size_t i = 0; i < 512; i++)
		assert_int_equal(buf[i], image_byte(9 * 512 + i));
	assert_memory_equal(buf + 512, vt_gpa(&f->env, DATA_GPA), 4096);
	for (size_t i = 4096 + 512; i < sizeof(buf); i++)
		assert_int_equal(buf[i], image_byte(9 * 512 + i));

	/* Read back into another buffer. */
	memset(vt_gpa(&f->env, DATA2_GPA), 0, 4096);
	r = blk_read(f, 10, DATA2_GPA, 4096);
	assert_int_equal(r.status, VB_BLK_S_OK);
	assert_int_equal(r.len, 4096 + 1);
	assert_memory_equal(vt_gpa(&f->env, DATA2_GPA), vt_gpa(&f->env, DATA_GPA), 4096);
	/* And untouched sectors read as the original image. */
	r = blk_read(f, 0, DATA2_GPA, 1024);
	assert_int_equal(r.status, VB_BLK_S_OK);
	for (size_t i = 0; i < 1024; i++)
		assert_int_equal(vt_gpa(&f->env, DATA2_GPA)[i], image_byte(i));
	/* The last sector of the disk is reachable. */
	r = blk_read(f, SECTORS - 1, DATA2_GPA, 512);
	assert_int_equal(r.status, VB_BLK_S_OK);
	assert_int_equal(vt_gpa(&f->env, DATA2_GPA)[511], image_byte(IMAGE_BYTES - 1));
	assert_false(vt_drv_status(&f->drv) & VB_VIRTIO_S_NEEDS_RESET);
	assert_int_equal(f->env.log_lines, 0);
	assert_true(vt_drv_line(&f->drv));
}

/* Descriptors may be arranged any way (2.6.4 message framing): a header
 * split in two, data in three pieces, the status sharing the last data
 * descriptor. */
static void test_any_framing(void **state)
{
	struct fixture *f = *state;
	start(f, base_features);
	fill(f, DATA_GPA, 2048, 0x77);
	put_hdr(f, HDR_GPA, VB_BLK_T_OUT, 100);
	/* header 5 + 11 bytes; data 100 + 1000 + 948 */
	vt_desc(&f->drv, 0, HDR_GPA, 5, VB_VIRTQ_DESC_F_NEXT, 1);
	vt_desc(&f->drv, 1, HDR_GPA + 5, 11, VB_VIRTQ_DESC_F_NEXT, 2);
	vt_desc(&f->drv, 2, DATA_GPA, 100, VB_VIRTQ_DESC_F_NEXT, 3);
	vt_desc(&f->drv, 3, DATA_GPA + 100, 1000, VB_VIRTQ_DESC_F_NEXT, 4);
	vt_desc(&f->drv, 4, DATA_GPA + 1100, 948, VB_VIRTQ_DESC_F_NEXT, 5);
	vt_desc(&f->drv, 5, STATUS_GPA, 1, VB_VIRTQ_DESC_F_WRITE, 0);
	struct result r = run(f);
	assert_int_equal(r.status, VB_BLK_S_OK);
	uint8_t buf[2048];
	file_read(f, 100 * 512, buf, sizeof(buf));
	assert_memory_equal(buf, vt_gpa(&f->env, DATA_GPA), sizeof(buf));

	/* Read the same 2048 bytes: 1000 + (1048 data + status) in one. */
	put_hdr(f, HDR_GPA, VB_BLK_T_IN, 100);
	memset(vt_gpa(&f->env, DATA2_GPA), 0, 4096);
	vt_desc(&f->drv, 0, HDR_GPA, 16, VB_VIRTQ_DESC_F_NEXT, 1);
	vt_desc(&f->drv, 1, DATA2_GPA, 1000, VB_VIRTQ_DESC_F_WRITE | VB_VIRTQ_DESC_F_NEXT, 2);
	vt_desc(&f->drv, 2, DATA2_GPA + 1000, 1049, VB_VIRTQ_DESC_F_WRITE, 0);
	vt_gpa(&f->env, DATA2_GPA)[2048] = NO_STATUS;
	vt_avail_push(&f->drv, 0);
	vt_drv_notify(&f->drv, 0);
	uint32_t id, len;
	assert_true(vt_used_next(&f->drv, &id, &len));
	assert_int_equal(len, 2049);
	assert_int_equal(vt_gpa(&f->env, DATA2_GPA)[2048], VB_BLK_S_OK);
	assert_memory_equal(vt_gpa(&f->env, DATA2_GPA), buf, sizeof(buf));
}

/* With indirect descriptors, a request of many segments is served. */
static void test_indirect_many_segments(void **state)
{
	struct fixture *f = *state;
	start(f, base_features | F(VB_VIRTIO_F_INDIRECT_DESC));
	const uint64_t table = 0x30000;
	const unsigned segs = 64;
	put_hdr(f, HDR_GPA, VB_BLK_T_OUT, 200);
	fill(f, DATA2_GPA, segs * 512, 0x05);
	vt_desc_at(&f->drv, table, 0, HDR_GPA, 16, VB_VIRTQ_DESC_F_NEXT, 1);
	for (unsigned i = 0; i < segs; i++)
		vt_desc_at(&f->drv, table, (uint16_t)(1 + i), DATA2_GPA + i * 512ULL, 512,
			   VB_VIRTQ_DESC_F_NEXT, (uint16_t)(2 + i));
	vt_desc_at(&f->drv, table, (uint16_t)(1 + segs), STATUS_GPA, 1, VB_VIRTQ_DESC_F_WRITE, 0);
	vt_desc(&f->drv, 0, table, (2 + segs) * 16, VB_VIRTQ_DESC_F_INDIRECT, 0);
	struct result r = run(f);
	assert_int_equal(r.status, VB_BLK_S_OK);
	uint8_t *buf = malloc(segs * 512);
	assert_non_null(buf);
	file_read(f, 200 * 512, buf, segs * 512);
	assert_memory_equal(buf, vt_gpa(&f->env, DATA2_GPA), segs * 512);
	free(buf);
}

static void test_flush(void **state)
{
	struct fixture *f = *state;
	start(f, base_features);
	fill(f, DATA_GPA, 512, 1);
	assert_int_equal(blk_write(f, 3, DATA_GPA, 512).status, VB_BLK_S_OK);
	struct result r = request(f, VB_BLK_T_FLUSH, 0, 0, 0, false);
	assert_int_equal(r.status, VB_BLK_S_OK);
	assert_int_equal(r.len, 1);
	uint8_t buf[512];
	file_read(f, 3 * 512, buf, 512);
	assert_memory_equal(buf, vt_gpa(&f->env, DATA_GPA), 512);
	/* Without FLUSH negotiated the device is write-through: writes still
	 * complete and land in the file. */
	start(f, F(VB_VIRTIO_F_VERSION_1));
	fill(f, DATA_GPA, 512, 9);
	assert_int_equal(blk_write(f, 4, DATA_GPA, 512).status, VB_BLK_S_OK);
	file_read(f, 4 * 512, buf, 512);
	assert_memory_equal(buf, vt_gpa(&f->env, DATA_GPA), 512);
}

static void put_seg(struct fixture *f, uint64_t gpa, uint64_t sector, uint32_t count,
		    uint32_t flags)
{
	uint8_t *s = vt_gpa(&f->env, gpa);
	for (int i = 0; i < 8; i++)
		s[i] = (uint8_t)(sector >> (8 * i));
	for (int i = 0; i < 4; i++) {
		s[8 + i] = (uint8_t)(count >> (8 * i));
		s[12 + i] = (uint8_t)(flags >> (8 * i));
	}
}

static bool file_zero(struct fixture *f, uint64_t off, size_t n)
{
	uint8_t *buf = malloc(n);
	assert_non_null(buf);
	file_read(f, off, buf, n);
	bool z = true;
	for (size_t i = 0; i < n; i++)
		z &= buf[i] == 0;
	free(buf);
	return z;
}

static off_t file_size(struct fixture *f)
{
	struct stat st;
	assert_int_equal(stat(f->path, &st), 0);
	return st.st_size;
}

static void test_discard_write_zeroes(void **state)
{
	struct fixture *f = *state;
	const uint64_t all = base_features | F(VB_BLK_F_DISCARD) | F(VB_BLK_F_WRITE_ZEROES);
	start(f, all);
	/* WRITE_ZEROES without unmap, two segments. */
	put_seg(f, DATA_GPA, 16, 16, 0);
	put_seg(f, DATA_GPA + 16, 40, 1, 0);
	struct result r = request(f, VB_BLK_T_WRITE_ZEROES, 0, DATA_GPA, 32, false);
	assert_int_equal(r.status, VB_BLK_S_OK);
	assert_true(file_zero(f, 16 * 512, 16 * 512));
	assert_true(file_zero(f, 40 * 512, 512));
	assert_file_is_original(f, 15 * 512, 512);
	assert_file_is_original(f, 32 * 512, 8 * 512);
	assert_file_is_original(f, 41 * 512, 512);
	/* With unmap (may punch a hole: still reads as zeroes). */
	put_seg(f, DATA_GPA, 64, 8, VB_BLK_WZ_F_UNMAP);
	assert_int_equal(request(f, VB_BLK_T_WRITE_ZEROES, 0, DATA_GPA, 16, false).status,
			 VB_BLK_S_OK);
	assert_true(file_zero(f, 64 * 512, 8 * 512));
	assert_file_is_original(f, 72 * 512, 512);
	/* DISCARD of an aligned range; the image keeps its size. */
	put_seg(f, DATA_GPA, 128, 64, 0);
	assert_int_equal(request(f, VB_BLK_T_DISCARD, 0, DATA_GPA, 16, false).status, VB_BLK_S_OK);
	assert_file_is_original(f, 127 * 512, 512);
	assert_file_is_original(f, 192 * 512, 512);
	assert_int_equal(file_size(f), IMAGE_BYTES);
	/* The last sectors of the disk. */
	put_seg(f, DATA_GPA, SECTORS - 8, 8, 0);
	assert_int_equal(request(f, VB_BLK_T_WRITE_ZEROES, 0, DATA_GPA, 16, false).status,
			 VB_BLK_S_OK);
	assert_true(file_zero(f, IMAGE_BYTES - 4096, 4096));
	assert_int_equal(file_size(f), IMAGE_BYTES);
}

static void test_get_id(void **state)
{
	struct fixture *f = *state;
	start(f, base_features);
	memset(vt_gpa(&f->env, DATA_GPA), 0x55, 32);
	struct result r = request(f, VB_BLK_T_GET_ID, 0, DATA_GPA, VB_BLK_ID_BYTES, true);
	assert_int_equal(r.status, VB_BLK_S_OK);
	assert_int_equal(r.len, VB_BLK_ID_BYTES + 1);
	const uint8_t *id = vt_gpa(&f->env, DATA_GPA);
	assert_memory_equal(id, "root", 5);
	for (unsigned i = 5; i < VB_BLK_ID_BYTES; i++)
		assert_int_equal(id[i], 0);
	assert_int_equal(id[VB_BLK_ID_BYTES], 0x55); /* nothing past the buffer */
	/* A shorter buffer gets what fits. */
	memset(vt_gpa(&f->env, DATA_GPA), 0x55, 32);
	r = request(f, VB_BLK_T_GET_ID, 0, DATA_GPA, 3, true);
	assert_int_equal(r.status, VB_BLK_S_OK);
	assert_int_equal(r.len, 4);
	assert_memory_equal(id, "roo\x55", 4);
}

static void test_readonly(void **state)
{
	struct fixture *f = *state;
	uint64_t feat = vt_drv_device_features(&f->drv);
	assert_true(feat & F(VB_BLK_F_RO));
	assert_false(feat & F(VB_BLK_F_DISCARD));
	assert_false(feat & F(VB_BLK_F_WRITE_ZEROES));
	start(f, base_features | F(VB_BLK_F_RO));
	fill(f, DATA_GPA, 4096, 0x42);
	struct result r = blk_write(f, 0, DATA_GPA, 4096);
	assert_int_equal(r.status, VB_BLK_S_IOERR);
	assert_int_equal(r.len, 1);
	assert_file_is_original(f, 0, 8192);
	/* A feature not offered cannot be negotiated; the request is
	 * refused anyway. */
	put_seg(f, DATA_GPA, 0, 8, 0);
	assert_int_equal(request(f, VB_BLK_T_WRITE_ZEROES, 0, DATA_GPA, 16, false).status,
			 VB_BLK_S_UNSUPP);
	assert_int_equal(request(f, VB_BLK_T_DISCARD, 0, DATA_GPA, 16, false).status,
			 VB_BLK_S_UNSUPP);
	assert_file_is_original(f, 0, 8192);
	/* Reads and flushes work. */
	r = blk_read(f, 1, DATA2_GPA, 512);
	assert_int_equal(r.status, VB_BLK_S_OK);
	assert_int_equal(vt_gpa(&f->env, DATA2_GPA)[0], image_byte(512));
	assert_int_equal(request(f, VB_BLK_T_FLUSH, 0, 0, 0, false).status, VB_BLK_S_OK);
}

/* ---- malformed requests ---- */

static void expect_bad(struct fixture *f, struct result r, uint8_t status)
{
	assert_int_equal(r.status, status);
	assert_int_equal(r.len, 1);
	/* The device still serves a good request. */
	assert_int_equal(blk_read(f, 2, DATA2_GPA, 512).status, VB_BLK_S_OK);
	assert_int_equal(vt_gpa(&f->env, DATA2_GPA)[0], image_byte(1024));
}

static void test_bad_sector_ranges(void **state)
{
	struct fixture *f = *state;
	start(f, base_features);
	fill(f, DATA_GPA, 4096, 3);
	expect_bad(f, blk_read(f, SECTORS, DATA_GPA, 512), VB_BLK_S_IOERR);
	expect_bad(f, blk_read(f, SECTORS - 1, DATA_GPA, 1024), VB_BLK_S_IOERR);
	expect_bad(f, blk_write(f, SECTORS - 7, DATA_GPA, 4096), VB_BLK_S_IOERR);
	/* sector * 512 and sector + count wrap around 2^64. */
	expect_bad(f, blk_read(f, UINT64_MAX, DATA_GPA, 512), VB_BLK_S_IOERR);
	expect_bad(f, blk_write(f, UINT64_MAX / 512 + 1, DATA_GPA, 512), VB_BLK_S_IOERR);
	expect_bad(f, blk_write(f, UINT64_MAX - 3, DATA_GPA, 4096), VB_BLK_S_IOERR);
	assert_file_is_original(f, 0, IMAGE_BYTES);
	assert_int_equal(file_size(f), IMAGE_BYTES);
}

static void test_bad_lengths_and_directions(void **state)
{
	struct fixture *f = *state;
	start(f, base_features);
	fill(f, DATA_GPA, 4096, 3);
	/* Not whole sectors. */
	expect_bad(f, blk_read(f, 0, DATA_GPA, 511), VB_BLK_S_IOERR);
	expect_bad(f, blk_write(f, 0, DATA_GPA, 513), VB_BLK_S_IOERR);
	/* A write whose data the device would have to write into; a read
	 * whose data the device may only read. */
	expect_bad(f, request(f, VB_BLK_T_OUT, 0, DATA_GPA, 512, true), VB_BLK_S_IOERR);
	memset(vt_gpa(&f->env, DATA_GPA), 0x66, 512);
	expect_bad(f, request(f, VB_BLK_T_IN, 0, DATA_GPA, 512, false), VB_BLK_S_IOERR);
	for (int i = 0; i < 512; i++)
		assert_int_equal(vt_gpa(&f->env, DATA_GPA)[i], 0x66);
	/* GET_ID with no room for the id. */
	expect_bad(f, request(f, VB_BLK_T_GET_ID, 0, 0, 0, false), VB_BLK_S_IOERR);
	/* An unknown request type. */
	expect_bad(f, request(f, 99, 0, DATA_GPA, 512, false), VB_BLK_S_UNSUPP);
	assert_file_is_original(f, 0, IMAGE_BYTES);
}

static void test_bad_header(void **state)
{
	struct fixture *f = *state;
	start(f, base_features);
	/* A header of 8 bytes. */
	put_hdr(f, HDR_GPA, VB_BLK_T_IN, 0);
	vt_desc(&f->drv, 0, HDR_GPA, 8, VB_VIRTQ_DESC_F_NEXT, 1);
	vt_desc(&f->drv, 1, STATUS_GPA, 1, VB_VIRTQ_DESC_F_WRITE, 0);
	expect_bad(f, run(f), VB_BLK_S_IOERR);
	/* No device-readable part at all: only a status byte. */
	vt_desc(&f->drv, 0, STATUS_GPA, 1, VB_VIRTQ_DESC_F_WRITE, 0);
	expect_bad(f, run(f), VB_BLK_S_IOERR);
}

/* Nowhere to put the status: a violation, the device needs a reset. */
static void test_bad_no_status(void **state)
{
	struct fixture *f = *state;
	start(f, base_features);
	fill(f, DATA_GPA, 512, 3);
	put_hdr(f, HDR_GPA, VB_BLK_T_OUT, 0);
	vt_desc(&f->drv, 0, HDR_GPA, 16, VB_VIRTQ_DESC_F_NEXT, 1);
	vt_desc(&f->drv, 1, DATA_GPA, 512, 0, 0);
	vt_avail_push(&f->drv, 0);
	vt_drv_notify(&f->drv, 0);
	assert_int_equal(vt_used_idx(&f->drv), 0);
	assert_true(vt_drv_status(&f->drv) & VB_VIRTIO_S_NEEDS_RESET);
	assert_non_null(strstr(f->env.last_log, "root"));
	assert_non_null(strstr(f->env.last_log, "status"));
	assert_file_is_original(f, 0, 512);
	/* A reset brings it back. */
	start(f, base_features);
	assert_int_equal(blk_read(f, 0, DATA2_GPA, 512).status, VB_BLK_S_OK);
}

static void test_bad_discard(void **state)
{
	struct fixture *f = *state;
	/* Not negotiated: UNSUPP. */
	start(f, base_features);
	put_seg(f, DATA_GPA, 0, 8, 0);
	expect_bad(f, request(f, VB_BLK_T_DISCARD, 0, DATA_GPA, 16, false), VB_BLK_S_UNSUPP);
	expect_bad(f, request(f, VB_BLK_T_WRITE_ZEROES, 0, DATA_GPA, 16, false), VB_BLK_S_UNSUPP);

	start(f, base_features | F(VB_BLK_F_DISCARD) | F(VB_BLK_F_WRITE_ZEROES));
	/* unmap is for WRITE_ZEROES only; reserved flag bits. */
	put_seg(f, DATA_GPA, 0, 8, VB_BLK_WZ_F_UNMAP);
	expect_bad(f, request(f, VB_BLK_T_DISCARD, 0, DATA_GPA, 16, false), VB_BLK_S_UNSUPP);
	put_seg(f, DATA_GPA, 0, 8, 2);
	expect_bad(f, request(f, VB_BLK_T_WRITE_ZEROES, 0, DATA_GPA, 16, false), VB_BLK_S_UNSUPP);
	/* Past the end, wrapping, over the advertised maximum. */
	put_seg(f, DATA_GPA, SECTORS - 4, 8, 0);
	expect_bad(f, request(f, VB_BLK_T_WRITE_ZEROES, 0, DATA_GPA, 16, false), VB_BLK_S_IOERR);
	put_seg(f, DATA_GPA, UINT64_MAX - 2, 8, 0);
	expect_bad(f, request(f, VB_BLK_T_DISCARD, 0, DATA_GPA, 16, false), VB_BLK_S_IOERR);
	put_seg(f, DATA_GPA, 0, VB_BLK_MAX_DISCARD_SECTORS + 1, 0);
	expect_bad(f, request(f, VB_BLK_T_WRITE_ZEROES, 0, DATA_GPA, 16, false), VB_BLK_S_IOERR);
	/* One good segment then a bad one: nothing is applied. */
	put_seg(f, DATA_GPA, 0, 8, 0);
	put_seg(f, DATA_GPA + 16, SECTORS, 1, 0);
	expect_bad(f, request(f, VB_BLK_T_WRITE_ZEROES, 0, DATA_GPA, 32, false), VB_BLK_S_IOERR);
	/* Segment list not a multiple of 16, empty, too long. */
	expect_bad(f, request(f, VB_BLK_T_WRITE_ZEROES, 0, DATA_GPA, 24, false), VB_BLK_S_IOERR);
	expect_bad(f, request(f, VB_BLK_T_WRITE_ZEROES, 0, 0, 0, false), VB_BLK_S_IOERR);
	for (unsigned i = 0; i <= VB_BLK_MAX_DISCARD_SEGS; i++)
		put_seg(f, DATA_GPA + 16ULL * i, i, 1, 0);
	expect_bad(f, request(f, VB_BLK_T_WRITE_ZEROES, 0, DATA_GPA,
			      16 * (VB_BLK_MAX_DISCARD_SEGS + 1), false),
		   VB_BLK_S_IOERR);
	assert_file_is_original(f, 0, IMAGE_BYTES);
	assert_int_equal(file_size(f), IMAGE_BYTES);
}

/* ---- attach-time refusals ---- */

static int attach_err(struct fixture *f, const char *name, const char *path, bool readonly,
		      uint32_t slot, struct vb_err *err)
{
	struct vb_device_desc desc;
	assert_int_equal(vb_device_desc_init(&desc, &vb_virtio_blk_type), 0);
	assert_int_equal(vb_device_set_string(&desc, "path", path), 0);
	assert_int_equal(vb_device_set_bool(&desc, "readonly", readonly), 0);
	struct vb_virtio_placement p = {
		.name = name, .desc = &desc, .transport = VB_VIRTIO_PCI, .pci_slot = slot,
	};
	int rc = vb_dev_set_attach(&f->env.devices, &f->env.env, &vb_virtio_blk_ops, &p, err);
	vb_device_desc_free(&desc);
	return rc;
}

static void test_lock(void **state)
{
	struct fixture *f = *state;
	struct vb_err err = { "" };
	/* The fixture holds the image read-write: a second writer and a
	 * reader are both refused, with the image named. */
	assert_int_equal(attach_err(f, "second", f->path, false, 5, &err), -EBUSY);
	assert_non_null(strstr(err.msg, "disk second: "));
	assert_non_null(strstr(err.msg, f->path));
	assert_non_null(strstr(err.msg, "is in use by another VM (flock)"));
	assert_int_equal(attach_err(f, "third", f->path, true, 5, &err), -EBUSY);

	/* Readers share. */
	char ro_path[128];
	snprintf(ro_path, sizeof(ro_path), "%s/ro.img", f->dir);
	make_image(ro_path);
	struct vb_blk_disk *a = NULL, *b = NULL, *c = NULL;
	assert_int_equal(vb_blk_open("a", ro_path, true, &a, &err), 0);
	assert_int_equal(vb_blk_open("b", ro_path, true, &b, &err), 0);
	assert_int_equal(vb_blk_open("c", ro_path, false, &c, &err), -EBUSY);
	vb_blk_close(a);
	assert_int_equal(vb_blk_open("c", ro_path, false, &c, &err), -EBUSY);
	vb_blk_close(b);
	/* Closing releases the lock. */
	assert_int_equal(vb_blk_open("c", ro_path, false, &c, &err), 0);
	assert_int_equal(vb_blk_capacity_sectors(c), SECTORS);
	vb_blk_close(c);
	unlink(ro_path);
}

static void test_refused_paths(void **state)
{
	struct fixture *f = *state;
	struct vb_err err = { "" };
	assert_int_equal(attach_err(f, "dir", f->dir, false, 5, &err), -EISDIR);
	assert_non_null(strstr(err.msg, "disk dir: "));
	assert_non_null(strstr(err.msg, "is a directory"));
	assert_int_equal(attach_err(f, "dir", f->dir, true, 5, &err), -EISDIR);
	char missing[128];
	snprintf(missing, sizeof(missing), "%s/missing.img", f->dir);
	assert_int_equal(attach_err(f, "gone", missing, false, 5, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "missing.img"));
	assert_int_equal(attach_err(f, "null", "/dev/null", false, 5, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "not a regular file"));
	/* A FIFO is refused, never opened (which would wait for a writer). */
	char fifo[128];
	snprintf(fifo, sizeof(fifo), "%s/fifo.img", f->dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(attach_err(f, "fifo", fifo, true, 5, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "is a FIFO, not a regular file or block device"));
	unlink(fifo);
	struct vb_virtio_placement p = { .name = "nodesc", .transport = VB_VIRTIO_PCI };
	assert_int_equal(vb_dev_set_attach(&f->env.devices, &f->env.env, &vb_virtio_blk_ops, &p,
					   &err),
			 -EINVAL);
	/* Nothing was attached by the failures. */
	assert_int_equal(f->env.devices.count, 2);
}

/* The image size is not a multiple of 512: the tail is not reachable. */
static void test_odd_size(void **state)
{
	struct fixture *f = *state;
	char odd[128];
	snprintf(odd, sizeof(odd), "%s/odd.img", f->dir);
	int fd = open(odd, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 3 * 512 + 100), 0);
	close(fd);
	struct vb_err err;
	struct vb_blk_disk *d = NULL;
	assert_int_equal(vb_blk_open("odd", odd, false, &d, &err), 0);
	assert_int_equal(vb_blk_capacity_sectors(d), 3);
	uint8_t cfg[VB_BLK_CONFIG_BYTES];
	vb_blk_config(d, cfg);
	assert_int_equal(cfg[0], 3);
	/* Driven directly: a read of sector 3 is past the end. */
	uint8_t hdr[16] = { VB_BLK_T_IN, 0, 0, 0, 0, 0, 0, 0, 3 };
	uint8_t data[513];
	struct iovec iov[2] = { { hdr, 16 }, { data, sizeof(data) } };
	uint32_t used = 0;
	assert_int_equal(vb_blk_request(d, base_features, iov, 1, 1, &used, &err), 0);
	assert_int_equal(data[512], VB_BLK_S_IOERR);
	assert_int_equal(used, 1);
	hdr[8] = 2;
	assert_int_equal(vb_blk_request(d, base_features, iov, 1, 1, &used, &err), 0);
	assert_int_equal(data[512], VB_BLK_S_OK);
	assert_int_equal(used, 513);
	vb_blk_close(d);
	unlink(odd);
}

#define BOTH(t) cmocka_unit_test_setup_teardown(t, setup_mmio, teardown), \
		cmocka_unit_test_setup_teardown(t, setup_pci, teardown)
#define BOTH_RO(t) cmocka_unit_test_setup_teardown(t, setup_ro_mmio, teardown), \
		   cmocka_unit_test_setup_teardown(t, setup_ro_pci, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(test_config),
		BOTH(test_write_read),
		BOTH(test_any_framing),
		BOTH(test_indirect_many_segments),
		BOTH(test_flush),
		BOTH(test_discard_write_zeroes),
		BOTH(test_get_id),
		BOTH_RO(test_readonly),
		BOTH(test_bad_sector_ranges),
		BOTH(test_bad_lengths_and_directions),
		BOTH(test_bad_header),
		BOTH(test_bad_no_status),
		BOTH(test_bad_discard),
		cmocka_unit_test_setup_teardown(test_lock, setup_pci, teardown),
		cmocka_unit_test_setup_teardown(test_refused_paths, setup_pci, teardown),
		cmocka_unit_test_setup_teardown(test_odd_size, setup_mmio, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
