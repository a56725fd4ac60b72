/* Built when configure found no libzstd (or --without-zstd). */
#include "kcheck/codec.h"

#include <errno.h>

bool vb_kcheck_zstd_built(void)
{
	return false;
}

int vb_kcheck_unzstd(const uint8_t *in, size_t len, struct vb_kcheck_sink *s,
		     struct vb_err *err)
{
	(void)in;
	(void)len;
	(void)s;
	return vb_err_set(err, ENOTSUP,
			  "zstd support not built in (vmboot was configured without libzstd)");
}
