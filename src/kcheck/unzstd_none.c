/* Built when configure found no libzstd (or --without-zstd): the codec
 * without a decoder, which unpack.c reports as not built in. */
#include "kcheck/codec.h"

const struct vb_kcheck_codec vb_kcheck_zstd = { .library = "libzstd", .decode = NULL };
