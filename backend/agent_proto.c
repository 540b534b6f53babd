/*
 * The vdagent wire protocol's framing: chunk reassembly of what the
 * "vdagent" char device receives, chunk framing of what it sends, and the
 * bounded queue of bytes waiting for the client. The payloads are in
 * agent_proto_msg.c and agent_proto_file.c. See agent_proto.h for the rules.
 */
#include <stdlib.h>
#include <string.h>

#include "agent_proto.h"
#include "agent_proto_wire.h"

#define CHUNK_HEADER_SIZE sizeof(VDIChunkHeader)
#define MESSAGE_HEADER_SIZE sizeof(VDAgentMessage)
/* Payloads of messages spice-server makes fit in one chunk. */
#define SERVER_MAX_MESSAGE VD_AGENT_MAX_DATA_SIZE
/* A payload buffer bigger than this is freed once its message is delivered. */
#define KEEP_BUFFER_MAX (64 * 1024)

_Static_assert(sizeof(VDIChunkHeader) == 8, "VDIChunkHeader layout");
_Static_assert(sizeof(VDAgentMessage) == 20, "VDAgentMessage layout");
_Static_assert(MESSAGE_HEADER_SIZE < VD_AGENT_MAX_DATA_SIZE, "chunk fits a message header");

/* Parser */

static void drop(struct spb_agent_parser *parser, const char *reason) {
	parser->dropped++;
	parser->last_error = reason;
}

static void port_free_buffer(struct spb_agent_port_state *state) {
	free(state->buf);
	state->buf = NULL;
	state->cap = 0;
}

/* Forgets the message in progress; keeps a small buffer for the next one. */
static void port_reset(struct spb_agent_port_state *state) {
	if (state->cap > KEEP_BUFFER_MAX) {
		port_free_buffer(state);
	}
	state->header_len = 0;
	state->type = 0;
	state->size = 0;
	state->received = 0;
	state->skipping = false;
}

static bool port_in_message(const struct spb_agent_port_state *state) {
	return state->header_len > 0;
}

static size_t port_max_message(const struct spb_agent_parser *parser, uint32_t port) {
	if (port == VDP_SERVER_PORT && parser->max_message > SERVER_MAX_MESSAGE) {
		return SERVER_MAX_MESSAGE;
	}
	return parser->max_message;
}

static void reset_framing(struct spb_agent_parser *parser) {
	parser->chunk_header_len = 0;
	parser->chunk_port = 0;
	parser->chunk_remaining = 0;
	parser->chunk_discard = false;
}

void spb_agent_parser_init(struct spb_agent_parser *parser, size_t max_message) {
	memset(parser, 0, sizeof(*parser));
	parser->max_message = max_message > 0 ? max_message : SPB_AGENT_MAX_MESSAGE;
}

void spb_agent_parser_finish(struct spb_agent_parser *parser) {
	for (size_t i = 0; i < sizeof(parser->ports) / sizeof(parser->ports[0]); i++) {
		port_free_buffer(&parser->ports[i]);
	}
}

void spb_agent_parser_reset(struct spb_agent_parser *parser) {
	reset_framing(parser);
	for (size_t i = 0; i < sizeof(parser->ports) / sizeof(parser->ports[0]); i++) {
		port_reset(&parser->ports[i]);
	}
}

/* The message header of state just completed: decide whether to keep the message. */
static bool port_start_message(struct spb_agent_parser *parser,
		struct spb_agent_port_state *state, uint32_t port) {
	uint32_t protocol = get_le32(state->header + offsetof(VDAgentMessage, protocol));
	if (protocol != VD_AGENT_PROTOCOL) {
		// The size cannot be trusted either: resynchronise at the next chunk.
		drop(parser, "bad protocol version in message header");
		return false;
	}
	state->type = get_le32(state->header + offsetof(VDAgentMessage, type));
	state->size = get_le32(state->header + offsetof(VDAgentMessage, size));
	state->received = 0;
	state->skipping = false;
	if (state->size > port_max_message(parser, port)) {
		drop(parser, "message too large, skipped");
		state->skipping = true;
	} else if (state->size > state->cap) {
		uint8_t *buf = realloc(state->buf, state->size);
		if (buf == NULL) {
			drop(parser, "out of memory for message, skipped");
			state->skipping = true;
		} else {
			state->buf = buf;
			state->cap = state->size;
		}
	}
	return true;
}

static void port_deliver(struct spb_agent_parser *parser, uint32_t port,
		struct spb_agent_port_state *state, spb_agent_message_fn fn, void *data) {
	static const uint8_t empty[1];

	if (state->skipping) {
		port_reset(state);
		return;
	}
	uint32_t type = state->type;
	if (port == VDP_SERVER_PORT && type == VD_AGENT_CLIENT_DISCONNECTED) {
		// Whatever the client had half sent will never be completed.
		struct spb_agent_port_state *client =
				&parser->ports[VDP_CLIENT_PORT - VDP_CLIENT_PORT];
		if (port_in_message(client)) {
			drop(parser, "client disconnected in the middle of a message");
			port_reset(client);
		}
	}
	// Reset before calling fn (which may reset the parser itself), but keep
	// the buffer alive until fn returns.
	uint8_t *buf = state->buf;
	size_t cap = state->cap;
	uint32_t size = state->size;
	state->buf = NULL;
	state->cap = 0;
	port_reset(state);
	if (fn != NULL) {
		fn(data, port, type, size > 0 ? buf : empty, size);
	}
	if (state->buf == NULL && cap <= KEEP_BUFFER_MAX) {
		state->buf = buf;
		state->cap = cap;
	} else {
		free(buf);
	}
}

/*
 * Copies what is missing of a size-byte header (have bytes of it in buf so
 * far) from the avail bytes at src; returns how many it took.
 */
static size_t fill_header(uint8_t *buf, size_t *have, size_t size, const uint8_t *src,
		size_t avail) {
	size_t take = size - *have;
	if (take > avail) {
		take = avail;
	}
	memcpy(buf + *have, src, take);
	*have += take;
	return take;
}

/*
 * Consumes n (<= chunk_remaining) data bytes of the current chunk for port.
 * Returns how many were used; the rest of the chunk is then to be discarded.
 */
static size_t port_consume(struct spb_agent_parser *parser, uint32_t port,
		const uint8_t *bytes, size_t n, spb_agent_message_fn fn, void *data) {
	struct spb_agent_port_state *state = &parser->ports[port - VDP_CLIENT_PORT];
	size_t used = 0;

	while (used < n) {
		if (state->header_len < MESSAGE_HEADER_SIZE) {
			size_t take = fill_header(
					state->header, &state->header_len, MESSAGE_HEADER_SIZE, bytes + used, n - used);
			used += take;
			parser->chunk_remaining -= take;
			if (state->header_len < MESSAGE_HEADER_SIZE) {
				continue;
			}
			if (!port_start_message(parser, state, port)) {
				port_reset(state);
				parser->chunk_discard = true;
				return used;
			}
		}

		uint32_t message_remaining = state->size - state->received;
		if (parser->chunk_remaining > message_remaining) {
			drop(parser, "chunk runs past the end of its message");
			port_reset(state);
			parser->chunk_discard = true;
			return used;
		}
		size_t take = n - used;
		if (take > message_remaining) {
			take = message_remaining;
		}
		if (!state->skipping && take > 0) {
			memcpy(state->buf + state->received, bytes + used, take);
		}
		state->received += (uint32_t)take;
		used += take;
		parser->chunk_remaining -= (uint32_t)take;
		if (state->received == state->size) {
			// chunk_remaining <= message_remaining: the chunk ends here too
			port_deliver(parser, port, state, fn, data);
			return used;
		}
	}
	return used;
}

void spb_agent_parser_feed(struct spb_agent_parser *parser, const uint8_t *bytes,
		size_t len, spb_agent_message_fn fn, void *data) {
	size_t pos = 0;

	while (pos < len) {
		if (parser->chunk_remaining == 0) {
			pos += fill_header(parser->chunk_header, &parser->chunk_header_len,
					CHUNK_HEADER_SIZE, bytes + pos, len - pos);
			if (parser->chunk_header_len < CHUNK_HEADER_SIZE) {
				break;
			}
			parser->chunk_header_len = 0;

			uint32_t port = get_le32(parser->chunk_header + offsetof(VDIChunkHeader, port));
			uint32_t size = get_le32(parser->chunk_header + offsetof(VDIChunkHeader, size));
			if (size == 0 || size > VD_AGENT_MAX_DATA_SIZE) {
				drop(parser, "bad chunk size, framing lost");
				spb_agent_parser_reset(parser);
				continue;
			}
			parser->chunk_port = port;
			parser->chunk_remaining = size;
			parser->chunk_discard = false;
			if (port != VDP_CLIENT_PORT && port != VDP_SERVER_PORT) {
				drop(parser, "bad chunk port, chunk skipped");
				parser->chunk_discard = true;
			}
			continue;
		}

		size_t n = parser->chunk_remaining;
		if (n > len - pos) {
			n = len - pos;
		}
		if (!parser->chunk_discard) {
			// Stops early only when the rest of the chunk is to be discarded.
			size_t used = port_consume(parser, parser->chunk_port, bytes + pos, n, fn, data);
			pos += used;
			continue;
		}
		pos += n;
		parser->chunk_remaining -= (uint32_t)n;
	}
}

/* Encoder */

bool spb_agent_encode(
		uint32_t type, const void *payload, uint32_t size, uint8_t **out, size_t *out_len) {
	if (payload == NULL && size > 0) {
		return false;
	}
	const uint64_t max_chunk = VD_AGENT_MAX_DATA_SIZE;
	uint64_t message_len = (uint64_t)MESSAGE_HEADER_SIZE + size;
	uint64_t n_chunks = (message_len + max_chunk - 1) / max_chunk;
	uint64_t total = message_len + n_chunks * CHUNK_HEADER_SIZE;
	if (total > SIZE_MAX) {
		return false;
	}
	uint8_t *buf = malloc((size_t)total);
	if (buf == NULL) {
		return false;
	}

	uint8_t header[MESSAGE_HEADER_SIZE];
	put_le32(header + offsetof(VDAgentMessage, protocol), VD_AGENT_PROTOCOL);
	put_le32(header + offsetof(VDAgentMessage, type), type);
	put_le64(header + offsetof(VDAgentMessage, opaque), 0);
	put_le32(header + offsetof(VDAgentMessage, size), size);

	// The message (header then payload) cut into chunks of at most max_chunk.
	const uint8_t *src = payload;
	uint64_t done = 0;
	size_t pos = 0;
	while (done < message_len) {
		uint64_t chunk = message_len - done;
		if (chunk > max_chunk) {
			chunk = max_chunk;
		}
		put_le32(buf + pos + offsetof(VDIChunkHeader, port), VDP_CLIENT_PORT);
		put_le32(buf + pos + offsetof(VDIChunkHeader, size), (uint32_t)chunk);
		pos += CHUNK_HEADER_SIZE;
		uint64_t left = chunk;
		if (done < MESSAGE_HEADER_SIZE) {
			// only the first chunk, which always holds the whole header
			memcpy(buf + pos, header, MESSAGE_HEADER_SIZE);
			pos += MESSAGE_HEADER_SIZE;
			done += MESSAGE_HEADER_SIZE;
			left -= MESSAGE_HEADER_SIZE;
		}
		if (left > 0) {
			memcpy(buf + pos, src + (done - MESSAGE_HEADER_SIZE), (size_t)left);
			pos += (size_t)left;
			done += left;
		}
	}

	*out = buf;
	*out_len = pos;
	return true;
}

/* Output queue */

void spb_agent_outq_init(struct spb_agent_outq *q, size_t max) {
	memset(q, 0, sizeof(*q));
	q->max = max;
}

void spb_agent_outq_finish(struct spb_agent_outq *q) {
	free(q->buf);
	q->buf = NULL;
	q->off = q->len = q->cap = 0;
}

size_t spb_agent_outq_pending(const struct spb_agent_outq *q) {
	return q->len - q->off;
}

/* Moves the pending bytes to the front and makes the buffer cap bytes (cap >= pending). */
static bool outq_resize(struct spb_agent_outq *q, size_t cap) {
	size_t pending = q->len - q->off;
	if (q->off > 0) {
		memmove(q->buf, q->buf + q->off, pending);
		q->off = 0;
		q->len = pending;
	}
	if (cap == q->cap) {
		return true;
	}
	if (cap == 0) {
		free(q->buf);
		q->buf = NULL;
		q->cap = 0;
		return true;
	}
	uint8_t *buf = realloc(q->buf, cap);
	if (buf == NULL) {
		return cap < q->cap; // a failed shrink leaves a larger, still valid buffer
	}
	q->buf = buf;
	q->cap = cap;
	return true;
}

bool spb_agent_outq_push(
		struct spb_agent_outq *q, const uint8_t *bytes, size_t len, size_t limit) {
	size_t pending = q->len - q->off;
	if (limit > q->max) {
		limit = q->max;
	}
	if (len > limit || pending > limit - len) {
		return false;
	}
	if (q->len + len > q->cap) {
		// Room first from what was already pulled, then by growing (doubling,
		// but never past the bound on pending bytes).
		size_t need = pending + len;
		size_t cap = q->cap;
		if (need > cap) {
			cap = cap > 0 ? cap : 4096;
			while (cap < need) {
				cap = cap > q->max / 2 ? q->max : cap * 2;
			}
		}
		if (!outq_resize(q, cap)) {
			return false;
		}
	}
	memcpy(q->buf + q->len, bytes, len);
	q->len += len;
	return true;
}

size_t spb_agent_outq_pull(struct spb_agent_outq *q, uint8_t *buf, size_t len) {
	size_t pending = q->len - q->off;
	size_t n = pending < len ? pending : len;
	if (n > 0) {
		memcpy(buf, q->buf + q->off, n);
		q->off += n;
		pending -= n;
	}
	if (pending == 0) {
		q->off = q->len = 0;
	}
	// A large transfer that (mostly) drained gives its memory back; the few
	// bytes queued behind it move to a small buffer.
	if (q->cap > SPB_AGENT_OUTQ_KEEP && pending <= q->cap / 4) {
		size_t cap = 0;
		if (pending > 0) {
			cap = 4096;
			while (cap < 2 * pending) {
				cap *= 2;
			}
		}
		outq_resize(q, cap);
	}
	return n;
}
