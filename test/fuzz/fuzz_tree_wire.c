/*
 * fuzz_tree_wire.c
 *	  libFuzzer harness for the binary forms of frameworks and scorecards
 *	  (tree_wire_core.c): the decoders framework_recv and scorecard_recv
 *	  run, followed by what the server does next with the nodes (fw_compile,
 *	  sc_build), then the encoders framework_send and scorecard_send.
 *
 * The first byte picks the type (even: framework, odd: scorecard; with bit
 * 2 set also a rollup_state, rollup_state_decode then the framework it
 * carries, as rollup_state_recv does); the rest is the payload as recv
 * sees it.  What decodes and builds must pass
 * fw_check (frameworks) and survive a round trip: its encoding fills
 * exactly the size the encoder announced and decodes and builds again; a
 * scorecard comes back byte for byte, a framework with the same encoding
 * (a payload may carry numbers the forms leave out, such as the weight of
 * a child of a points node, so the first round may canonicalise).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "framework_core.h"
#include "tree_wire_core.h"

#include "harness.h"

static void
fail(const char *why)
{
	fprintf(stderr, "fuzz_tree_wire: %s\n", why);
	abort();
}

static Framework *
framework_from(const uint8_t *buf, size_t len)
{
	FwNodeSpec *specs;
	FwCompileError err;
	int			n,
				bad;

	if (fw_wire_decode(buf, len, tracked_alloc, &specs, &n, &bad) != NULL)
		return NULL;
	return fw_compile(specs, n, tracked_alloc, &err);
}

static Scorecard *
scorecard_from(const uint8_t *buf, size_t len)
{
	ScNodeSpec *specs;
	const char *problem;
	int			n,
				bad;

	if (sc_wire_decode(buf, len, tracked_alloc, &specs, &n, &bad) != NULL)
		return NULL;
	return sc_build(specs, n, tracked_alloc, &problem, &bad);
}

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] & 2)
	{
		RollupValueView rv;

		if (rollup_state_decode(data + 1, size - 1, &rv) == NULL)
		{
			Framework  *fw;

			if (rv.nleaves < 1 || rv.npresent < 0 || rv.npresent > rv.nleaves ||
				rv.wire < data + 1 || rv.wire + rv.wire_len != data + size ||
				rv.values + 8 * (size_t) rv.npresent != rv.wire)
				fail("rollup_state_decode accepted an inconsistent layout");
			fw = framework_from(rv.wire, rv.wire_len);
			if (fw != NULL && fw_check(fw, fw_varsize(fw)) != NULL)
				fail("the framework of a rollup_state fails fw_check");
		}
	}
	if ((data[0] & 1) == 0)
	{
		Framework  *fw = framework_from(data + 1, size - 1);

		if (fw != NULL)
		{
			size_t		wire = fw_wire_size(fw);
			unsigned char *out = tracked_alloc(wire + 1);
			Framework  *again;

			if (fw_check(fw, fw_varsize(fw)) != NULL)
				fail("a decoded framework fails fw_check");
			out[wire] = 0xA5;
			fw_wire_write(fw, out);
			if (out[wire] != 0xA5)
				fail("fw_wire_write wrote past its size");
			again = framework_from(out, wire);
			if (again == NULL)
				fail("the encoding of a framework does not decode");
			if (fw_wire_size(again) != wire)
				fail("a framework's encoding changes in a round trip");
			else
			{
				unsigned char *out2 = tracked_alloc(wire);

				fw_wire_write(again, out2);
				if (memcmp(out, out2, wire) != 0)
					fail("a framework's encoding changes in a round trip");
			}
		}
	}
	else
	{
		Scorecard  *sc = scorecard_from(data + 1, size - 1);

		if (sc != NULL)
		{
			size_t		wire = sc_wire_size(sc);
			unsigned char *out = tracked_alloc(wire + 1);
			Scorecard  *again;

			out[wire] = 0xA5;
			sc_wire_write(sc, out);
			if (out[wire] != 0xA5)
				fail("sc_wire_write wrote past its size");
			again = scorecard_from(out, wire);
			if (again == NULL || fw_varsize(again) != fw_varsize(sc) ||
				memcmp(again, sc, fw_varsize(sc)) != 0)
				fail("a scorecard does not survive its binary round trip");
		}
	}
	free_blocks();
	return 0;
}
