/*
 * The vdagent wire protocol: chunk reassembly of what the "vdagent" char
 * device receives, chunk framing of what it sends, and the payload layouts of
 * the messages spice-wl handles. See agent_proto.h for the rules.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent_proto.h"

#define CHUNK_HEADER_SIZE sizeof(VDIChunkHeader)
#define MESSAGE_HEADER_SIZE sizeof(VDAgentMessage)
/* The selection header of clipboard messages: uint8 selection + 3 reserved. */
#define SELECTION_SIZE 4
/* Payloads of messages spice-server makes fit in one chunk. */
#define SERVER_MAX_MESSAGE VD_AGENT_MAX_DATA_SIZE
/* A payload buffer bigger than this is freed once its message is delivered. */
#define KEEP_BUFFER_MAX (64 * 1024)

_Static_assert(sizeof(VDIChunkHeader) == 8, "VDIChunkHeader layout");
_Static_assert(sizeof(VDAgentMessage) == 20, "VDAgentMessage layout");
_Static_assert(sizeof(VDAgentMonitorsConfig) == 8, "VDAgentMonitorsConfig layout");
_Static_assert(sizeof(VDAgentMonConfig) == 20, "VDAgentMonConfig layout");
_Static_assert(sizeof(VDAgentMonitorMM) == 4, "VDAgentMonitorMM layout");
_Static_assert(sizeof(VDAgentAnnounceCapabilities) == 4, "VDAgentAnnounceCapabilities");
_Static_assert(sizeof(VDAgentReply) == 8, "VDAgentReply layout");
_Static_assert(sizeof(VDAgentClipboard) == 4, "VDAgentClipboard layout");
_Static_assert(sizeof(VDAgentClipboardRequest) == 4, "VDAgentClipboardRequest layout");
_Static_assert(MESSAGE_HEADER_SIZE < VD_AGENT_MAX_DATA_SIZE, "chunk fits a message header");

static uint32_t get_le32(const uint8_t *p) {
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t get_le16(const uint8_t *p) {
	return (uint16_t)(p[0] | p[1] << 8);
}

static void put_le32(uint8_t *p, uint32_t v) {
	p[0] = v & 0xff;
	p[1] = (v >> 8) & 0xff;
	p[2] = (v >> 16) & 0xff;
	p[3] = (v >> 24) & 0xff;
}

static void put_le64(uint8_t *p, uint64_t v) {
	put_le32(p, (uint32_t)v);
	put_le32(p + 4, (uint32_t)(v >> 32));
}

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

/* Payload parsers */

bool spb_agent_parse_monitors(const uint8_t *payload, uint32_t size, uint32_t max_monitors,
		struct spb_agent_monitor *out, uint32_t *count, uint32_t *flags) {
	if (size < sizeof(VDAgentMonitorsConfig) || (out == NULL && max_monitors > 0)) {
		return false;
	}
	uint32_t n = get_le32(payload + offsetof(VDAgentMonitorsConfig, num_of_monitors));
	uint32_t in_flags = get_le32(payload + offsetof(VDAgentMonitorsConfig, flags));
	uint64_t element = sizeof(VDAgentMonConfig);
	if (in_flags & VD_AGENT_CONFIG_MONITORS_FLAG_PHYSICAL_SIZE) {
		element += sizeof(VDAgentMonitorMM);
	}
	// at most 2^32 * 24 + 8: no overflow in 64 bits
	if ((uint64_t)sizeof(VDAgentMonitorsConfig) + n * element > size) {
		return false;
	}

	uint32_t written = n < max_monitors ? n : max_monitors;
	const uint8_t *mon = payload + sizeof(VDAgentMonitorsConfig);
	// The physical sizes follow all n monitors, one per monitor.
	const uint8_t *mm = mon + (uint64_t)n * sizeof(VDAgentMonConfig);
	for (uint32_t i = 0; i < written; i++, mon += sizeof(VDAgentMonConfig)) {
		out[i] = (struct spb_agent_monitor){
			.x = (int32_t)get_le32(mon + offsetof(VDAgentMonConfig, x)),
			.y = (int32_t)get_le32(mon + offsetof(VDAgentMonConfig, y)),
			.width = get_le32(mon + offsetof(VDAgentMonConfig, width)),
			.height = get_le32(mon + offsetof(VDAgentMonConfig, height)),
		};
		if (in_flags & VD_AGENT_CONFIG_MONITORS_FLAG_PHYSICAL_SIZE) {
			const uint8_t *size = mm + (uint64_t)i * sizeof(VDAgentMonitorMM);
			out[i].width_mm = get_le16(size + offsetof(VDAgentMonitorMM, width));
			out[i].height_mm = get_le16(size + offsetof(VDAgentMonitorMM, height));
		}
	}
	if (count != NULL) {
		*count = written;
	}
	if (flags != NULL) {
		*flags = in_flags;
	}
	return true;
}

bool spb_agent_parse_caps(
		const uint8_t *payload, uint32_t size, uint32_t *caps, size_t caps_words, bool *request) {
	if (size < sizeof(VDAgentAnnounceCapabilities) || (caps == NULL && caps_words > 0)) {
		return false;
	}
	size_t words = (size - sizeof(VDAgentAnnounceCapabilities)) / sizeof(uint32_t);
	const uint8_t *word = payload + sizeof(VDAgentAnnounceCapabilities);
	for (size_t i = 0; i < caps_words; i++) {
		caps[i] = i < words ? get_le32(word + i * sizeof(uint32_t)) : 0;
	}
	if (request != NULL) {
		*request = get_le32(payload + offsetof(VDAgentAnnounceCapabilities, request)) != 0;
	}
	return true;
}

static uint8_t read_selection(const uint8_t *payload, bool has_selection) {
	return has_selection ? payload[0] : VD_AGENT_CLIPBOARD_SELECTION_CLIPBOARD;
}

bool spb_agent_parse_grab(const uint8_t *payload, uint32_t size, bool has_selection,
		bool has_serial, uint8_t *selection, uint32_t *serial, uint32_t *types, uint32_t max_types,
		uint32_t *n_types) {
	uint32_t header = (has_selection ? SELECTION_SIZE : 0) + (has_serial ? sizeof(uint32_t) : 0);
	if (size < header || (size - header) % sizeof(uint32_t) != 0 ||
			(types == NULL && max_types > 0)) {
		return false;
	}
	uint32_t n = (size - header) / sizeof(uint32_t);
	uint32_t written = n < max_types ? n : max_types;
	const uint8_t *list = payload + header;
	for (uint32_t i = 0; i < written; i++) {
		types[i] = get_le32(list + i * sizeof(uint32_t));
	}
	if (selection != NULL) {
		*selection = read_selection(payload, has_selection);
	}
	if (serial != NULL) {
		*serial = has_serial ? get_le32(payload + (has_selection ? SELECTION_SIZE : 0)) : 0;
	}
	if (n_types != NULL) {
		*n_types = written;
	}
	return true;
}

bool spb_agent_parse_request(const uint8_t *payload, uint32_t size, bool has_selection,
		uint8_t *selection, uint32_t *type) {
	uint32_t header = has_selection ? SELECTION_SIZE : 0;
	if (size != header + sizeof(VDAgentClipboardRequest)) {
		return false;
	}
	if (selection != NULL) {
		*selection = read_selection(payload, has_selection);
	}
	if (type != NULL) {
		*type = get_le32(payload + header + offsetof(VDAgentClipboardRequest, type));
	}
	return true;
}

bool spb_agent_parse_clipboard(const uint8_t *payload, uint32_t size, bool has_selection,
		uint8_t *selection, uint32_t *type, const uint8_t **data, uint32_t *data_size) {
	uint32_t header = (has_selection ? SELECTION_SIZE : 0) + sizeof(VDAgentClipboard);
	if (size < header) {
		return false;
	}
	if (selection != NULL) {
		*selection = read_selection(payload, has_selection);
	}
	if (type != NULL) {
		*type = get_le32(
				payload + header - sizeof(VDAgentClipboard) + offsetof(VDAgentClipboard, type));
	}
	if (data != NULL) {
		*data = payload + header;
	}
	if (data_size != NULL) {
		*data_size = size - header;
	}
	return true;
}

bool spb_agent_parse_release(
		const uint8_t *payload, uint32_t size, bool has_selection, uint8_t *selection) {
	if (size != (has_selection ? SELECTION_SIZE : 0)) {
		return false;
	}
	if (selection != NULL) {
		*selection = read_selection(payload, has_selection);
	}
	return true;
}

bool spb_agent_parse_volume(const uint8_t *payload, uint32_t size, bool *playback,
		bool *mute, uint16_t *volume, uint32_t max_channels, uint32_t *nchannels) {
	// is_playback, mute, nchannels, then nchannels little-endian uint16
	if (size < 3 || size != 3 + 2 * (uint32_t)payload[2]) {
		return false;
	}
	*playback = payload[0] != 0;
	*mute = payload[1] != 0;
	uint32_t n = payload[2] < max_channels ? payload[2] : max_channels;
	for (uint32_t i = 0; i < n; i++) {
		volume[i] = (uint16_t)(payload[3 + 2 * i] | payload[4 + 2 * i] << 8);
	}
	*nchannels = n;
	return true;
}

/* Payload builders */

/* Allocates a zeroed payload of header + extra bytes, if that fits in a uint32. */
static uint8_t *alloc_payload(uint64_t header, uint64_t extra, uint32_t *size) {
	uint64_t total = header + extra;
	if (total > UINT32_MAX) {
		return NULL;
	}
	// at least one byte so that an empty payload is not NULL
	uint8_t *buf = calloc(1, total > 0 ? (size_t)total : 1);
	if (buf != NULL) {
		*size = (uint32_t)total;
	}
	return buf;
}

static bool selection_ok(bool has_selection, uint8_t selection) {
	return has_selection || selection == VD_AGENT_CLIPBOARD_SELECTION_CLIPBOARD;
}

static size_t put_selection(uint8_t *buf, bool has_selection, uint8_t selection) {
	if (!has_selection) {
		return 0;
	}
	buf[0] = selection; // the 3 reserved bytes stay zero
	return SELECTION_SIZE;
}

bool spb_agent_build_caps(
		const uint32_t *caps, size_t caps_words, bool request, uint8_t **out, uint32_t *size) {
	if ((caps == NULL && caps_words > 0) || caps_words > UINT32_MAX / sizeof(uint32_t)) {
		return false;
	}
	uint8_t *buf = alloc_payload(
			sizeof(VDAgentAnnounceCapabilities), (uint64_t)caps_words * sizeof(uint32_t), size);
	if (buf == NULL) {
		return false;
	}
	put_le32(buf + offsetof(VDAgentAnnounceCapabilities, request), request ? 1 : 0);
	uint8_t *word = buf + sizeof(VDAgentAnnounceCapabilities);
	for (size_t i = 0; i < caps_words; i++) {
		put_le32(word + i * sizeof(uint32_t), caps[i]);
	}
	*out = buf;
	return true;
}

bool spb_agent_build_grab(bool has_selection, uint8_t selection, bool has_serial,
		uint32_t serial, const uint32_t *types, uint32_t n_types, uint8_t **out, uint32_t *size) {
	if (!selection_ok(has_selection, selection) || (types == NULL && n_types > 0)) {
		return false;
	}
	uint64_t header = (has_selection ? SELECTION_SIZE : 0) + (has_serial ? sizeof(uint32_t) : 0);
	uint8_t *buf = alloc_payload(header, (uint64_t)n_types * sizeof(uint32_t), size);
	if (buf == NULL) {
		return false;
	}
	size_t pos = put_selection(buf, has_selection, selection);
	if (has_serial) {
		put_le32(buf + pos, serial);
		pos += sizeof(uint32_t);
	}
	for (uint32_t i = 0; i < n_types; i++) {
		put_le32(buf + pos + i * sizeof(uint32_t), types[i]);
	}
	*out = buf;
	return true;
}

bool spb_agent_build_request(
		bool has_selection, uint8_t selection, uint32_t type, uint8_t **out, uint32_t *size) {
	if (!selection_ok(has_selection, selection)) {
		return false;
	}
	uint8_t *buf = alloc_payload(
			has_selection ? SELECTION_SIZE : 0, sizeof(VDAgentClipboardRequest), size);
	if (buf == NULL) {
		return false;
	}
	size_t pos = put_selection(buf, has_selection, selection);
	put_le32(buf + pos + offsetof(VDAgentClipboardRequest, type), type);
	*out = buf;
	return true;
}

bool spb_agent_build_clipboard(bool has_selection, uint8_t selection, uint32_t type,
		const void *data, uint32_t data_size, uint8_t **out, uint32_t *size) {
	if (!selection_ok(has_selection, selection) || (data == NULL && data_size > 0)) {
		return false;
	}
	uint64_t header = (has_selection ? SELECTION_SIZE : 0) + sizeof(VDAgentClipboard);
	uint8_t *buf = alloc_payload(header, data_size, size);
	if (buf == NULL) {
		return false;
	}
	size_t pos = put_selection(buf, has_selection, selection);
	put_le32(buf + pos + offsetof(VDAgentClipboard, type), type);
	if (data_size > 0) {
		memcpy(buf + header, data, data_size);
	}
	*out = buf;
	return true;
}

bool spb_agent_build_release(
		bool has_selection, uint8_t selection, uint8_t **out, uint32_t *size) {
	if (!selection_ok(has_selection, selection)) {
		return false;
	}
	uint8_t *buf = alloc_payload(has_selection ? SELECTION_SIZE : 0, 0, size);
	if (buf == NULL) {
		return false;
	}
	put_selection(buf, has_selection, selection);
	*out = buf;
	return true;
}

bool spb_agent_build_reply(uint32_t type, uint32_t error, uint8_t **out, uint32_t *size) {
	uint8_t *buf = alloc_payload(sizeof(VDAgentReply), 0, size);
	if (buf == NULL) {
		return false;
	}
	put_le32(buf + offsetof(VDAgentReply, type), type);
	put_le32(buf + offsetof(VDAgentReply, error), error);
	*out = buf;
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

/* File transfer */

_Static_assert(sizeof(VDAgentFileXferStartMessage) == 4, "VDAgentFileXferStartMessage layout");
_Static_assert(sizeof(VDAgentFileXferDataMessage) == 12, "VDAgentFileXferDataMessage layout");
_Static_assert(sizeof(VDAgentFileXferStatusMessage) == 8, "VDAgentFileXferStatusMessage");

#define FILE_XFER_GROUP "vdagent-file-xfer"

static bool is_blank(char c) {
	return c == ' ' || c == '\t';
}

/* GKeyFile's value escapes; false for any other backslash sequence or a NUL. */
static bool unescape_value(const char *v, size_t len, char *out, size_t out_cap) {
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		char c = v[i];
		if (c == '\\') {
			if (++i == len) {
				return false;
			}
			switch (v[i]) {
			case 's':
				c = ' ';
				break;
			case 'n':
				c = '\n';
				break;
			case 't':
				c = '\t';
				break;
			case 'r':
				c = '\r';
				break;
			case '\\':
				c = '\\';
				break;
			default:
				return false;
			}
		}
		if (c == '\0' || n + 1 >= out_cap) {
			return false;
		}
		out[n++] = c;
	}
	out[n] = '\0';
	return true;
}

static bool parse_u64(const char *v, size_t len, uint64_t *out) {
	if (len == 0 || len > 20) {
		return false;
	}
	uint64_t value = 0;
	for (size_t i = 0; i < len; i++) {
		if (v[i] < '0' || v[i] > '9') {
			return false;
		}
		uint64_t digit = (uint64_t)(v[i] - '0');
		if (value > (UINT64_MAX - digit) / 10) {
			return false;
		}
		value = value * 10 + digit;
	}
	*out = value;
	return true;
}

bool spb_agent_parse_file_start(const uint8_t *payload, uint32_t size, uint32_t *id,
		char *name, size_t name_cap, uint64_t *file_size) {
	if (size < sizeof(VDAgentFileXferStartMessage) || name_cap == 0) {
		return false;
	}
	const char *text = (const char *)payload + sizeof(VDAgentFileXferStartMessage);
	size_t text_len = size - sizeof(VDAgentFileXferStartMessage);
	const char *nul = memchr(text, '\0', text_len);
	if (nul != NULL) {
		text_len = (size_t)(nul - text);
	}
	bool in_group = false, have_name = false, have_size = false;
	uint64_t value_size = 0;
	const char *line = text, *end = text + text_len;
	while (line < end) {
		const char *eol = memchr(line, '\n', (size_t)(end - line));
		if (eol == NULL) {
			eol = end;
		}
		size_t len = (size_t)(eol - line);
		if (len > 0 && line[len - 1] == '\r') {
			len--;
		}
		size_t skip = 0;
		while (skip < len && is_blank(line[skip])) {
			skip++;
		}
		const char *l = line + skip;
		len -= skip;
		if (len == 0 || l[0] == '#') {
			// blank or comment
		} else if (l[0] == '[') {
			if (l[len - 1] != ']') {
				return false;
			}
			in_group = len - 2 == strlen(FILE_XFER_GROUP) &&
					memcmp(l + 1, FILE_XFER_GROUP, len - 2) == 0;
		} else {
			const char *eq = memchr(l, '=', len);
			if (eq == NULL || eq == l) {
				return false;
			}
			size_t key_len = (size_t)(eq - l);
			while (key_len > 0 && is_blank(l[key_len - 1])) {
				key_len--;
			}
			const char *v = eq + 1;
			size_t v_len = len - (size_t)(v - l);
			while (v_len > 0 && is_blank(*v)) {
				v++;
				v_len--;
			}
			if (!in_group) {
				// another group's key: not ours
			} else if (key_len == 4 && memcmp(l, "name", 4) == 0) {
				if (!unescape_value(v, v_len, name, name_cap)) {
					return false;
				}
				have_name = true;
			} else if (key_len == 4 && memcmp(l, "size", 4) == 0) {
				while (v_len > 0 && is_blank(v[v_len - 1])) {
					v_len--;
				}
				if (!parse_u64(v, v_len, &value_size)) {
					return false;
				}
				have_size = true;
			}
		}
		line = eol + 1;
	}
	if (!have_name || !have_size) {
		return false;
	}
	*id = get_le32(payload);
	*file_size = value_size;
	return true;
}

bool spb_agent_parse_file_data(const uint8_t *payload, uint32_t size, uint32_t *id,
		const uint8_t **data, uint32_t *data_size) {
	if (size < sizeof(VDAgentFileXferDataMessage)) {
		return false;
	}
	uint64_t declared = (uint64_t)get_le32(payload + 4) | (uint64_t)get_le32(payload + 8) << 32;
	if (declared != size - sizeof(VDAgentFileXferDataMessage)) {
		return false;
	}
	*id = get_le32(payload);
	*data = payload + sizeof(VDAgentFileXferDataMessage);
	*data_size = (uint32_t)declared;
	return true;
}

bool spb_agent_parse_file_status(
		const uint8_t *payload, uint32_t size, uint32_t *id, uint32_t *result) {
	if (size < sizeof(VDAgentFileXferStatusMessage)) {
		return false;
	}
	*id = get_le32(payload);
	*result = get_le32(payload + 4);
	return true;
}

bool spb_agent_build_file_status(uint32_t id, uint32_t result, const void *detail,
		uint32_t detail_size, uint8_t **out, uint32_t *size) {
	uint8_t *buf = alloc_payload(sizeof(VDAgentFileXferStatusMessage), detail_size, size);
	if (buf == NULL) {
		return false;
	}
	put_le32(buf, id);
	put_le32(buf + 4, result);
	if (detail_size > 0) {
		memcpy(buf + sizeof(VDAgentFileXferStatusMessage), detail, detail_size);
	}
	*out = buf;
	return true;
}

bool spb_agent_file_name_safe(const char *name, char *out, size_t out_cap) {
	const char *base = name;
	for (const char *c = name; *c != '\0'; c++) {
		if (*c == '/' || *c == '\\') {
			base = c + 1;
		}
	}
	size_t len = strlen(base);
	if (len == 0 || len > SPB_AGENT_FILE_NAME_MAX || len + 1 > out_cap ||
			strcmp(base, ".") == 0 || strcmp(base, "..") == 0) {
		return false;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)base[i];
		if (c == 0xc2 && i + 1 < len && (unsigned char)base[i + 1] >= 0x80 &&
				(unsigned char)base[i + 1] <= 0x9f) {
			// a C1 control character in UTF-8: two bytes become one '_'
			out[i] = '_';
			out[i + 1] = '_';
			i++;
			continue;
		}
		out[i] = c < 0x20 || c == 0x7f ? '_' : (char)c;
	}
	out[len] = '\0';
	return true;
}

bool spb_agent_file_name_variant(const char *name, unsigned n, char *out, size_t out_cap) {
	int written;
	if (n == 0) {
		written = snprintf(out, out_cap, "%s", name);
	} else {
		const char *dot = strrchr(name, '.');
		if (dot == NULL || dot == name) {
			dot = name + strlen(name);
		}
		written = snprintf(out, out_cap, "%.*s (%u)%s", (int)(dot - name), name, n, dot);
	}
	return written >= 0 && (size_t)written < out_cap;
}
