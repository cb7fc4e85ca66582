/*-------------------------------------------------------------------------
 *
 * tree_wire_core.c
 *	  Binary forms of frameworks and scorecards, with no server dependency
 *	  (see tree_wire_core.h for the layout).
 *
 *-------------------------------------------------------------------------
 */
#include "tree_wire_core.h"

#include <math.h>
#include <string.h>

#include "indicator_code_core.h"
#include "wire_core.h"

/* the least bytes of a node: a one-byte code, its length, parent, method */
#define WIRE_MIN_NODE	(2 + 1 + 4 + 1)

void
fw_node_given(const Framework *fw, int i, FwNodeSpec *spec)
{
	const FrameworkNode *node = &fw->nodes[i];
	bool		inner = node->method != FW_LEAF;
	bool		under_points = node->parent >= 0 &&
		fw->nodes[node->parent].method == FW_POINTS;

	memset(spec, 0, sizeof(FwNodeSpec));
	spec->code = FW_CODE(fw, i);
	spec->code_len = node->code_len;
	if (node->parent >= 0)
	{
		spec->parent = FW_CODE(fw, node->parent);
		spec->parent_len = fw->nodes[node->parent].code_len;
	}
	spec->has_max = !isnan(node->max_points);
	spec->max_points = node->max_points;
	/*
	 * A weight equal to the max points is the default; the root's weight
	 * counts only when the root is the one leaf, which needs one.
	 */
	spec->has_weight = !under_points && (node->parent >= 0 || !inner) &&
		(isnan(node->max_points) || node->weight != node->max_points);
	spec->weight = node->weight;
	if (inner)
	{
		spec->method = fw_method_name(node->method);
		spec->missing = node->missing == FW_MISSING_ZERO ? "zero" : "drop";
		spec->has_threshold = node->threshold > 0;
		spec->threshold = node->threshold;
	}
}

static int
fw_wire_flags(const FwNodeSpec *spec)
{
	return (spec->has_max ? FW_WIRE_HAS_MAX : 0) |
		(spec->has_weight ? FW_WIRE_HAS_WEIGHT : 0) |
		(spec->has_threshold ? FW_WIRE_HAS_THRESHOLD : 0);
}

/* float8 numbers a flags byte announces, as many as its bits */
static int
count_bits(int flags)
{
	int			n = 0;

	for (; flags; flags >>= 1)
		n += flags & 1;
	return n;
}

size_t
fw_wire_size(const Framework *fw)
{
	size_t		size = 1 + 4;
	int			i;

	for (i = 0; i < fw->nnodes; i++)
	{
		FwNodeSpec	spec;

		fw_node_given(fw, i, &spec);
		size += 2 + (size_t) spec.code_len + 4 + 3 + 8 * (size_t) count_bits(fw_wire_flags(&spec));
	}
	return size;
}

void
fw_wire_write(const Framework *fw, unsigned char *p)
{
	int			i;

	*p++ = TREE_WIRE_VERSION;
	p = wire_put_uint(p, (uint32_t) fw->nnodes, 4);
	for (i = 0; i < fw->nnodes; i++)
	{
		const FrameworkNode *node = &fw->nodes[i];
		FwNodeSpec	spec;
		int			flags;

		fw_node_given(fw, i, &spec);
		flags = fw_wire_flags(&spec);
		p = wire_put_uint(p, spec.code_len, 2);
		memcpy(p, spec.code, spec.code_len);
		p += spec.code_len;
		p = wire_put_uint(p, (uint32_t) node->parent, 4);
		*p++ = spec.method ? node->method : 0;
		*p++ = spec.missing ? (node->missing == FW_MISSING_ZERO ? 2 : 1) : 0;
		*p++ = (unsigned char) flags;
		if (flags & FW_WIRE_HAS_MAX)
			p = wire_put_float8(p, spec.max_points);
		if (flags & FW_WIRE_HAS_WEIGHT)
			p = wire_put_float8(p, spec.weight);
		if (flags & FW_WIRE_HAS_THRESHOLD)
			p = wire_put_float8(p, spec.threshold);
	}
}

/*
 * The part both forms share: the version byte and the node count, checked
 * against the bytes there are before anything is allocated.
 */
static const char *
read_header(WireReader *r, int *n)
{
	int			version = wire_byte(r);
	int32_t		count;

	if (!r->ok)
		return "The value is empty";
	if (version != TREE_WIRE_VERSION)
		return "Unknown binary format version";
	count = wire_int32(r);
	if (!r->ok)
		return "The value is truncated";
	if (count < 1 || count > FRAMEWORK_MAX_NODES)
		return "The node count is not between 1 and 100000";
	if ((size_t) count > wire_left(r) / WIRE_MIN_NODE)
		return "The value is truncated";
	*n = count;
	return NULL;
}

/*
 * The frame both decoders share: the header, then zeroed node
 * specifications of spec_size bytes each and the codes and lengths of the
 * nodes read so far (for parent indexes).
 */
static const char *
start_nodes(WireReader *r, size_t spec_size, FwAlloc alloc, void **specs,
			const char ***codes, int **lens, int *n)
{
	const char *problem = read_header(r, n);

	if (problem != NULL)
		return problem;
	*specs = alloc(spec_size * (size_t) *n);
	memset(*specs, 0, spec_size * (size_t) *n);
	*codes = alloc(sizeof(char *) * (size_t) *n);
	*lens = alloc(sizeof(int) * (size_t) *n);
	return NULL;
}

/* After the last node: nothing may follow. */
static const char *
finish_nodes(const WireReader *r, int *bad_node)
{
	*bad_node = 0;
	return wire_left(r) != 0 ? "Bytes follow the value" : NULL;
}

/*
 * One node's code and parent index: the code must be a valid indicator
 * code, the parent an earlier node (the root has none).
 */
static const char *
read_code_parent(WireReader *r, int i, const char **codes, const int *lens,
				 const char **code, int *code_len,
				 const char **parent, int *parent_len)
{
	int			len = (int) wire_uint(r, 2);
	const unsigned char *bytes = wire_bytes(r, (size_t) len);
	int32_t		p = wire_int32(r);
	IcodeError	err;

	if (!r->ok)
		return "The value is truncated";
	if (icode_validate((const char *) bytes, (size_t) len, &err) == 0)
		return "A code is not a valid indicator code";
	*code = (const char *) bytes;
	*code_len = len;
	if (p < -1 || p >= i)
		return "A parent index does not name an earlier node";
	*parent = p < 0 ? NULL : codes[p];
	*parent_len = p < 0 ? 0 : lens[p];
	return NULL;
}

static double
read_finite(WireReader *r, bool *ok)
{
	double		d = wire_float8(r);

	if (!isfinite(d))
		*ok = false;
	return d;
}

const char *
fw_wire_decode(const unsigned char *buf, size_t len, FwAlloc alloc,
			   FwNodeSpec **specs_out, int *n_out, int *bad_node)
{
	WireReader	r;
	FwNodeSpec *specs;
	const char **codes;
	int		   *lens;
	const char *problem;
	int			n,
				i;

	*bad_node = 0;
	wire_init(&r, buf, len);
	problem = start_nodes(&r, sizeof(FwNodeSpec), alloc, (void **) &specs, &codes, &lens, &n);
	if (problem != NULL)
		return problem;
	for (i = 0; i < n; i++)
	{
		FwNodeSpec *s = &specs[i];
		int			method,
					missing,
					flags;
		bool		finite = true;

		*bad_node = i + 1;
		problem = read_code_parent(&r, i, codes, lens, &s->code, &s->code_len,
								   &s->parent, &s->parent_len);
		if (problem != NULL)
			return problem;
		codes[i] = s->code;
		lens[i] = s->code_len;
		method = wire_byte(&r);
		missing = wire_byte(&r);
		flags = wire_byte(&r);
		if (!r.ok)
			return "The value is truncated";
		if (method > FW_HMEAN)
			return "Unknown aggregation method";
		s->method = method == 0 ? NULL : fw_method_name(method);
		if (missing > 2)
			return "Unknown missing-value rule";
		s->missing = missing == 0 ? NULL : missing == 1 ? "drop" : "zero";
		if (flags & ~(FW_WIRE_HAS_MAX | FW_WIRE_HAS_WEIGHT | FW_WIRE_HAS_THRESHOLD))
			return "Unknown flags";
		if ((s->has_max = (flags & FW_WIRE_HAS_MAX) != 0))
			s->max_points = read_finite(&r, &finite);
		if ((s->has_weight = (flags & FW_WIRE_HAS_WEIGHT) != 0))
			s->weight = read_finite(&r, &finite);
		if ((s->has_threshold = (flags & FW_WIRE_HAS_THRESHOLD) != 0))
			s->threshold = read_finite(&r, &finite);
		if (!r.ok)
			return "The value is truncated";
		if (!finite)
			return "A number is not finite";
	}
	if ((problem = finish_nodes(&r, bad_node)) != NULL)
		return problem;
	*specs_out = specs;
	*n_out = n;
	return NULL;
}

size_t
sc_wire_size(const Scorecard *sc)
{
	size_t		size = 1 + 4;
	int			i;

	for (i = 0; i < sc->nnodes; i++)
	{
		const ScorecardNode *s = &sc->nodes[i];

		size += 2 + (size_t) s->code_len + 4 + 2 +
			8 * (size_t) count_bits(s->flags & (SC_HAS_VALUE | SC_HAS_POINTS | SC_HAS_MAX)) +
			(s->parent >= 0 ? 8 : 0) + 8;
	}
	return size;
}

void
sc_wire_write(const Scorecard *sc, unsigned char *p)
{
	int			i;

	*p++ = TREE_WIRE_VERSION;
	p = wire_put_uint(p, (uint32_t) sc->nnodes, 4);
	for (i = 0; i < sc->nnodes; i++)
	{
		const ScorecardNode *s = &sc->nodes[i];
		int			flags = s->flags & (SC_HAS_VALUE | SC_HAS_POINTS | SC_HAS_MAX);

		p = wire_put_uint(p, s->code_len, 2);
		memcpy(p, SC_CODE(sc, i), s->code_len);
		p += s->code_len;
		p = wire_put_uint(p, (uint32_t) s->parent, 4);
		*p++ = s->method;
		*p++ = (unsigned char) flags;
		if (flags & SC_HAS_VALUE)
			p = wire_put_float8(p, s->value);
		if (flags & SC_HAS_POINTS)
			p = wire_put_float8(p, s->points);
		if (flags & SC_HAS_MAX)
			p = wire_put_float8(p, s->max_points);
		if (s->parent >= 0)
			p = wire_put_float8(p, s->alpha);
		p = wire_put_uint(p, (uint32_t) s->present, 4);
		p = wire_put_uint(p, (uint32_t) s->expected, 4);
	}
}

const char *
sc_wire_decode(const unsigned char *buf, size_t len, FwAlloc alloc,
			   ScNodeSpec **specs_out, int *n_out, int *bad_node)
{
	WireReader	r;
	ScNodeSpec *specs;
	const char **codes;
	int		   *lens;
	const char *problem;
	int			n,
				i;

	*bad_node = 0;
	wire_init(&r, buf, len);
	problem = start_nodes(&r, sizeof(ScNodeSpec), alloc, (void **) &specs, &codes, &lens, &n);
	if (problem != NULL)
		return problem;
	for (i = 0; i < n; i++)
	{
		ScNodeSpec *s = &specs[i];
		int			method,
					flags;
		bool		finite = true;

		*bad_node = i + 1;
		problem = read_code_parent(&r, i, codes, lens, &s->code, &s->code_len,
								   &s->parent, &s->parent_len);
		if (problem != NULL)
			return problem;
		codes[i] = s->code;
		lens[i] = s->code_len;
		method = wire_byte(&r);
		flags = wire_byte(&r);
		if (!r.ok)
			return "The value is truncated";
		if (method > FW_HMEAN)
			return "Unknown aggregation method";
		if (method != FW_LEAF)
		{
			s->method = fw_method_name(method);
			s->method_len = (int) strlen(s->method);
		}
		if (flags & ~(SC_HAS_VALUE | SC_HAS_POINTS | SC_HAS_MAX))
			return "Unknown flags";
		if ((s->has_value = (flags & SC_HAS_VALUE) != 0))
			s->value = read_finite(&r, &finite);
		if ((s->has_points = (flags & SC_HAS_POINTS) != 0))
			s->points = read_finite(&r, &finite);
		if ((s->has_max = (flags & SC_HAS_MAX) != 0))
			s->max_points = read_finite(&r, &finite);
		if ((s->has_weight = s->parent != NULL))
			s->weight = read_finite(&r, &finite);
		s->has_present = s->has_expected = true;
		s->present = (double) wire_int32(&r);
		s->expected = (double) wire_int32(&r);
		if (!r.ok)
			return "The value is truncated";
		if (!finite)
			return "A number is not finite";
	}
	if ((problem = finish_nodes(&r, bad_node)) != NULL)
		return problem;
	*specs_out = specs;
	*n_out = n;
	return NULL;
}

/* ---------- the hash of a binary form ---------- */

#define HASH_ROT(x, k)	(((x) << (k)) | ((x) >> (32 - (k))))

/* lookup3's mixing of three words, and its final mixing */
static inline void
hash_mix(uint32_t *a, uint32_t *b, uint32_t *c)
{
	*a -= *c;
	*a ^= HASH_ROT(*c, 4);
	*c += *b;
	*b -= *a;
	*b ^= HASH_ROT(*a, 6);
	*a += *c;
	*c -= *b;
	*c ^= HASH_ROT(*b, 8);
	*b += *a;
	*a -= *c;
	*a ^= HASH_ROT(*c, 16);
	*c += *b;
	*b -= *a;
	*b ^= HASH_ROT(*a, 19);
	*a += *c;
	*c -= *b;
	*c ^= HASH_ROT(*b, 4);
	*b += *a;
}

static inline void
hash_final(uint32_t *a, uint32_t *b, uint32_t *c)
{
	*c ^= *b;
	*c -= HASH_ROT(*b, 14);
	*a ^= *c;
	*a -= HASH_ROT(*c, 11);
	*b ^= *a;
	*b -= HASH_ROT(*a, 25);
	*c ^= *b;
	*c -= HASH_ROT(*b, 16);
	*a ^= *c;
	*a -= HASH_ROT(*c, 4);
	*b ^= *a;
	*b -= HASH_ROT(*a, 14);
	*c ^= *b;
	*c -= HASH_ROT(*b, 24);
}

/* The little-endian word of the n (0 to 4) bytes at p, shifted by `shift` bits. */
static inline uint32_t
le_word(const unsigned char *p, size_t n, int shift)
{
	uint32_t	w = 0;
	size_t		i;

	for (i = 0; i < n; i++)
		w |= (uint32_t) p[i] << (8 * i + shift);
	return w;
}

uint64_t
fw_wire_hash(const unsigned char *k, size_t len)
{
	uint32_t	a,
				b,
				c;
	size_t		rest = len;

	a = b = c = 0x9e3779b9u + (uint32_t) len + 3923095u;
	while (rest >= 12)
	{
		a += le_word(k, 4, 0);
		b += le_word(k + 4, 4, 0);
		c += le_word(k + 8, 4, 0);
		hash_mix(&a, &b, &c);
		k += 12;
		rest -= 12;
	}
	/* the last 0 to 11 bytes; the lowest byte of c is left for the length */
	a += le_word(k, rest < 4 ? rest : 4, 0);
	if (rest > 4)
		b += le_word(k + 4, rest < 8 ? rest - 4 : 4, 0);
	if (rest > 8)
		c += le_word(k + 8, rest - 8, 8);
	hash_final(&a, &b, &c);
	return ((uint64_t) b << 32) | c;
}
