/* Built when configure found no liblz4 (or --without-lz4): the codec
 * without a decoder, which unpack.c reports as not built in. */
#include "kcheck/codec.h"

const struct vb_kcheck_codec vb_kcheck_lz4 = { .library = "liblz4", .decode = NULL };
