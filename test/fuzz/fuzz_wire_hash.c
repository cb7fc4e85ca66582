/*
 * fuzz_wire_hash.c
 *	  libFuzzer harness for fw_wire_hash (tree_wire_core.c), the hash that
 *	  names a framework in a leaf_vector: on a little-endian machine it must
 *	  be PostgreSQL's hash_bytes_extended(bytes, len, 0), the value dti
 *	  0.10.0 and 0.11.0 wrote, for every length and alignment of the bytes
 *	  (PostgreSQL reads aligned and unaligned bytes by different paths), so
 *	  that vectors stored by those versions are still accepted; and it must
 *	  not depend on where the bytes lie.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "tree_wire_core.h"

/* src/common/hashfn.c (libpgcommon) */
extern uint64_t hash_bytes_extended(const unsigned char *k, int keylen, uint64_t seed);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint32_t one = 1;
	unsigned char *buf = xalloc(size + 8);
	uint64_t	h = fw_wire_hash(data, size);
	size_t		shift;

	for (shift = 0; shift < 4; shift++)
	{
		memcpy(buf + shift, data, size);
		if (fw_wire_hash(buf + shift, size) != h)
			abort();
		if (*(const unsigned char *) &one == 1 &&
			hash_bytes_extended(buf + shift, (int) size, 0) != h)
			abort();
	}
	free(buf);
	return 0;
}
