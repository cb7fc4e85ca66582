/*-------------------------------------------------------------------------
 *
 * wire_core.h
 *	  Reading the binary wire form (network byte order, as pq_sendint16,
 *	  pq_sendint64 and pq_sendfloat8 write it) from a byte buffer with a
 *	  bounds check on every read, and writing it into a buffer the caller
 *	  sized, free of any server dependency, for the encoders and decoders
 *	  of the *_core.c files.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DTI_WIRE_CORE_H
#define DTI_WIRE_CORE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* A buffer being read; ok turns 0 at the first read past the end. */
typedef struct WireReader
{
	const unsigned char *p;
	size_t		len;
	size_t		pos;
	int			ok;
} WireReader;

static inline void
wire_init(WireReader *r, const void *p, size_t len)
{
	r->p = (const unsigned char *) p;
	r->len = len;
	r->pos = 0;
	r->ok = 1;
}

/* Take n bytes: a pointer to them, or NULL (and ok = 0) when short. */
static inline const unsigned char *
wire_bytes(WireReader *r, size_t n)
{
	const unsigned char *b;

	if (!r->ok || r->len - r->pos < n)
	{
		r->ok = 0;
		return NULL;
	}
	b = r->p + r->pos;
	r->pos += n;
	return b;
}

static inline uint64_t
wire_uint(WireReader *r, int nbytes)
{
	const unsigned char *b = wire_bytes(r, (size_t) nbytes);
	uint64_t	v = 0;
	int			i;

	if (b == NULL)
		return 0;
	for (i = 0; i < nbytes; i++)
		v = (v << 8) | b[i];
	return v;
}

static inline int
wire_byte(WireReader *r)
{
	return (int) wire_uint(r, 1);
}

static inline int16_t
wire_int16(WireReader *r)
{
	return (int16_t) (uint16_t) wire_uint(r, 2);
}

static inline int64_t
wire_int64(WireReader *r)
{
	return (int64_t) wire_uint(r, 8);
}

static inline double
wire_float8(WireReader *r)
{
	uint64_t	bits = wire_uint(r, 8);
	double		d;

	memcpy(&d, &bits, sizeof(d));
	return d;
}

static inline int32_t
wire_int32(WireReader *r)
{
	return (int32_t) (uint32_t) wire_uint(r, 4);
}

/* Bytes not read yet. */
static inline size_t
wire_left(const WireReader *r)
{
	return r->len - r->pos;
}

/* Write v in nbytes of network byte order at p; returns the next byte. */
static inline unsigned char *
wire_put_uint(unsigned char *p, uint64_t v, int nbytes)
{
	int			i;

	for (i = nbytes - 1; i >= 0; i--)
	{
		p[i] = (unsigned char) (v & 0xff);
		v >>= 8;
	}
	return p + nbytes;
}

static inline unsigned char *
wire_put_float8(unsigned char *p, double d)
{
	uint64_t	bits;

	memcpy(&bits, &d, sizeof(bits));
	return wire_put_uint(p, bits, 8);
}

#endif							/* DTI_WIRE_CORE_H */
