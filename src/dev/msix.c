/* MSI-X (msix.h). */
#include "dev/msix.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "util/le.h"

/* x86 MSI: the message goes to the local APICs' window (Intel SDM vol. 3,
 * 11.11.1, "Message Address Register Format"); bits 19:0 carry the
 * destination and modes. Anything else would be a DMA write into guest
 * memory on real hardware, which vmboot does not model. */
#define MSI_ADDR_MASK 0xfff00000u
#define MSI_ADDR_LAPIC 0xfee00000u
/* Message address bits 1:0 are read-only 0 (6.8.2.6: dword aligned). */
#define ADDR_LO_WRITABLE 0xfffffffcu
/* The PBA: one qword (VB_MSIX_MAX_VECTORS bits). */
#define PBA_BYTES 8u

/* Kinds of drop, each logged once (bits of m->logged). */
enum { LOG_ACCESS = 1, LOG_MESSAGE = 2, LOG_ROUTE = 4, LOG_VECTOR = 8 };

bool vb_msix_available(const struct vb_dev_env *env)
{
	return env && env->msi_add && env->msi_set && env->msi_commit && env->msi_remove;
}

static void log_once(struct vb_msix *m, unsigned kind, const char *what)
{
	if (m->logged & kind)
		return;
	m->logged |= kind;
	vb_dev_env_log(m->env, "%s: MSI-X: %s (counted, logged once)", m->name, what);
}

static int check_layout(const struct vb_pci_function *fn, const struct vb_msix_layout *l,
			const char *name, struct vb_err *err)
{
	if (l->n_vectors == 0 || l->n_vectors > VB_MSIX_MAX_VECTORS)
		return vb_err_set(err, EINVAL, "%s: MSI-X: %u vectors (1 to %u)", name,
				  l->n_vectors, VB_MSIX_MAX_VECTORS);
	if (l->bar >= VB_PCI_MAX_BARS || fn->bars[l->bar].kind != VB_PCI_BAR_MEM32)
		return vb_err_set(err, EINVAL, "%s: MSI-X: BAR %u is not a memory BAR", name, l->bar);
	uint64_t bar = fn->bars[l->bar].size_bytes;
	uint64_t table = (uint64_t)l->n_vectors * VB_MSIX_ENTRY_BYTES;
	bool aligned = !(l->table_off & 7u) && !(l->pba_off & 7u);
	bool inside = l->table_off + table <= bar && l->pba_off + (uint64_t)PBA_BYTES <= bar;
	bool apart = l->pba_off >= l->table_off + table || l->table_off >= l->pba_off + PBA_BYTES;
	if (!aligned || !inside || !apart)
		return vb_err_set(err, EINVAL,
				  "%s: MSI-X: table at 0x%x and PBA at 0x%x do not fit BAR %u apart",
				  name, l->table_off, l->pba_off, l->bar);
	return 0;
}

static void remove_routes(struct vb_msix *m, const struct vb_dev_env *env)
{
	while (m->n_routes > 0)
		env->msi_remove(env->msi_ctx, m->vec[--m->n_routes].id);
}

static int add_routes(struct vb_msix *m, const struct vb_dev_env *env, struct vb_err *err)
{
	for (unsigned i = 0; i < m->layout.n_vectors; i++) {
		struct vb_msix_vector *v = &m->vec[i];
		int r = env->msi_add(env->msi_ctx, &v->id, &v->fd, err);
		if (r < 0) {
			vb_err_prefix(err, "%s: MSI-X vector %u", m->name, i);
			remove_routes(m, env);
			return r;
		}
		m->n_routes++;
		/* 6.8.2.9: every vector masked after reset. */
		v->ctrl = VB_MSIX_CTRL_MASKED;
	}
	return 0;
}

static int add_cap(struct vb_msix *m, struct vb_pci_function *fn, struct vb_err *err)
{
	const struct vb_msix_layout *l = &m->layout;
	/* After the ID and next pointer: message control, table and PBA
	 * offset each with the BAR index in its low 3 bits. */
	uint8_t body[VB_MSIX_CAP_BYTES - 2];
	vb_le_put(body, l->n_vectors - 1, 2);
	vb_le_put(body + 2, l->table_off | l->bar, 4);
	vb_le_put(body + 6, l->pba_off | l->bar, 4);
	int r = vb_pci_function_add_cap(fn, VB_MSIX_CAP_ID, body, sizeof(body), &m->cap, err);
	if (r < 0)
		return r;
	/* Only enable and function mask are the driver's (6.8.2.3). */
	fn->wmask[m->cap + VB_MSIX_CONTROL + 1] =
		(uint8_t)((VB_MSIX_CONTROL_ENABLE | VB_MSIX_CONTROL_MASKALL) >> 8);
	return 0;
}

int vb_msix_init(struct vb_msix *m, const struct vb_dev_env *env, struct vb_pci_function *fn,
		 const struct vb_msix_layout *layout, const char *name, struct vb_err *err)
{
	memset(m, 0, sizeof(*m));
	if (!vb_msix_available(env))
		return vb_err_set(err, ENOTSUP, "%s: MSI-X: no message routes (KVM_CAP_IRQ_ROUTING, KVM_CAP_IRQFD)",
				  name);
	int r = check_layout(fn, layout, name, err);
	if (r < 0)
		return r;
	m->name = name;
	m->layout = *layout;
	r = pthread_mutex_init(&m->lock, NULL);
	if (r)
		return vb_err_errno(err, r, "%s: MSI-X: mutex", name);
	r = add_routes(m, env, err);
	if (!r) {
		r = add_cap(m, fn, err);
		if (r < 0)
			remove_routes(m, env);
	}
	if (r < 0) {
		pthread_mutex_destroy(&m->lock);
		return r;
	}
	m->env = env;
	return 0;
}

void vb_msix_destroy(struct vb_msix *m)
{
	if (!m->env)
		return;
	remove_routes(m, m->env);
	pthread_mutex_destroy(&m->lock);
	m->env = NULL;
}

/* ---- under m->lock ---- */

static bool deliverable(const struct vb_msix *m, unsigned i)
{
	return m->enabled && !m->masked_all && !(m->vec[i].ctrl & VB_MSIX_CTRL_MASKED);
}

static bool message_ok(const struct vb_msix_vector *v)
{
	return v->addr_hi == 0 && (v->addr_lo & MSI_ADDR_MASK) == MSI_ADDR_LAPIC;
}

static bool route_current(const struct vb_msix_vector *v)
{
	return v->routed && v->r_addr_lo == v->addr_lo && v->r_addr_hi == v->addr_hi &&
	       v->r_data == v->data;
}

/* Point the route of every deliverable vector whose message changed at
 * it, then hand KVM the table once. A refused table leaves those vectors
 * unrouted, so the next change tries again and sends meanwhile drop. */
static void sync_routes(struct vb_msix *m)
{
	const struct vb_dev_env *env = m->env;
	uint64_t changed = 0;
	for (unsigned i = 0; i < m->layout.n_vectors; i++) {
		struct vb_msix_vector *v = &m->vec[i];
		if (!deliverable(m, i) || route_current(v))
			continue;
		v->valid = message_ok(v);
		env->msi_set(env->msi_ctx, v->id, (uint64_t)v->addr_hi << 32 | v->addr_lo, v->data,
			     v->valid);
		v->routed = true;
		v->r_addr_lo = v->addr_lo;
		v->r_addr_hi = v->addr_hi;
		v->r_data = v->data;
		changed |= 1ULL << i;
	}
	struct vb_err err;
	if (!changed || env->msi_commit(env->msi_ctx, &err) == 0)
		return;
	m->stats.route_failed++;
	log_once(m, LOG_ROUTE, err.msg);
	for (unsigned i = 0; i < m->layout.n_vectors; i++) {
		if (changed & (1ULL << i))
			m->vec[i].routed = m->vec[i].valid = false;
	}
}

static void fire(struct vb_msix *m, unsigned i)
{
	struct vb_msix_vector *v = &m->vec[i];
	if (!v->valid) {
		if (!message_ok(v)) {
			m->stats.bad_message++;
			log_once(m, LOG_MESSAGE, "message address outside 0xFEExxxxx: interrupt dropped");
		} else {
			m->stats.route_failed++;
		}
		return;
	}
	uint64_t one = 1;
	/* Fails only when the counter would overflow: the route has
	 * interrupts queued already, and one more adds nothing. */
	if (write(v->fd, &one, sizeof(one)) == (ssize_t)sizeof(one))
		m->stats.sent++;
}

static void refresh(struct vb_msix *m)
{
	sync_routes(m);
	for (unsigned i = 0; i < m->layout.n_vectors; i++) {
		uint64_t bit = 1ULL << i;
		if ((m->pending & bit) && deliverable(m, i)) {
			m->pending &= ~bit;
			fire(m, i);
		}
	}
}

/* ---- entry points ---- */

bool vb_msix_control_written(struct vb_msix *m, const struct vb_pci_function *fn, uint32_t reg,
			     uint32_t size)
{
	uint32_t at = m->cap + VB_MSIX_CONTROL + 1u;
	if (!m->env || at < reg || at >= reg + size)
		return false;
	uint16_t control = (uint16_t)(fn->config[at] << 8);
	pthread_mutex_lock(&m->lock);
	bool was = m->enabled;
	m->enabled = control & VB_MSIX_CONTROL_ENABLE;
	m->masked_all = control & VB_MSIX_CONTROL_MASKALL;
	refresh(m);
	bool now = m->enabled;
	pthread_mutex_unlock(&m->lock);
	return was != now;
}

bool vb_msix_enabled(struct vb_msix *m)
{
	if (!m->env)
		return false;
	pthread_mutex_lock(&m->lock);
	bool on = m->enabled;
	pthread_mutex_unlock(&m->lock);
	return on;
}

/* 6.8.2: aligned dwords and qwords only, inside the structure. */
static bool access_ok(uint64_t off, uint32_t size, uint64_t bytes)
{
	return (size == 4 || size == 8) && off % size == 0 && off < bytes && size <= bytes - off;
}

static void refuse_access(struct vb_msix *m, uint8_t *data, uint32_t size, bool is_write)
{
	m->stats.bad_access++;
	log_once(m, LOG_ACCESS, "table or PBA access not an aligned dword or qword inside it: dropped");
	if (!is_write)
		memset(data, 0, size);
}

static uint32_t *entry_field(struct vb_msix_vector *v, uint64_t field)
{
	switch (field) {
	case VB_MSIX_ENTRY_ADDR_LO: return &v->addr_lo;
	case VB_MSIX_ENTRY_ADDR_HI: return &v->addr_hi;
	case VB_MSIX_ENTRY_DATA: return &v->data;
	default: return &v->ctrl;
	}
}

static void table_dword(struct vb_msix *m, uint64_t off, uint8_t *data, bool is_write)
{
	uint64_t field = off % VB_MSIX_ENTRY_BYTES;
	uint32_t *reg = entry_field(&m->vec[off / VB_MSIX_ENTRY_BYTES], field);
	if (!is_write) {
		vb_le_put(data, *reg, 4);
		return;
	}
	uint32_t value = (uint32_t)vb_le_get(data, 4);
	/* Vector control: bit 0 masks, the rest is reserved (reads 0). */
	if (field == VB_MSIX_ENTRY_CTRL)
		value &= VB_MSIX_CTRL_MASKED;
	else if (field == VB_MSIX_ENTRY_ADDR_LO)
		value &= ADDR_LO_WRITABLE;
	*reg = value;
}

void vb_msix_table_access(struct vb_msix *m, uint64_t off, uint8_t *data, uint32_t size,
			  bool is_write)
{
	pthread_mutex_lock(&m->lock);
	if (!access_ok(off, size, (uint64_t)m->layout.n_vectors * VB_MSIX_ENTRY_BYTES)) {
		refuse_access(m, data, size, is_write);
	} else {
		/* A qword is its two dwords, low first: data then control
		 * makes the new message current before the unmask. */
		for (uint32_t k = 0; k < size; k += 4)
			table_dword(m, off + k, data + k, is_write);
		if (is_write)
			refresh(m);
	}
	pthread_mutex_unlock(&m->lock);
}

void vb_msix_pba_access(struct vb_msix *m, uint64_t off, uint8_t *data, uint32_t size,
			bool is_write)
{
	pthread_mutex_lock(&m->lock);
	/* Pending bits are the function's (6.8.2.10): a write is dropped. */
	if (is_write || !access_ok(off, size, PBA_BYTES))
		refuse_access(m, data, size, is_write);
	else
		vb_le_put(data, m->pending >> (8 * off), size);
	pthread_mutex_unlock(&m->lock);
}

void vb_msix_send(struct vb_msix *m, unsigned vector)
{
	pthread_mutex_lock(&m->lock);
	if (vector >= m->layout.n_vectors) {
		m->stats.no_vector++;
		log_once(m, LOG_VECTOR, "interrupt for a vector beyond the table: dropped");
	} else if (deliverable(m, vector)) {
		fire(m, vector);
	} else {
		m->pending |= 1ULL << vector;
		m->stats.held++;
	}
	pthread_mutex_unlock(&m->lock);
}

struct vb_msix_stats vb_msix_stats(struct vb_msix *m)
{
	pthread_mutex_lock(&m->lock);
	struct vb_msix_stats s = m->stats;
	pthread_mutex_unlock(&m->lock);
	return s;
}
