/* Built when configure found no liblz4 (or --without-lz4). */
#include "kcheck/codec.h"

#include <errno.h>

bool vb_kcheck_lz4_built(void)
{
	return false;
}

int vb_kcheck_unlz4(const uint8_t *in, size_t len, struct vb_kcheck_sink *s,
		    struct vb_err *err)
{
	(void)in;
	(void)len;
	(void)s;
	return vb_err_set(err, ENOTSUP,
			  "lz4 support not built in (vmboot was configured without liblz4)");
}
