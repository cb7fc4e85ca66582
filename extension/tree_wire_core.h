/*-------------------------------------------------------------------------
 *
 * tree_wire_core.h
 *	  The binary forms of frameworks and scorecards (what framework_send and
 *	  scorecard_send write, what the recv functions read), encoded and
 *	  decoded free of any server dependency so that the fuzzers reach the
 *	  very code the server runs.
 *
 * Both forms are portable: integers and float8 in network byte order, as
 * pq_sendint32 and pq_sendfloat8 write them.  A value is
 *
 *	 uint8 version (2), int32 nnodes, then per node in preorder:
 *	   uint16 code length, the code's bytes,
 *	   int32 parent (the index of an earlier node; -1 for the root),
 *	 framework nodes:
 *	   uint8 method (0 not given, 1 points, 2 amean, 3 gmean, 4 hmean),
 *	   uint8 missing (0 not given, 1 drop, 2 zero),
 *	   uint8 flags (1 max points, 2 weight, 4 threshold follow),
 *	   the float8 numbers the flags announce, in that order;
 *	 scorecard nodes:
 *	   uint8 method (0 for a leaf, 1 to 4 as above),
 *	   uint8 flags (SC_HAS_VALUE, SC_HAS_POINTS, SC_HAS_MAX),
 *	   the float8 value, points and max points the flags announce,
 *	   float8 weight (every node but the root),
 *	   int32 present, int32 expected.
 *
 * A framework carries what its text form carries (the numbers a user gave,
 * not the compiled layout), so decoding gives node specifications that
 * fw_compile checks and lays out exactly as text input does; a scorecard's
 * nodes go through sc_build, like its text input.  Version 1 was the text
 * form behind a version byte; the server still reads it (framework.c,
 * scorecard.c).
 *
 * Decoders check every length and index before using it and return NULL,
 * or a static English sentence (no final dot) saying what is wrong, with
 * *bad_node the 1-based node concerned (0 for the whole value).
 *
 *-------------------------------------------------------------------------
 */
#ifndef DTI_TREE_WIRE_CORE_H
#define DTI_TREE_WIRE_CORE_H

#include <stddef.h>
#include <stdint.h>

#include "framework_core.h"

/*
 * The 64-bit hash that names a framework by its binary form (a leaf_vector
 * carries it, on disk and on the wire): Bob Jenkins's lookup3 over the
 * bytes, taken as little-endian 32-bit words, seed 0, the high word b and
 * the low word c, so the same on every platform.  On a little-endian
 * machine it is the value of PostgreSQL's hash_bytes_extended(bytes, len,
 * 0), which dti 0.10.0 and 0.11.0 wrote (that function reads the words in
 * the machine's byte order, so it differs on a big-endian one).
 */
extern uint64_t fw_wire_hash(const unsigned char *k, size_t len);

#define TREE_WIRE_VERSION	2
#define TREE_WIRE_TEXT_VERSION 1	/* the text form behind a version byte */

#define FW_WIRE_HAS_MAX			0x01
#define FW_WIRE_HAS_WEIGHT		0x02
#define FW_WIRE_HAS_THRESHOLD	0x04

/*
 * What the text and binary forms give of node i of a framework: the code,
 * the parent's code, and only the numbers and names a user would have
 * written (a weight equal to the max points is left out, and so on), so
 * that compiling them again gives the same framework.
 */
extern void fw_node_given(const Framework *fw, int i, FwNodeSpec *spec);

/* The size of the binary form of a framework, and writing it there. */
extern size_t fw_wire_size(const Framework *fw);
extern void fw_wire_write(const Framework *fw, unsigned char *out);

/*
 * Decode a framework's binary form (version byte included) into *n node
 * specifications allocated with alloc; codes point into buf.
 */
extern const char *fw_wire_decode(const unsigned char *buf, size_t len,
								  FwAlloc alloc, FwNodeSpec **specs, int *n,
								  int *bad_node);

extern size_t sc_wire_size(const Scorecard *sc);
extern void sc_wire_write(const Scorecard *sc, unsigned char *out);

/* Decode a scorecard's binary form into node specifications for sc_build. */
extern const char *sc_wire_decode(const unsigned char *buf, size_t len,
								  FwAlloc alloc, ScNodeSpec **specs, int *n,
								  int *bad_node);

#endif							/* DTI_TREE_WIRE_CORE_H */
