/*
 * Unit tests for backend/agent_proto.c: chunk framing of encoded messages,
 * encode -> feed round trips under every kind of split (whole, a byte at a
 * time, seeded random pieces, every two-piece split), several messages per
 * feed, interleaved server chunks, dropped messages (bad protocol, oversized,
 * chunk past its message, bad chunk size or port, client disconnected) with
 * the next message still parsed, seeded garbage, and every payload parser on
 * valid input, on every truncation, on count overflows and against its
 * builder, with byte layouts checked against what spice-gtk and spice-vdagentd
 * put on the wire; and the output queue's memory bounds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "agent_proto.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define CHUNK_HDR 8
#define MSG_HDR 20
#define MAX_CHUNK VD_AGENT_MAX_DATA_SIZE

/* Helpers */

struct message {
	uint32_t port, type, size;
	uint8_t *payload;
};

struct collector {
	struct message *msgs;
	size_t n, cap;
	struct spb_agent_parser *reset_parser; // reset from the callback when set
};

static void collect(void *data, uint32_t port, uint32_t type, const uint8_t *payload,
		uint32_t size) {
	struct collector *c = data;
	assert_non_null(payload);
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 8;
		c->msgs = realloc(c->msgs, c->cap * sizeof(*c->msgs));
		assert_non_null(c->msgs);
	}
	struct message *m = &c->msgs[c->n++];
	m->port = port;
	m->type = type;
	m->size = size;
	m->payload = malloc(size > 0 ? size : 1);
	assert_non_null(m->payload);
	memcpy(m->payload, payload, size);
	if (c->reset_parser != NULL) {
		spb_agent_parser_reset(c->reset_parser);
	}
}

static void collector_clear(struct collector *c) {
	for (size_t i = 0; i < c->n; i++) {
		free(c->msgs[i].payload);
	}
	free(c->msgs);
	*c = (struct collector){0};
}

static uint64_t rng_state;

static uint32_t rng(void) {
	// xorshift64*, seeded per test: reproducible
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 2685821657736338717ull) >> 32);
}

static uint8_t *pattern(size_t size, uint32_t seed) {
	uint8_t *p = malloc(size > 0 ? size : 1);
	assert_non_null(p);
	for (size_t i = 0; i < size; i++) {
		p[i] = (uint8_t)(i * 31 + seed + (i >> 8));
	}
	return p;
}

static void put32(uint8_t *p, uint32_t v) {
	p[0] = v & 0xff;
	p[1] = (v >> 8) & 0xff;
	p[2] = (v >> 16) & 0xff;
	p[3] = (v >> 24) & 0xff;
}

static uint32_t get32(const uint8_t *p) {
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* A growable byte string to build streams in. */
struct bytes {
	uint8_t *data;
	size_t len;
};

static void append(struct bytes *b, const void *data, size_t len) {
	b->data = realloc(b->data, b->len + len + 1);
	assert_non_null(b->data);
	if (len > 0) {
		memcpy(b->data + b->len, data, len);
	}
	b->len += len;
}

static void append_chunk_header(struct bytes *b, uint32_t port, uint32_t size) {
	uint8_t h[CHUNK_HDR];
	put32(h, port);
	put32(h + 4, size);
	append(b, h, sizeof(h));
}

static void append_message_header(struct bytes *b, uint32_t protocol, uint32_t type,
		uint32_t size) {
	uint8_t h[MSG_HDR] = {0};
	put32(h, protocol);
	put32(h + 4, type);
	put32(h + 16, size);
	append(b, h, sizeof(h));
}

/* One single-chunk message on port, as spice-server makes its own. */
static void append_single_chunk(struct bytes *b, uint32_t port, uint32_t type,
		const void *payload, uint32_t size) {
	append_chunk_header(b, port, MSG_HDR + size);
	append_message_header(b, VD_AGENT_PROTOCOL, type, size);
	append(b, payload, size);
}

static void append_encoded(struct bytes *b, uint32_t type, const void *payload, uint32_t size) {
	uint8_t *out = NULL;
	size_t out_len = 0;
	assert_true(spb_agent_encode(type, payload, size, &out, &out_len));
	append(b, out, out_len);
	free(out);
}

enum split_mode {
	SPLIT_WHOLE,
	SPLIT_BYTES,
	SPLIT_RANDOM_SMALL, // pieces of 1 .. 16 bytes
	SPLIT_RANDOM_LARGE, // pieces of 1 .. 5000 bytes
};

static void feed_split(struct spb_agent_parser *parser, const uint8_t *buf, size_t len,
		enum split_mode mode, struct collector *c) {
	size_t pos = 0;
	while (pos < len) {
		size_t n;
		switch (mode) {
		case SPLIT_WHOLE:
			n = len - pos;
			break;
		case SPLIT_BYTES:
			n = 1;
			break;
		case SPLIT_RANDOM_SMALL:
			n = 1 + rng() % 16;
			break;
		default:
			n = 1 + rng() % 5000;
			break;
		}
		if (n > len - pos) {
			n = len - pos;
		}
		spb_agent_parser_feed(parser, buf + pos, n, collect, c);
		pos += n;
	}
}

static void assert_message(const struct message *m, uint32_t port, uint32_t type,
		const uint8_t *payload, uint32_t size) {
	assert_int_equal(m->port, port);
	assert_int_equal(m->type, type);
	assert_int_equal(m->size, size);
	if (size > 0) {
		assert_memory_equal(m->payload, payload, size);
	}
}

/* Encoder */

static void test_encode_layout(void **state) {
	const uint8_t payload[] = {1, 2, 3, 4, 5};
	uint8_t *out = NULL;
	size_t len = 0;
	assert_true(spb_agent_encode(VD_AGENT_CLIPBOARD_GRAB, payload, sizeof(payload), &out,
		&len));
	assert_int_equal(len, CHUNK_HDR + MSG_HDR + sizeof(payload));
	assert_int_equal(get32(out), VDP_CLIENT_PORT);
	assert_int_equal(get32(out + 4), MSG_HDR + sizeof(payload));
	assert_int_equal(get32(out + 8), VD_AGENT_PROTOCOL);
	assert_int_equal(get32(out + 12), VD_AGENT_CLIPBOARD_GRAB);
	assert_int_equal(get32(out + 16), 0); // opaque
	assert_int_equal(get32(out + 20), 0);
	assert_int_equal(get32(out + 24), sizeof(payload));
	assert_memory_equal(out + 28, payload, sizeof(payload));
	free(out);
}

static void test_encode_chunking(void **state) {
	const uint32_t sizes[] = {0, 1, 2027, 2028, 2029, 4075, 4076, 4077, 100 * 1024};
	for (size_t s = 0; s < ARRAY_LEN(sizes); s++) {
		uint32_t size = sizes[s];
		uint8_t *payload = pattern(size, s);
		uint8_t *out = NULL;
		size_t len = 0;
		assert_true(spb_agent_encode(42, payload, size, &out, &len));

		size_t message_len = MSG_HDR + size;
		size_t n_chunks = (message_len + MAX_CHUNK - 1) / MAX_CHUNK;
		assert_int_equal(len, message_len + n_chunks * CHUNK_HDR);

		// Walk the chunks: all full but the last, payload bytes in order.
		uint8_t *message = malloc(message_len);
		assert_non_null(message);
		size_t pos = 0, got = 0, chunks = 0;
		while (pos < len) {
			assert_true(len - pos >= CHUNK_HDR);
			uint32_t port = get32(out + pos), csize = get32(out + pos + 4);
			assert_int_equal(port, VDP_CLIENT_PORT);
			assert_true(csize >= 1 && csize <= MAX_CHUNK);
			chunks++;
			if (chunks < n_chunks) {
				assert_int_equal(csize, MAX_CHUNK);
			}
			pos += CHUNK_HDR;
			assert_true(len - pos >= csize);
			memcpy(message + got, out + pos, csize);
			got += csize;
			pos += csize;
		}
		assert_int_equal(chunks, n_chunks);
		assert_int_equal(got, message_len);
		assert_int_equal(get32(message), VD_AGENT_PROTOCOL);
		assert_int_equal(get32(message + 4), 42);
		assert_int_equal(get32(message + 16), size);
		if (size > 0) {
			assert_memory_equal(message + MSG_HDR, payload, size);
		}
		free(message);
		free(out);
		free(payload);
	}
}

static void test_encode_null_payload(void **state) {
	uint8_t *out = NULL;
	size_t len = 0;
	assert_false(spb_agent_encode(1, NULL, 1, &out, &len));
	assert_null(out);
	assert_true(spb_agent_encode(VD_AGENT_CLIENT_DISCONNECTED, NULL, 0, &out, &len));
	assert_int_equal(len, CHUNK_HDR + MSG_HDR);
	free(out);
}

/* Round trips */

/* 2028 + header is exactly one full chunk, 4076 exactly two. */
static const uint32_t roundtrip_sizes[] = {0, 1, 7, 2027, 2028, 2029, 4076, 4077, 100 * 1024};

static void roundtrip(uint32_t size, enum split_mode mode, uint64_t seed) {
	rng_state = seed;
	uint8_t *payload = pattern(size, size);
	struct bytes stream = {0};
	append_encoded(&stream, 0x1234, payload, size);

	struct spb_agent_parser parser;
	spb_agent_parser_init(&parser, 0);
	struct collector c = {0};
	feed_split(&parser, stream.data, stream.len, mode, &c);
	assert_int_equal(c.n, 1);
	assert_message(&c.msgs[0], VDP_CLIENT_PORT, 0x1234, payload, size);
	assert_int_equal(parser.dropped, 0);
	assert_null(parser.last_error);

	collector_clear(&c);
	spb_agent_parser_finish(&parser);
	free(stream.data);
	free(payload);
}

static void test_roundtrip_whole(void **state) {
	for (size_t i = 0; i < ARRAY_LEN(roundtrip_sizes); i++) {
		roundtrip(roundtrip_sizes[i], SPLIT_WHOLE, 1);
	}
}

static void test_roundtrip_bytewise(void **state) {
	for (size_t i = 0; i < ARRAY_LEN(roundtrip_sizes); i++) {
		roundtrip(roundtrip_sizes[i], SPLIT_BYTES, 1);
	}
}

static void test_roundtrip_random_splits(void **state) {
	for (size_t i = 0; i < ARRAY_LEN(roundtrip_sizes); i++) {
		for (uint64_t seed = 1; seed <= 20; seed++) {
			roundtrip(roundtrip_sizes[i], SPLIT_RANDOM_SMALL, seed * 7919);
			roundtrip(roundtrip_sizes[i], SPLIT_RANDOM_LARGE, seed * 104729);
		}
	}
}

/* Every split of the stream into two feeds, for sizes around the chunk boundaries. */
static void test_roundtrip_every_split_point(void **state) {
	const uint32_t sizes[] = {0, 5, 2028, 2029, 4076};
	for (size_t s = 0; s < ARRAY_LEN(sizes); s++) {
		uint8_t *payload = pattern(sizes[s], 3);
		struct bytes stream = {0};
		append_encoded(&stream, 9, payload, sizes[s]);
		for (size_t split = 0; split <= stream.len; split++) {
			struct spb_agent_parser parser;
			spb_agent_parser_init(&parser, 0);
			struct collector c = {0};
			spb_agent_parser_feed(&parser, stream.data, split, collect, &c);
			spb_agent_parser_feed(&parser, stream.data + split, stream.len - split,
				collect, &c);
			assert_int_equal(c.n, 1);
			assert_message(&c.msgs[0], VDP_CLIENT_PORT, 9, payload, sizes[s]);
			assert_int_equal(parser.dropped, 0);
			collector_clear(&c);
			spb_agent_parser_finish(&parser);
		}
		free(stream.data);
		free(payload);
	}
}

static void test_two_messages_one_feed(void **state) {
	uint8_t *a = pattern(10, 1), *b = pattern(3000, 2);
	struct bytes stream = {0};
	append_encoded(&stream, 1, a, 10);
	append_encoded(&stream, 2, b, 3000);

	for (int mode = SPLIT_WHOLE; mode <= SPLIT_RANDOM_LARGE; mode++) {
		rng_state = 99;
		struct spb_agent_parser parser;
		spb_agent_parser_init(&parser, 0);
		struct collector c = {0};
		feed_split(&parser, stream.data, stream.len, mode, &c);
		assert_int_equal(c.n, 2);
		assert_message(&c.msgs[0], VDP_CLIENT_PORT, 1, a, 10);
		assert_message(&c.msgs[1], VDP_CLIENT_PORT, 2, b, 3000);
		collector_clear(&c);
		spb_agent_parser_finish(&parser);
	}

	// a whole message and the start of the next in one feed
	struct spb_agent_parser parser;
	spb_agent_parser_init(&parser, 0);
	struct collector c = {0};
	size_t first = CHUNK_HDR + MSG_HDR + 10 + 100;
	spb_agent_parser_feed(&parser, stream.data, first, collect, &c);
	assert_int_equal(c.n, 1);
	spb_agent_parser_feed(&parser, stream.data + first, stream.len - first, collect, &c);
	assert_int_equal(c.n, 2);
	assert_message(&c.msgs[1], VDP_CLIENT_PORT, 2, b, 3000);
	collector_clear(&c);
	spb_agent_parser_finish(&parser);

	free(stream.data);
	free(a);
	free(b);
}

static void test_zero_size_message(void **state) {
	struct bytes stream = {0};
	append_single_chunk(&stream, VDP_CLIENT_PORT, VD_AGENT_CLIPBOARD_RELEASE, NULL, 0);
	struct spb_agent_parser parser;
	spb_agent_parser_init(&parser, 0);
	struct collector c = {0};
	spb_agent_parser_feed(&parser, stream.data, stream.len, collect, &c);
	assert_int_equal(c.n, 1); // collect() asserts payload != NULL
	assert_message(&c.msgs[0], VDP_CLIENT_PORT, VD_AGENT_CLIPBOARD_RELEASE, NULL, 0);
	collector_clear(&c);
	spb_agent_parser_finish(&parser);
	free(stream.data);
}

/* Dropped input, and the next message still parsed */

static void test_bad_protocol_dropped(void **state) {
	const uint8_t good[] = {7, 7, 7};
	struct bytes stream = {0};
	append_chunk_header(&stream, VDP_CLIENT_PORT, MSG_HDR + 4);
	append_message_header(&stream, 2, VD_AGENT_CLIPBOARD, 4);
	append(&stream, "abcd", 4);
	append_encoded(&stream, VD_AGENT_CLIPBOARD, good, sizeof(good));

	for (int mode = SPLIT_WHOLE; mode <= SPLIT_BYTES; mode++) {
		struct spb_agent_parser parser;
		spb_agent_parser_init(&parser, 0);
		struct collector c = {0};
		feed_split(&parser, stream.data, stream.len, mode, &c);
		assert_int_equal(c.n, 1);
		assert_message(&c.msgs[0], VDP_CLIENT_PORT, VD_AGENT_CLIPBOARD, good, sizeof(good));
		assert_int_equal(parser.dropped, 1);
		assert_non_null(parser.last_error);
		collector_clear(&c);
		spb_agent_parser_finish(&parser);
	}
	free(stream.data);
}

/* A multi-chunk message with a bad protocol: every chunk of it is dropped. */
static void test_bad_protocol_multi_chunk(void **state) {
	uint8_t *junk = malloc(5000);
	assert_non_null(junk);
	memset(junk, 0xaa, 5000);
	uint8_t *out = NULL;
	size_t len = 0;
	assert_true(spb_agent_encode(VD_AGENT_CLIPBOARD, junk, 5000, &out, &len));
	put32(out + CHUNK_HDR, 0); // protocol of the first chunk
	struct bytes stream = {0};
	append(&stream, out, len);
	append_encoded(&stream, VD_AGENT_CLIPBOARD, "ok", 2);

	struct spb_agent_parser parser;
	spb_agent_parser_init(&parser, 0);
	struct collector c = {0};
	spb_agent_parser_feed(&parser, stream.data, stream.len, collect, &c);
	assert_int_equal(c.n, 1);
	assert_message(&c.msgs[0], VDP_CLIENT_PORT, VD_AGENT_CLIPBOARD, (const uint8_t *)"ok", 2);
	assert_int_equal(parser.dropped, 3); // three chunks, none starting with protocol 1
	collector_clear(&c);
	spb_agent_parser_finish(&parser);
	free(stream.data);
	free(out);
	free(junk);
}

static void test_oversized_skipped(void **state) {
	const size_t max = 1024;
	uint8_t *big = pattern(5000, 1), *edge = pattern(max + 1, 2), *small = pattern(100, 3);
	struct bytes stream = {0};
	append_encoded(&stream, 1, big, 5000);
	append_encoded(&stream, 2, small, 100);
	append_encoded(&stream, 3, edge, max + 1); // one byte over: skipped
	append_encoded(&stream, 4, edge, max); // exactly the limit: kept

	for (int mode = SPLIT_WHOLE; mode <= SPLIT_RANDOM_LARGE; mode++) {
		rng_state = 5;
		struct spb_agent_parser parser;
		spb_agent_parser_init(&parser, max);
		struct collector c = {0};
		feed_split(&parser, stream.data, stream.len, mode, &c);
		assert_int_equal(c.n, 2);
		assert_message(&c.msgs[0], VDP_CLIENT_PORT, 2, small, 100);
		assert_message(&c.msgs[1], VDP_CLIENT_PORT, 4, edge, max);
		assert_int_equal(parser.dropped, 2);
		assert_non_null(parser.last_error);
		// nothing larger than max was ever buffered
		assert_true(parser.ports[0].cap <= max);
		collector_clear(&c);
		spb_agent_parser_finish(&parser);
	}
	free(stream.data);
	free(big);
	free(edge);
	free(small);
}

/* A header claiming UINT32_MAX bytes: skipped chunk after chunk, never buffered. */
static void test_huge_size_header(void **state) {
	uint8_t filler[MAX_CHUNK];
	memset(filler, 0x55, sizeof(filler));
	const uint8_t mouse[13] = {1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0};

	struct bytes stream = {0};
	append_chunk_header(&stream, VDP_CLIENT_PORT, MSG_HDR);
	append_message_header(&stream, VD_AGENT_PROTOCOL, VD_AGENT_CLIPBOARD, UINT32_MAX);
	for (int i = 0; i < 3; i++) {
		append_chunk_header(&stream, VDP_CLIENT_PORT, sizeof(filler));
		append(&stream, filler, sizeof(filler));
		append_single_chunk(&stream, VDP_SERVER_PORT, VD_AGENT_MOUSE_STATE, mouse,
			sizeof(mouse));
	}

	struct spb_agent_parser parser;
	spb_agent_parser_init(&parser, 0);
	struct collector c = {0};
	spb_agent_parser_feed(&parser, stream.data, stream.len, collect, &c);
	assert_int_equal(c.n, 3);
	for (size_t i = 0; i < c.n; i++) {
		assert_message(&c.msgs[i], VDP_SERVER_PORT, VD_AGENT_MOUSE_STATE, mouse,
			sizeof(mouse));
	}
	assert_int_equal(parser.dropped, 1);
	assert_int_equal(parser.ports[0].cap, 0);

	// a reset (as on client disconnect) ends the skipping
	spb_agent_parser_reset(&parser);
	struct bytes next = {0};
	append_encoded(&next, 5, "xyz", 3);
	spb_agent_parser_feed(&parser, next.data, next.len, collect, &c);
	assert_int_equal(c.n, 4);
	assert_message(&c.msgs[3], VDP_CLIENT_PORT, 5, (const uint8_t *)"xyz", 3);

	collector_clear(&c);
	spb_agent_parser_finish(&parser);
	free(stream.data);
	free(next.data);
}

static void test_bad_chunk_size(void **state) {
	const uint32_t bad_sizes[] = {0, MAX_CHUNK + 1, 0x10000, UINT32_MAX};
	for (size_t i = 0; i < ARRAY_LEN(bad_sizes); i++) {
		struct bytes stream = {0};
		// a partial client message, then a chunk header with a bad size
		append_chunk_header(&stream, VDP_CLIENT_PORT, MAX_CHUNK);
		append_message_header(&stream, VD_AGENT_PROTOCOL, 1, 3000);
		uint8_t *fill = pattern(MAX_CHUNK - MSG_HDR, 0);
		append(&stream, fill, MAX_CHUNK - MSG_HDR);
		free(fill);
		append_chunk_header(&stream, VDP_CLIENT_PORT, bad_sizes[i]);
		append_encoded(&stream, 6, "hello", 5);

		for (int mode = SPLIT_WHOLE; mode <= SPLIT_BYTES; mode++) {
			struct spb_agent_parser parser;
			spb_agent_parser_init(&parser, 0);
			struct collector c = {0};
			feed_split(&parser, stream.data, stream.len, mode, &c);
			assert_int_equal(c.n, 1);
			assert_message(&c.msgs[0], VDP_CLIENT_PORT, 6, (const uint8_t *)"hello", 5);
			assert_int_equal(parser.dropped, 1);
			collector_clear(&c);
			spb_agent_parser_finish(&parser);
		}
		free(stream.data);
	}
}

static void test_bad_chunk_port(void **state) {
	const uint32_t bad_ports[] = {0, VDP_END_PORT, 0x100, UINT32_MAX};
	struct bytes stream = {0};
	for (size_t i = 0; i < ARRAY_LEN(bad_ports); i++) {
		append_chunk_header(&stream, bad_ports[i], 30);
		append_message_header(&stream, VD_AGENT_PROTOCOL, 1, 10);
		append(&stream, "0123456789", 10);
	}
	append_encoded(&stream, 6, "hello", 5);

	for (int mode = SPLIT_WHOLE; mode <= SPLIT_BYTES; mode++) {
		struct spb_agent_parser parser;
		spb_agent_parser_init(&parser, 0);
		struct collector c = {0};
		feed_split(&parser, stream.data, stream.len, mode, &c);
		assert_int_equal(c.n, 1);
		assert_message(&c.msgs[0], VDP_CLIENT_PORT, 6, (const uint8_t *)"hello", 5);
		assert_int_equal(parser.dropped, ARRAY_LEN(bad_ports));
		collector_clear(&c);
		spb_agent_parser_finish(&parser);
	}
	free(stream.data);
}

static void test_truncated_then_reset(void **state) {
	struct bytes stream = {0};
	append_encoded(&stream, 6, "hello", 5);
	// every truncation of the stream: nothing delivered, and a reset recovers
	for (size_t cut = 0; cut < stream.len; cut++) {
		struct spb_agent_parser parser;
		spb_agent_parser_init(&parser, 0);
		struct collector c = {0};
		spb_agent_parser_feed(&parser, stream.data, cut, collect, &c);
		assert_int_equal(c.n, 0);
		spb_agent_parser_reset(&parser);
		spb_agent_parser_feed(&parser, stream.data, stream.len, collect, &c);
		assert_int_equal(c.n, 1);
		assert_message(&c.msgs[0], VDP_CLIENT_PORT, 6, (const uint8_t *)"hello", 5);
		assert_int_equal(parser.dropped, 0);
		collector_clear(&c);
		spb_agent_parser_finish(&parser);
	}
	free(stream.data);
}

static void test_chunk_past_message(void **state) {
	struct bytes stream = {0};
	// single chunk with 10 payload bytes for a 4-byte message
	append_chunk_header(&stream, VDP_CLIENT_PORT, MSG_HDR + 10);
	append_message_header(&stream, VD_AGENT_PROTOCOL, 1, 4);
	append(&stream, "0123456789", 10);
	// second chunk of a 3000-byte message claiming more than the 972 bytes left
	append_chunk_header(&stream, VDP_CLIENT_PORT, MAX_CHUNK);
	append_message_header(&stream, VD_AGENT_PROTOCOL, 2, 3000);
	uint8_t *fill = pattern(MAX_CHUNK, 1);
	append(&stream, fill, MAX_CHUNK - MSG_HDR);
	append_chunk_header(&stream, VDP_CLIENT_PORT, 1000);
	append(&stream, fill, 1000);
	free(fill);
	append_encoded(&stream, 6, "hello", 5);

	for (int mode = SPLIT_WHOLE; mode <= SPLIT_BYTES; mode++) {
		struct spb_agent_parser parser;
		spb_agent_parser_init(&parser, 0);
		struct collector c = {0};
		feed_split(&parser, stream.data, stream.len, mode, &c);
		assert_int_equal(c.n, 1);
		assert_message(&c.msgs[0], VDP_CLIENT_PORT, 6, (const uint8_t *)"hello", 5);
		assert_int_equal(parser.dropped, 2);
		collector_clear(&c);
		spb_agent_parser_finish(&parser);
	}
	free(stream.data);
}

/* The message header itself may be cut between two chunks. */
static void test_header_across_chunks(void **state) {
	struct bytes header = {0};
	append_message_header(&header, VD_AGENT_PROTOCOL, 77, 4);
	struct bytes stream = {0};
	append_chunk_header(&stream, VDP_CLIENT_PORT, 10);
	append(&stream, header.data, 10);
	append_chunk_header(&stream, VDP_CLIENT_PORT, 10 + 4);
	append(&stream, header.data + 10, 10);
	append(&stream, "wxyz", 4);

	struct spb_agent_parser parser;
	spb_agent_parser_init(&parser, 0);
	struct collector c = {0};
	feed_split(&parser, stream.data, stream.len, SPLIT_BYTES, &c);
	assert_int_equal(c.n, 1);
	assert_message(&c.msgs[0], VDP_CLIENT_PORT, 77, (const uint8_t *)"wxyz", 4);
	collector_clear(&c);
	spb_agent_parser_finish(&parser);
	free(stream.data);
	free(header.data);
}

/* spice-server may put its own chunks between two chunks of a client message. */
static void test_interleaved_server_chunks(void **state) {
	uint8_t *payload = pattern(5000, 4);
	uint8_t *out = NULL;
	size_t len = 0;
	assert_true(spb_agent_encode(VD_AGENT_CLIPBOARD, payload, 5000, &out, &len));
	const uint8_t mouse[13] = {10, 0, 0, 0, 20, 0, 0, 0, 2, 0, 0, 0, 0};

	// chunk 1, mouse, chunk 2, mouse, chunk 3
	struct bytes stream = {0};
	size_t first = CHUNK_HDR + MAX_CHUNK;
	append(&stream, out, first);
	append_single_chunk(&stream, VDP_SERVER_PORT, VD_AGENT_MOUSE_STATE, mouse, sizeof(mouse));
	append(&stream, out + first, first);
	append_single_chunk(&stream, VDP_SERVER_PORT, VD_AGENT_MOUSE_STATE, mouse, sizeof(mouse));
	append(&stream, out + 2 * first, len - 2 * first);

	for (int mode = SPLIT_WHOLE; mode <= SPLIT_RANDOM_LARGE; mode++) {
		rng_state = 17;
		struct spb_agent_parser parser;
		spb_agent_parser_init(&parser, 0);
		struct collector c = {0};
		feed_split(&parser, stream.data, stream.len, mode, &c);
		assert_int_equal(c.n, 3);
		assert_message(&c.msgs[0], VDP_SERVER_PORT, VD_AGENT_MOUSE_STATE, mouse,
			sizeof(mouse));
		assert_message(&c.msgs[1], VDP_SERVER_PORT, VD_AGENT_MOUSE_STATE, mouse,
			sizeof(mouse));
		assert_message(&c.msgs[2], VDP_CLIENT_PORT, VD_AGENT_CLIPBOARD, payload, 5000);
		assert_int_equal(parser.dropped, 0);
		collector_clear(&c);
		spb_agent_parser_finish(&parser);
	}
	free(stream.data);
	free(out);
	free(payload);
}

/* VD_AGENT_CLIENT_DISCONNECTED in the middle of a client message drops that message. */
static void test_client_disconnected_mid_message(void **state) {
	uint8_t *payload = pattern(5000, 4);
	uint8_t *out = NULL;
	size_t len = 0;
	assert_true(spb_agent_encode(VD_AGENT_CLIPBOARD, payload, 5000, &out, &len));

	struct bytes stream = {0};
	append(&stream, out, CHUNK_HDR + MAX_CHUNK); // first chunk only
	append_single_chunk(&stream, VDP_SERVER_PORT, VD_AGENT_CLIENT_DISCONNECTED, NULL, 0);
	append(&stream, out, len); // the new client sends it whole

	struct spb_agent_parser parser;
	spb_agent_parser_init(&parser, 0);
	struct collector c = {0};
	spb_agent_parser_feed(&parser, stream.data, stream.len, collect, &c);
	assert_int_equal(c.n, 2);
	assert_message(&c.msgs[0], VDP_SERVER_PORT, VD_AGENT_CLIENT_DISCONNECTED, NULL, 0);
	assert_message(&c.msgs[1], VDP_CLIENT_PORT, VD_AGENT_CLIPBOARD, payload, 5000);
	assert_int_equal(parser.dropped, 1);
	collector_clear(&c);
	spb_agent_parser_finish(&parser);
	free(stream.data);
	free(out);
	free(payload);
}

/* Server messages are capped at one chunk's worth whatever max_message is. */
static void test_server_message_too_large(void **state) {
	struct bytes stream = {0};
	append_chunk_header(&stream, VDP_SERVER_PORT, MAX_CHUNK);
	append_message_header(&stream, VD_AGENT_PROTOCOL, VD_AGENT_GRAPHICS_DEVICE_INFO, 3000);
	uint8_t *fill = pattern(MAX_CHUNK, 9);
	append(&stream, fill, MAX_CHUNK - MSG_HDR);
	append_chunk_header(&stream, VDP_SERVER_PORT, 3000 - (MAX_CHUNK - MSG_HDR));
	append(&stream, fill, 3000 - (MAX_CHUNK - MSG_HDR));
	free(fill);
	append_single_chunk(&stream, VDP_SERVER_PORT, VD_AGENT_CLIENT_DISCONNECTED, NULL, 0);

	struct spb_agent_parser parser;
	spb_agent_parser_init(&parser, 0);
	struct collector c = {0};
	spb_agent_parser_feed(&parser, stream.data, stream.len, collect, &c);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.msgs[0].type, VD_AGENT_CLIENT_DISCONNECTED);
	assert_int_equal(parser.dropped, 1);
	assert_int_equal(parser.ports[1].cap, 0);
	collector_clear(&c);
	spb_agent_parser_finish(&parser);
	free(stream.data);
}

static void test_reset_from_callback(void **state) {
	uint8_t *big = pattern(3000, 1);
	struct bytes stream = {0};
	append_encoded(&stream, 1, "a", 1);
	append_encoded(&stream, 2, big, 3000);
	append_encoded(&stream, 3, "c", 1);

	struct spb_agent_parser parser;
	spb_agent_parser_init(&parser, 0);
	struct collector c = {.reset_parser = &parser};
	spb_agent_parser_feed(&parser, stream.data, stream.len, collect, &c);
	assert_int_equal(c.n, 3);
	assert_message(&c.msgs[1], VDP_CLIENT_PORT, 2, big, 3000);
	assert_message(&c.msgs[2], VDP_CLIENT_PORT, 3, (const uint8_t *)"c", 1);
	assert_int_equal(parser.dropped, 0);
	collector_clear(&c);
	spb_agent_parser_finish(&parser);
	free(stream.data);
	free(big);
}

/*
 * Seeded garbage fed in random pieces: valid messages mixed with random bytes,
 * random chunks and corrupted messages. No crash, bounded buffers, some
 * messages still get through, and a reset recovers.
 */
static void test_random_garbage(void **state) {
	const size_t max = 64 * 1024;
	uint8_t *fill = pattern(8000, 0);
	for (uint64_t seed = 1; seed <= 4; seed++) {
		rng_state = seed * 0x9e3779b97f4a7c15ull;
		struct bytes stream = {0};
		for (int item = 0; item < 2000; item++) {
			uint32_t kind = rng() % 8, size = rng() % 6000;
			uint8_t junk[64];
			switch (kind) {
			case 0:
				for (size_t i = 0; i < sizeof(junk); i++) {
					junk[i] = (uint8_t)rng();
				}
				append(&stream, junk, 1 + rng() % sizeof(junk));
				break;
			case 5:
				size = rng() % (MAX_CHUNK + 2);
				append_chunk_header(&stream, rng() % 4, size);
				append(&stream, fill, size);
				break;
			case 6:
				append_single_chunk(&stream, VDP_SERVER_PORT, VD_AGENT_MOUSE_STATE, fill,
					13);
				break;
			default: {
				// a valid message; corrupted by one byte for kind 7
				size_t at = stream.len;
				append_encoded(&stream, rng() % 20, fill, size);
				if (kind == 7) {
					stream.data[at + rng() % (stream.len - at)] ^= (uint8_t)(1 + rng() % 255);
				}
				break;
			}
			}
		}

		struct spb_agent_parser parser;
		spb_agent_parser_init(&parser, max);
		struct collector c = {0};
		feed_split(&parser, stream.data, stream.len, SPLIT_RANDOM_LARGE, &c);
		assert_true(parser.ports[0].cap <= max);
		assert_true(parser.ports[1].cap <= MAX_CHUNK);
		assert_true(c.n > 100);
		assert_true(parser.dropped > 100);
		for (size_t i = 0; i < c.n; i++) {
			assert_true(c.msgs[i].size <= max);
		}
		collector_clear(&c);
		free(stream.data);

		spb_agent_parser_reset(&parser);
		struct bytes next = {0};
		append_encoded(&next, 5, "xyz", 3);
		spb_agent_parser_feed(&parser, next.data, next.len, collect, &c);
		assert_int_equal(c.n, 1);
		assert_message(&c.msgs[0], VDP_CLIENT_PORT, 5, (const uint8_t *)"xyz", 3);
		collector_clear(&c);
		free(next.data);
		spb_agent_parser_finish(&parser);
	}
	free(fill);
}

/* Monitors config */

static size_t put_monitor(uint8_t *p, uint32_t w, uint32_t h, int32_t x, int32_t y) {
	// VDAgentMonConfig: height, width, depth, x, y
	put32(p, h);
	put32(p + 4, w);
	put32(p + 8, 32);
	put32(p + 12, (uint32_t)x);
	put32(p + 16, (uint32_t)y);
	return 20;
}

static void test_parse_monitors(void **state) {
	uint8_t buf[8 + 2 * 20];
	put32(buf, 2);
	put32(buf + 4, VD_AGENT_CONFIG_MONITORS_FLAG_USE_POS);
	put_monitor(buf + 8, 1024, 768, 0, 0);
	put_monitor(buf + 28, 1920, 1080, 1024, -10);

	// the same layout as the packed structs of vd_agent.h
	VDAgentMonConfig mon;
	memcpy(&mon, buf + 28, sizeof(mon));
	assert_int_equal(mon.width, 1920);
	assert_int_equal(mon.height, 1080);
	assert_int_equal(mon.y, -10);

	struct spb_agent_monitor out[4];
	uint32_t count = 99, flags = 99;
	assert_true(spb_agent_parse_monitors(buf, sizeof(buf), 4, out, &count, &flags));
	assert_int_equal(count, 2);
	assert_int_equal(flags, VD_AGENT_CONFIG_MONITORS_FLAG_USE_POS);
	assert_int_equal(out[0].width, 1024);
	assert_int_equal(out[0].height, 768);
	assert_int_equal(out[0].x, 0);
	assert_int_equal(out[0].y, 0);
	assert_int_equal(out[1].width, 1920);
	assert_int_equal(out[1].height, 1080);
	assert_int_equal(out[1].x, 1024);
	assert_int_equal(out[1].y, -10);

	// trailing bytes are ignored
	uint8_t longer[sizeof(buf) + 3] = {0};
	memcpy(longer, buf, sizeof(buf));
	assert_true(spb_agent_parse_monitors(longer, sizeof(longer), 4, out, &count, NULL));
	assert_int_equal(count, 2);

	// every truncation is rejected and writes nothing
	for (uint32_t size = 0; size < sizeof(buf); size++) {
		count = 99;
		flags = 99;
		out[0].width = 7;
		assert_false(spb_agent_parse_monitors(buf, size, 4, out, &count, &flags));
		assert_int_equal(count, 99);
		assert_int_equal(flags, 99);
		assert_int_equal(out[0].width, 7);
	}

	// no monitors at all is valid
	uint8_t empty[8] = {0};
	assert_true(spb_agent_parse_monitors(empty, sizeof(empty), 4, out, &count, &flags));
	assert_int_equal(count, 0);
}

/* With FLAG_PHYSICAL_SIZE (spice-gtk always sets it) a VDAgentMonitorMM per monitor follows. */
static void test_parse_monitors_physical_size(void **state) {
	uint8_t buf[8 + 2 * 20 + 2 * 4];
	put32(buf, 2);
	put32(buf + 4, VD_AGENT_CONFIG_MONITORS_FLAG_USE_POS |
		VD_AGENT_CONFIG_MONITORS_FLAG_PHYSICAL_SIZE);
	put_monitor(buf + 8, 800, 600, 0, 0);
	put_monitor(buf + 28, 640, 480, 800, 0);
	// VDAgentMonitorMM: height, then width, 16 bits each
	const uint8_t mm[8] = { 0x2c, 0x01, 0x10, 0x02, 0xc8, 0x00, 0x2c, 0x01 };
	memcpy(buf + 48, mm, sizeof(mm));

	struct spb_agent_monitor out[2];
	uint32_t count = 0, flags = 0;
	assert_true(spb_agent_parse_monitors(buf, sizeof(buf), 2, out, &count, &flags));
	assert_int_equal(count, 2);
	assert_true(flags & VD_AGENT_CONFIG_MONITORS_FLAG_PHYSICAL_SIZE);
	assert_int_equal(out[1].width, 640);
	assert_int_equal(out[1].x, 800);
	assert_int_equal(out[0].width_mm, 528);
	assert_int_equal(out[0].height_mm, 300);
	assert_int_equal(out[1].width_mm, 300);
	assert_int_equal(out[1].height_mm, 200);
	// Only the first monitor wanted: its size is still found past all monitors.
	assert_true(spb_agent_parse_monitors(buf, sizeof(buf), 1, out, &count, &flags));
	assert_int_equal(out[0].width_mm, 528);
	for (uint32_t size = 0; size < sizeof(buf); size++) {
		assert_false(spb_agent_parse_monitors(buf, size, 2, out, &count, &flags));
	}
}

static void test_parse_monitors_count_overflow(void **state) {
	// counts whose byte size wraps 32 bits (0x0ccccccd * 20 = 2^32 + 4,
	// 0x0aaaaaab * 24 = 2^32 + 8) or is just enormous
	const struct {
		uint32_t n, flags;
	} cases[] = {
		{0x40000000, 0},
		{0xffffffff, 0},
		{0x0ccccccd, 0},
		{0x0ccccccc, 0},
		{0x0aaaaaab, VD_AGENT_CONFIG_MONITORS_FLAG_PHYSICAL_SIZE},
		{0xffffffff, VD_AGENT_CONFIG_MONITORS_FLAG_PHYSICAL_SIZE},
		{3, 0}, // 3 monitors announced, 2 present
	};
	uint8_t buf[8 + 2 * 20 + 8] = {0};
	put_monitor(buf + 8, 1, 1, 0, 0);
	put_monitor(buf + 28, 1, 1, 0, 0);
	struct spb_agent_monitor out[4];
	uint32_t count = 99;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		put32(buf, cases[i].n);
		put32(buf + 4, cases[i].flags);
		assert_false(spb_agent_parse_monitors(buf, sizeof(buf), 4, out, &count, NULL));
		assert_int_equal(count, 99);
		uint64_t element = 20 + (cases[i].flags ? 4 : 0);
		if (8 + cases[i].n * element > UINT32_MAX) {
			// a claimed size of UINT32_MAX must not help: only the header is read
			assert_false(spb_agent_parse_monitors(buf, UINT32_MAX, 4, out, &count,
				NULL));
		}
	}
}

static void test_parse_monitors_max(void **state) {
	uint8_t buf[8 + 3 * 20];
	put32(buf, 3);
	put32(buf + 4, 0);
	put_monitor(buf + 8, 100, 100, 0, 0);
	put_monitor(buf + 28, 200, 200, 100, 0);
	put_monitor(buf + 48, 300, 300, 300, 0);

	struct spb_agent_monitor out[3] = {{0}};
	out[1].width = 12345;
	uint32_t count = 0;
	assert_true(spb_agent_parse_monitors(buf, sizeof(buf), 1, out, &count, NULL));
	assert_int_equal(count, 1);
	assert_int_equal(out[0].width, 100);
	assert_int_equal(out[1].width, 12345);

	assert_true(spb_agent_parse_monitors(buf, sizeof(buf), 0, NULL, &count, NULL));
	assert_int_equal(count, 0);
	assert_false(spb_agent_parse_monitors(buf, sizeof(buf), 1, NULL, &count, NULL));
}

/* Capabilities */

static void test_parse_caps(void **state) {
	uint32_t words[VD_AGENT_CAPS_SIZE] = {0};
	VD_AGENT_SET_CAPABILITY(words, VD_AGENT_CAP_CLIPBOARD_BY_DEMAND);
	VD_AGENT_SET_CAPABILITY(words, VD_AGENT_CAP_CLIPBOARD_SELECTION);
	VD_AGENT_SET_CAPABILITY(words, VD_AGENT_CAP_CLIPBOARD_GRAB_SERIAL);

	uint8_t *payload = NULL;
	uint32_t size = 0;
	assert_true(spb_agent_build_caps(words, VD_AGENT_CAPS_SIZE, true, &payload, &size));
	assert_int_equal(size, 4 + 4 * VD_AGENT_CAPS_SIZE);
	assert_int_equal(get32(payload), 1);

	uint32_t caps[VD_AGENT_CAPS_SIZE + 2];
	bool request = false;
	memset(caps, 0xff, sizeof(caps));
	assert_true(spb_agent_parse_caps(payload, size, caps, ARRAY_LEN(caps), &request));
	assert_true(request);
	assert_memory_equal(caps, words, sizeof(words));
	// missing words are zero
	assert_int_equal(caps[VD_AGENT_CAPS_SIZE], 0);
	assert_int_equal(caps[VD_AGENT_CAPS_SIZE + 1], 0);
	assert_true(VD_AGENT_HAS_CAPABILITY(caps, VD_AGENT_CAPS_SIZE,
		VD_AGENT_CAP_CLIPBOARD_GRAB_SERIAL));
	assert_false(VD_AGENT_HAS_CAPABILITY(caps, VD_AGENT_CAPS_SIZE, VD_AGENT_CAP_REPLY));

	// fewer words wanted than sent: the rest are ignored
	uint32_t one = 0;
	assert_true(spb_agent_parse_caps(payload, size, &one, 1, NULL));
	assert_int_equal(one, words[0]);

	// too short for the request field
	for (uint32_t s = 0; s < 4; s++) {
		request = false;
		assert_false(spb_agent_parse_caps(payload, s, caps, ARRAY_LEN(caps), &request));
		assert_false(request);
	}
	// only the request field: every cap is off
	assert_true(spb_agent_parse_caps(payload, 4, caps, ARRAY_LEN(caps), &request));
	assert_int_equal(caps[0], 0);
	free(payload);

	// a trailing partial word is ignored; request is any non-zero value
	uint8_t odd[4 + 4 + 2] = {2, 0, 0, 0, 0x21, 0, 0, 0, 0xff, 0xff};
	assert_true(spb_agent_parse_caps(odd, sizeof(odd), caps, ARRAY_LEN(caps), &request));
	assert_true(request);
	assert_int_equal(caps[0], 0x21);
	assert_int_equal(caps[1], 0);

	assert_true(spb_agent_build_caps(NULL, 0, false, &payload, &size));
	assert_int_equal(size, 4);
	assert_true(spb_agent_parse_caps(payload, size, caps, ARRAY_LEN(caps), &request));
	assert_false(request);
	free(payload);
	assert_false(spb_agent_build_caps(NULL, 1, false, &payload, &size));
	assert_false(spb_agent_build_caps(words, (size_t)UINT32_MAX / 4, false, &payload,
		&size));
}

/* Clipboard */

/* The exact bytes spice-gtk and spice-vdagentd send, for each framing. */
static void test_grab_wire_layout(void **state) {
	const uint32_t types[] = {VD_AGENT_CLIPBOARD_UTF8_TEXT, VD_AGENT_CLIPBOARD_IMAGE_PNG};
	const uint8_t both[] = {
		1, 0, 0, 0, // selection PRIMARY + 3 reserved
		0x44, 0x33, 0x22, 0x11, // serial
		1, 0, 0, 0, 2, 0, 0, 0, // types
	};
	const uint8_t plain[] = {1, 0, 0, 0, 2, 0, 0, 0};

	uint8_t *out = NULL;
	uint32_t size = 0;
	assert_true(spb_agent_build_grab(true, VD_AGENT_CLIPBOARD_SELECTION_PRIMARY, true,
		0x11223344, types, 2, &out, &size));
	assert_int_equal(size, sizeof(both));
	assert_memory_equal(out, both, sizeof(both));
	free(out);

	assert_true(spb_agent_build_grab(false, VD_AGENT_CLIPBOARD_SELECTION_CLIPBOARD, false,
		0, types, 2, &out, &size));
	assert_int_equal(size, sizeof(plain));
	assert_memory_equal(out, plain, sizeof(plain));
	free(out);

	const uint8_t clip[] = {2, 0, 0, 0, 1, 0, 0, 0, 'h', 'i'};
	assert_true(spb_agent_build_clipboard(true, VD_AGENT_CLIPBOARD_SELECTION_SECONDARY,
		VD_AGENT_CLIPBOARD_UTF8_TEXT, "hi", 2, &out, &size));
	assert_int_equal(size, sizeof(clip));
	assert_memory_equal(out, clip, sizeof(clip));
	free(out);

	const uint8_t req[] = {1, 0, 0, 0, 3, 0, 0, 0};
	assert_true(spb_agent_build_request(true, 1, VD_AGENT_CLIPBOARD_IMAGE_BMP, &out,
		&size));
	assert_int_equal(size, sizeof(req));
	assert_memory_equal(out, req, sizeof(req));
	free(out);

	const uint8_t rel[] = {1, 0, 0, 0};
	assert_true(spb_agent_build_release(true, 1, &out, &size));
	assert_int_equal(size, sizeof(rel));
	assert_memory_equal(out, rel, sizeof(rel));
	free(out);

	assert_true(spb_agent_build_release(false, 0, &out, &size));
	assert_non_null(out);
	assert_int_equal(size, 0);
	free(out);

	const uint8_t reply[] = {2, 0, 0, 0, 1, 0, 0, 0};
	assert_true(spb_agent_build_reply(VD_AGENT_MONITORS_CONFIG, VD_AGENT_SUCCESS, &out,
		&size));
	assert_int_equal(size, sizeof(reply));
	assert_memory_equal(out, reply, sizeof(reply));
	VDAgentReply r;
	memcpy(&r, out, sizeof(r));
	assert_int_equal(r.type, VD_AGENT_MONITORS_CONFIG);
	assert_int_equal(r.error, VD_AGENT_SUCCESS);
	free(out);
}

static void test_parse_grab(void **state) {
	const uint32_t types[] = {1, 2, 3, 4, 5};
	for (int framing = 0; framing < 4; framing++) {
		bool has_selection = framing & 1, has_serial = framing & 2;
		uint8_t sel = has_selection ? VD_AGENT_CLIPBOARD_SELECTION_PRIMARY : 0;
		uint32_t header = (has_selection ? 4 : 0) + (has_serial ? 4 : 0);
		uint8_t *payload = NULL;
		uint32_t size = 0;
		assert_true(spb_agent_build_grab(has_selection, sel, has_serial, 0xdeadbeef,
			types, ARRAY_LEN(types), &payload, &size));
		assert_int_equal(size, header + 4 * ARRAY_LEN(types));

		uint8_t got_sel = 99;
		uint32_t serial = 99, got[8] = {0}, n = 99;
		assert_true(spb_agent_parse_grab(payload, size, has_selection, has_serial,
			&got_sel, &serial, got, ARRAY_LEN(got), &n));
		assert_int_equal(got_sel, sel);
		assert_int_equal(serial, has_serial ? 0xdeadbeef : 0);
		assert_int_equal(n, ARRAY_LEN(types));
		assert_memory_equal(got, types, sizeof(types));

		// max_types respected
		got[2] = 777;
		assert_true(spb_agent_parse_grab(payload, size, has_selection, has_serial,
			NULL, NULL, got, 2, &n));
		assert_int_equal(n, 2);
		assert_int_equal(got[2], 777);
		assert_true(spb_agent_parse_grab(payload, size, has_selection, has_serial,
			NULL, NULL, NULL, 0, &n));
		assert_int_equal(n, 0);
		assert_false(spb_agent_parse_grab(payload, size, has_selection, has_serial,
			NULL, NULL, NULL, 1, &n));

		// truncations: below the header, or cutting a type, are malformed;
		// whole types dropped from the end are just a shorter list
		for (uint32_t s = 0; s < size; s++) {
			n = 99;
			bool ok = spb_agent_parse_grab(payload, s, has_selection, has_serial,
				&got_sel, &serial, got, ARRAY_LEN(got), &n);
			bool valid = s >= header && (s - header) % 4 == 0;
			assert_int_equal(ok, valid);
			assert_int_equal(n, valid ? (s - header) / 4 : 99);
		}
		free(payload);
	}

	// an empty grab (no types) is valid
	uint8_t sel_only[4] = {0};
	uint32_t n = 99;
	assert_true(spb_agent_parse_grab(sel_only, 4, true, false, NULL, NULL, NULL, 0, &n));
	assert_int_equal(n, 0);

	// a count that would not fit in a uint32 of bytes: refused before reading types
	const uint32_t few[1] = {1};
	uint8_t *out = NULL;
	uint32_t size = 0;
	assert_false(spb_agent_build_grab(true, 0, true, 0, few, 0x40000000, &out, &size));
	assert_false(spb_agent_build_grab(true, 0, true, 0, few, UINT32_MAX, &out, &size));
	assert_false(spb_agent_build_grab(true, 0, false, 0, NULL, 1, &out, &size));
	assert_null(out);
}

static void test_parse_request(void **state) {
	for (int framing = 0; framing < 2; framing++) {
		bool has_selection = framing;
		uint8_t sel = has_selection ? VD_AGENT_CLIPBOARD_SELECTION_PRIMARY : 0;
		uint8_t *payload = NULL;
		uint32_t size = 0;
		assert_true(spb_agent_build_request(has_selection, sel,
			VD_AGENT_CLIPBOARD_IMAGE_PNG, &payload, &size));
		assert_int_equal(size, has_selection ? 8 : 4);

		uint8_t got_sel = 99;
		uint32_t type = 99;
		assert_true(spb_agent_parse_request(payload, size, has_selection, &got_sel,
			&type));
		assert_int_equal(got_sel, sel);
		assert_int_equal(type, VD_AGENT_CLIPBOARD_IMAGE_PNG);
		for (uint32_t s = 0; s < size; s++) {
			type = 99;
			assert_false(spb_agent_parse_request(payload, s, has_selection, &got_sel,
				&type));
			assert_int_equal(type, 99);
		}
		free(payload);

		// exact size: trailing bytes are malformed
		uint8_t longer[12] = {0};
		assert_false(spb_agent_parse_request(longer, size + 4, has_selection, NULL,
			NULL));
	}
}

static void test_parse_clipboard(void **state) {
	uint8_t *data = pattern(100 * 1024, 5);
	for (int framing = 0; framing < 2; framing++) {
		bool has_selection = framing;
		uint32_t header = has_selection ? 8 : 4;
		uint8_t sel = has_selection ? VD_AGENT_CLIPBOARD_SELECTION_PRIMARY : 0;
		const uint32_t lengths[] = {0, 1, 100 * 1024};
		for (size_t l = 0; l < ARRAY_LEN(lengths); l++) {
			uint8_t *payload = NULL;
			uint32_t size = 0;
			assert_true(spb_agent_build_clipboard(has_selection, sel,
				VD_AGENT_CLIPBOARD_UTF8_TEXT, data, lengths[l], &payload, &size));
			assert_int_equal(size, header + lengths[l]);

			uint8_t got_sel = 99;
			uint32_t type = 99, got_size = 99;
			const uint8_t *got = NULL;
			assert_true(spb_agent_parse_clipboard(payload, size, has_selection,
				&got_sel, &type, &got, &got_size));
			assert_int_equal(got_sel, sel);
			assert_int_equal(type, VD_AGENT_CLIPBOARD_UTF8_TEXT);
			assert_ptr_equal(got, payload + header);
			assert_int_equal(got_size, lengths[l]);
			if (lengths[l] > 0) {
				assert_memory_equal(got, data, lengths[l]);
			}
			// below the header: malformed; above: shorter data
			for (uint32_t s = 0; s < header; s++) {
				got_size = 99;
				assert_false(spb_agent_parse_clipboard(payload, s, has_selection,
					&got_sel, &type, &got, &got_size));
				assert_int_equal(got_size, 99);
			}
			free(payload);
		}
	}
	free(data);

	uint8_t *out = NULL;
	uint32_t size = 0;
	assert_false(spb_agent_build_clipboard(true, 0, 1, NULL, 1, &out, &size));
	// the data size would overflow the uint32 message size: refused before reading data
	assert_false(spb_agent_build_clipboard(true, 0, 1, "x", UINT32_MAX - 4, &out,
		&size));
	assert_false(spb_agent_build_clipboard(false, 0, 1, "x", UINT32_MAX - 3, &out,
		&size));
	assert_null(out);
}

static void test_parse_release(void **state) {
	uint8_t buf[8] = {VD_AGENT_CLIPBOARD_SELECTION_PRIMARY, 0, 0, 0};
	uint8_t sel = 99;
	assert_true(spb_agent_parse_release(buf, 4, true, &sel));
	assert_int_equal(sel, VD_AGENT_CLIPBOARD_SELECTION_PRIMARY);
	for (uint32_t s = 0; s < 4; s++) {
		sel = 99;
		assert_false(spb_agent_parse_release(buf, s, true, &sel));
		assert_int_equal(sel, 99);
	}
	assert_false(spb_agent_parse_release(buf, 8, true, &sel));
	assert_true(spb_agent_parse_release(buf, 0, false, &sel));
	assert_int_equal(sel, VD_AGENT_CLIPBOARD_SELECTION_CLIPBOARD);
	assert_false(spb_agent_parse_release(buf, 4, false, &sel));
}

/* Without the selection cap only the clipboard selection can be expressed. */
static void test_build_selection_without_cap(void **state) {
	uint8_t *out = NULL;
	uint32_t size = 0;
	const uint32_t types[] = {1};
	uint8_t primary = VD_AGENT_CLIPBOARD_SELECTION_PRIMARY;
	assert_false(spb_agent_build_grab(false, primary, false, 0, types, 1, &out, &size));
	assert_false(spb_agent_build_request(false, primary, 1, &out, &size));
	assert_false(spb_agent_build_clipboard(false, primary, 1, "a", 1, &out, &size));
	assert_false(spb_agent_build_release(false, primary, &out, &size));
	assert_null(out);
}

/* Builder -> encode -> feed -> parser, the way the compositor will use them. */
static void test_full_pipeline(void **state) {
	uint8_t *text = pattern(100 * 1024, 8);
	uint8_t *payload = NULL;
	uint32_t size = 0;
	assert_true(spb_agent_build_clipboard(true, VD_AGENT_CLIPBOARD_SELECTION_CLIPBOARD,
		VD_AGENT_CLIPBOARD_UTF8_TEXT, text, 100 * 1024, &payload, &size));
	struct bytes stream = {0};
	append_encoded(&stream, VD_AGENT_CLIPBOARD, payload, size);
	free(payload);

	rng_state = 1234;
	struct spb_agent_parser parser;
	spb_agent_parser_init(&parser, 0);
	struct collector c = {0};
	feed_split(&parser, stream.data, stream.len, SPLIT_RANDOM_LARGE, &c);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.msgs[0].type, VD_AGENT_CLIPBOARD);
	uint8_t sel = 99;
	uint32_t type = 0, data_size = 0;
	const uint8_t *data = NULL;
	assert_true(spb_agent_parse_clipboard(c.msgs[0].payload, c.msgs[0].size, true, &sel,
		&type, &data, &data_size));
	assert_int_equal(sel, VD_AGENT_CLIPBOARD_SELECTION_CLIPBOARD);
	assert_int_equal(type, VD_AGENT_CLIPBOARD_UTF8_TEXT);
	assert_int_equal(data_size, 100 * 1024);
	assert_memory_equal(data, text, 100 * 1024);
	collector_clear(&c);
	spb_agent_parser_finish(&parser);
	free(stream.data);
	free(text);
}

static void test_parse_volume(void **state) {
	uint16_t volume[2] = { 0 };
	uint32_t n = 0;
	bool playback = false, mute = true;
	const uint8_t stereo[] = { 1, 0, 2, 0xff, 0xff, 0x00, 0x80 };
	assert_true(spb_agent_parse_volume(
			stereo, sizeof(stereo), &playback, &mute, volume, 2, &n));
	assert_true(playback);
	assert_false(mute);
	assert_int_equal(n, 2);
	assert_int_equal(volume[0], 0xffff);
	assert_int_equal(volume[1], 0x8000);
	// More channels than asked for: the first ones are kept.
	assert_true(spb_agent_parse_volume(
			stereo, sizeof(stereo), &playback, &mute, volume, 1, &n));
	assert_int_equal(n, 1);
	const uint8_t muted_record[] = { 0, 1, 0 };
	assert_true(spb_agent_parse_volume(
			muted_record, sizeof(muted_record), &playback, &mute, volume, 2, &n));
	assert_false(playback);
	assert_true(mute);
	assert_int_equal(n, 0);
	// Truncated, too long, or too short for a header.
	assert_false(spb_agent_parse_volume(stereo, 6, &playback, &mute, volume, 2, &n));
	const uint8_t long_one[] = { 1, 0, 1, 0, 0, 0 };
	assert_false(spb_agent_parse_volume(
			long_one, sizeof(long_one), &playback, &mute, volume, 2, &n));
	assert_false(spb_agent_parse_volume(stereo, 2, &playback, &mute, volume, 2, &n));
}

/* Output queue */

/*
 * A client that grants tokens slowly while replies keep coming never lets
 * the queue drain: its buffer must follow what is pending, not what was
 * ever queued.
 */
static void test_outq_slow_reader_stays_small(void **state) {
	struct spb_agent_outq q;
	spb_agent_outq_init(&q, 1024 * 1024);
	uint8_t msg[100], out[64];
	uint8_t next_in = 0, next_out = 0;
	size_t max_cap = 0;
	for (int i = 0; i < 100000; i++) {
		for (size_t j = 0; j < sizeof(msg); j++) {
			msg[j] = next_in++;
		}
		assert_true(spb_agent_outq_push(&q, msg, sizeof(msg), SIZE_MAX));
		// Drains a bit slower than it fills, then catches up: never empty.
		size_t want = i % 100 == 99 ? spb_agent_outq_pending(&q) - 1 : 64;
		while (want > 0) {
			size_t take = want < sizeof(out) ? want : sizeof(out);
			size_t n = spb_agent_outq_pull(&q, out, take);
			assert_int_equal(n, take);
			for (size_t j = 0; j < n; j++) {
				assert_int_equal(out[j], next_out++);
			}
			want -= n;
		}
		max_cap = q.cap > max_cap ? q.cap : max_cap;
	}
	assert_true(spb_agent_outq_pending(&q) > 0);
	// At most ~3700 bytes are ever pending.
	assert_true(max_cap <= 8192);
	spb_agent_outq_finish(&q);
}

/* A large transfer's buffer goes once it is drained, or shrinks to what follows it. */
static void test_outq_shrinks_after_large_transfer(void **state) {
	struct spb_agent_outq q;
	spb_agent_outq_init(&q, 64 * 1024 * 1024);
	size_t big = 8 * 1024 * 1024;
	uint8_t *data = calloc(1, big);
	assert_non_null(data);
	uint8_t *out = malloc(big);
	assert_non_null(out);
	assert_true(spb_agent_outq_push(&q, data, big, SIZE_MAX));
	assert_true(q.cap >= big);
	assert_int_equal(spb_agent_outq_pull(&q, out, big), big);
	assert_int_equal(q.cap, 0);
	assert_null(q.buf);

	// Small messages queued behind a large one keep only a small buffer.
	assert_true(spb_agent_outq_push(&q, data, big, SIZE_MAX));
	assert_true(spb_agent_outq_push(&q, (const uint8_t *)"tail", 4, SIZE_MAX));
	assert_int_equal(spb_agent_outq_pull(&q, out, big), big);
	assert_true(q.cap <= 4096);
	assert_int_equal(spb_agent_outq_pull(&q, out, 16), 4);
	assert_memory_equal(out, "tail", 4);
	free(data);
	free(out);
	spb_agent_outq_finish(&q);
}

/* Past the bound (or the caller's lower limit) a message is refused whole. */
static void test_outq_bounded(void **state) {
	struct spb_agent_outq q;
	spb_agent_outq_init(&q, 10000);
	uint8_t msg[4000] = { 0 }, out[4000];
	assert_true(spb_agent_outq_push(&q, msg, sizeof(msg), SIZE_MAX));
	assert_true(spb_agent_outq_push(&q, msg, sizeof(msg), SIZE_MAX));
	assert_false(spb_agent_outq_push(&q, msg, sizeof(msg), SIZE_MAX));
	assert_false(spb_agent_outq_push(&q, msg, 100, 8050));
	assert_true(spb_agent_outq_push(&q, msg, 50, 8050));
	assert_int_equal(spb_agent_outq_pending(&q), 8050);
	assert_true(q.cap <= 10000);
	// Pulled bytes make room again, without the buffer growing past the bound.
	assert_int_equal(spb_agent_outq_pull(&q, out, sizeof(out)), sizeof(out));
	assert_true(spb_agent_outq_push(&q, msg, sizeof(msg), SIZE_MAX));
	assert_true(q.cap <= 10000);
	assert_false(spb_agent_outq_push(&q, msg, SIZE_MAX, SIZE_MAX));
	spb_agent_outq_finish(&q);
}

/* A START payload: id 7 (little-endian), then text (with its NUL, as spice-gtk sends it). */
static bool parse_start_text(const char *text, char *name, size_t cap, uint64_t *size) {
	uint8_t buf[2048];
	size_t len = strlen(text);
	assert_true(len + 5 <= sizeof(buf));
	buf[0] = 7;
	buf[1] = buf[2] = buf[3] = 0;
	memcpy(buf + 4, text, len + 1);
	uint32_t id = 0;
	bool ok = spb_agent_parse_file_start(buf, (uint32_t)(len + 5), &id, name, cap, size);
	if (ok) {
		assert_int_equal(id, 7);
	}
	return ok;
}

static void test_parse_file_start(void **state) {
	char name[256];
	uint64_t size = 0;
	assert_true(parse_start_text("[vdagent-file-xfer]\nname=report.pdf\nsize=5000000\n", name,
			sizeof(name), &size));
	assert_string_equal(name, "report.pdf");
	assert_int_equal(size, 5000000);
	// GKeyFile escapes, comments, other groups, localised keys, spaces around '='
	assert_true(parse_start_text("# c\n[other]\nname=no\n\n[vdagent-file-xfer]\n"
			"name[fr]=non\nname = \\sa\\tb\\\\c\\n.txt\nsize = 0\n", name, sizeof(name),
			&size));
	assert_string_equal(name, " a\tb\\c\n.txt");
	assert_int_equal(size, 0);
	// the largest size, and one past it
	assert_true(parse_start_text("[vdagent-file-xfer]\nname=x\nsize=18446744073709551615\n",
			name, sizeof(name), &size));
	assert_true(size == UINT64_MAX);
	assert_false(parse_start_text("[vdagent-file-xfer]\nname=x\nsize=18446744073709551616\n",
			name, sizeof(name), &size));
	// malformed or missing
	const char *bad[] = {
		"[vdagent-file-xfer]\nname=x\n",
		"[vdagent-file-xfer]\nsize=1\n",
		"[other]\nname=x\nsize=1\n",
		"[vdagent-file-xfer]\nname=x\nsize=-1\n",
		"[vdagent-file-xfer]\nname=x\nsize=1k\n",
		"[vdagent-file-xfer]\nname=x\nsize=\n",
		"[vdagent-file-xfer]\nname=a\\qb\nsize=1\n",
		"[vdagent-file-xfer]\nname=a\\\nsize=1\n",
		"[vdagent-file-xfer\nname=x\nsize=1\n",
		"[vdagent-file-xfer]\njunk\nname=x\nsize=1\n",
		"",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_false(parse_start_text(bad[i], name, sizeof(name), &size));
	}
	// a name that does not fit
	assert_false(parse_start_text("[vdagent-file-xfer]\nname=abcdef\nsize=1\n", name, 6, &size));
	assert_true(parse_start_text("[vdagent-file-xfer]\nname=abcde\nsize=1\n", name, 6, &size));
	// too short for the id
	uint8_t tiny[3] = { 0 };
	uint32_t id;
	assert_false(spb_agent_parse_file_start(tiny, 3, &id, name, sizeof(name), &size));
}

static void test_parse_file_data_status(void **state) {
	uint8_t msg[12 + 3] = { 9, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 'a', 'b', 'c' };
	uint32_t id = 0, len = 0, result = 0;
	const uint8_t *data = NULL;
	assert_true(spb_agent_parse_file_data(msg, sizeof(msg), &id, &data, &len));
	assert_int_equal(id, 9);
	assert_int_equal(len, 3);
	assert_memory_equal(data, "abc", 3);
	// the declared size must match what follows
	assert_false(spb_agent_parse_file_data(msg, sizeof(msg) - 1, &id, &data, &len));
	msg[11] = 1; // a size above 4 GiB
	assert_false(spb_agent_parse_file_data(msg, sizeof(msg), &id, &data, &len));
	assert_false(spb_agent_parse_file_data(msg, 11, &id, &data, &len));

	uint8_t *out = NULL;
	uint32_t size = 0;
	const uint8_t detail[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	assert_true(spb_agent_build_file_status(
			5, VD_AGENT_FILE_XFER_STATUS_NOT_ENOUGH_SPACE, detail, 8, &out, &size));
	assert_int_equal(size, 16);
	assert_true(spb_agent_parse_file_status(out, size, &id, &result));
	assert_int_equal(id, 5);
	assert_int_equal(result, VD_AGENT_FILE_XFER_STATUS_NOT_ENOUGH_SPACE);
	assert_memory_equal(out + 8, detail, 8);
	assert_false(spb_agent_parse_file_status(out, 7, &id, &result));
	free(out);
}

static void test_file_name_safe(void **state) {
	char out[256];
	struct {
		const char *in, *want; // want NULL: refused
	} cases[] = {
		{ "report.pdf", "report.pdf" },
		{ "../../etc/x", "x" },
		{ "/etc/passwd", "passwd" },
		{ "..\\..\\etc\\x", "x" },
		{ "dir/", NULL },
		{ "..", NULL },
		{ ".", NULL },
		{ "a/..", NULL },
		{ "", NULL },
		{ "a\nb\x01" "c\x7f", "a_b_c_" },
		{ "x\xc2\x85y", "x__y" }, // C1 NEL
		{ "caf\xc3\xa9.txt", "caf\xc3\xa9.txt" },
		{ ".hidden", ".hidden" },
		{ "...", "..." },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool ok = spb_agent_file_name_safe(cases[i].in, out, sizeof(out));
		if (cases[i].want == NULL) {
			assert_false(ok);
		} else {
			assert_true(ok);
			assert_string_equal(out, cases[i].want);
		}
	}
	char long_name[SPB_AGENT_FILE_NAME_MAX + 2];
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	assert_false(spb_agent_file_name_safe(long_name, out, sizeof(out)));
	long_name[sizeof(long_name) - 2] = '\0';
	assert_true(spb_agent_file_name_safe(long_name, out, sizeof(out)));
	assert_false(spb_agent_file_name_safe("abcd", out, 4));
}

static void test_file_name_variant(void **state) {
	char out[64];
	assert_true(spb_agent_file_name_variant("name.txt", 0, out, sizeof(out)));
	assert_string_equal(out, "name.txt");
	assert_true(spb_agent_file_name_variant("name.txt", 1, out, sizeof(out)));
	assert_string_equal(out, "name (1).txt");
	assert_true(spb_agent_file_name_variant("a.tar.gz", 12, out, sizeof(out)));
	assert_string_equal(out, "a.tar (12).gz");
	assert_true(spb_agent_file_name_variant(".bashrc", 2, out, sizeof(out)));
	assert_string_equal(out, ".bashrc (2)");
	assert_true(spb_agent_file_name_variant("README", 3, out, sizeof(out)));
	assert_string_equal(out, "README (3)");
	assert_false(spb_agent_file_name_variant("name.txt", 1, out, 12));
	assert_true(spb_agent_file_name_variant("name.txt", 1, out, 13));
}


int main(void) {
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode_layout),
		cmocka_unit_test(test_encode_chunking),
		cmocka_unit_test(test_encode_null_payload),
		cmocka_unit_test(test_roundtrip_whole),
		cmocka_unit_test(test_roundtrip_bytewise),
		cmocka_unit_test(test_roundtrip_random_splits),
		cmocka_unit_test(test_roundtrip_every_split_point),
		cmocka_unit_test(test_two_messages_one_feed),
		cmocka_unit_test(test_zero_size_message),
		cmocka_unit_test(test_bad_protocol_dropped),
		cmocka_unit_test(test_bad_protocol_multi_chunk),
		cmocka_unit_test(test_oversized_skipped),
		cmocka_unit_test(test_huge_size_header),
		cmocka_unit_test(test_bad_chunk_size),
		cmocka_unit_test(test_bad_chunk_port),
		cmocka_unit_test(test_truncated_then_reset),
		cmocka_unit_test(test_chunk_past_message),
		cmocka_unit_test(test_header_across_chunks),
		cmocka_unit_test(test_interleaved_server_chunks),
		cmocka_unit_test(test_client_disconnected_mid_message),
		cmocka_unit_test(test_server_message_too_large),
		cmocka_unit_test(test_reset_from_callback),
		cmocka_unit_test(test_random_garbage),
		cmocka_unit_test(test_parse_monitors),
		cmocka_unit_test(test_parse_monitors_physical_size),
		cmocka_unit_test(test_parse_monitors_count_overflow),
		cmocka_unit_test(test_parse_monitors_max),
		cmocka_unit_test(test_parse_caps),
		cmocka_unit_test(test_grab_wire_layout),
		cmocka_unit_test(test_parse_grab),
		cmocka_unit_test(test_parse_request),
		cmocka_unit_test(test_parse_clipboard),
		cmocka_unit_test(test_parse_release),
		cmocka_unit_test(test_build_selection_without_cap),
		cmocka_unit_test(test_full_pipeline),
		cmocka_unit_test(test_parse_volume),
		cmocka_unit_test(test_outq_slow_reader_stays_small),
		cmocka_unit_test(test_outq_shrinks_after_large_transfer),
		cmocka_unit_test(test_outq_bounded),
		cmocka_unit_test(test_parse_file_start),
		cmocka_unit_test(test_parse_file_data_status),
		cmocka_unit_test(test_file_name_safe),
		cmocka_unit_test(test_file_name_variant),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
