/*
 * The vdagent wire protocol that spice-wl speaks as its own SPICE agent:
 * reassembling VDAgentMessages from the VDIChunkHeader-framed byte stream of
 * the "vdagent" char device, framing outgoing messages into chunks, and
 * parsing / building the message payloads the compositor uses (monitors
 * config, capabilities, clipboard, reply). Pure: no SPICE server calls, no
 * wlroots, so it is unit-tested and fuzzed alone.
 *
 * Everything on the wire is little-endian; nothing here reads through
 * unaligned casts.
 */
#ifndef SPB_AGENT_PROTO_H
#define SPB_AGENT_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <spice/vd_agent.h>

/* Largest message we accept from a client; larger ones are dropped whole (their bytes skipped). */
#define SPB_AGENT_MAX_MESSAGE (16 * 1024 * 1024)

/*
 * Called for every complete message. port is VDP_CLIENT_PORT (from the
 * client, relayed by spice-server) or VDP_SERVER_PORT (made by spice-server
 * itself: VD_AGENT_MOUSE_STATE, VD_AGENT_CLIENT_DISCONNECTED,
 * VD_AGENT_GRAPHICS_DEVICE_INFO). payload is never NULL, even when size is 0,
 * and is valid only during the call.
 */
typedef void (*spb_agent_message_fn)(
		void *data, uint32_t port, uint32_t type, const uint8_t *payload, uint32_t size);

/* Reassembly state of one chunk port. Private. */
struct spb_agent_port_state {
	uint8_t header[sizeof(VDAgentMessage)];
	size_t header_len; // bytes of header[] filled so far
	uint32_t type, size; // from the header, once complete
	uint32_t received; // payload bytes seen so far
	bool skipping; // dropping this message's payload without keeping it
	uint8_t *buf; // payload, when not skipping
	size_t cap;
};

/* Reassembles VDAgentMessages from the VDIChunkHeader-framed byte stream a client sends. */
struct spb_agent_parser {
	/* Public, read-only: how many messages or chunks were thrown away. */
	uint64_t dropped;
	/* Why the last one was, a static string (NULL until something was dropped). */
	const char *last_error;

	/* Private. */
	size_t max_message;
	uint8_t chunk_header[sizeof(VDIChunkHeader)];
	size_t chunk_header_len;
	uint32_t chunk_port;
	uint32_t chunk_remaining; // data bytes of the current chunk not yet fed
	bool chunk_discard; // skip what is left of the current chunk
	// messages are reassembled per port: spice-server may put one of its own
	// chunks between two chunks of a client's message
	struct spb_agent_port_state ports[VDP_END_PORT - VDP_CLIENT_PORT];
};

/*
 * max_message caps the payload size of client messages (0 means
 * SPB_AGENT_MAX_MESSAGE). Messages spice-server makes itself fit in
 * one chunk and are capped at VD_AGENT_MAX_DATA_SIZE bytes.
 */
void spb_agent_parser_init(struct spb_agent_parser *parser, size_t max_message);
void spb_agent_parser_finish(struct spb_agent_parser *parser);
/* Forgets partial chunks and messages (the counters stay). Safe to call from fn. */
void spb_agent_parser_reset(struct spb_agent_parser *parser);
/*
 * Feeds bytes (any split: a byte at a time, several chunks at once). Calls fn once per
 * complete, valid message (header validated: protocol == VD_AGENT_PROTOCOL, size matches what
 * arrived). Invalid messages are dropped with a reason counted in parser->dropped (and the last
 * reason kept as a static string in parser->last_error for logging). Never allocates more than
 * max_message + a small constant, never crashes.
 *
 * Framing rules (those of spice-vdagentd): a chunk has 1 .. VD_AGENT_MAX_DATA_SIZE data bytes
 * and port VDP_CLIENT_PORT or VDP_SERVER_PORT; messages are reassembled per port. A chunk
 * header with a bad size loses the framing: it and every partial message are dropped and the
 * next byte is read as a chunk header. A chunk with a bad port is skipped. A message header
 * with a bad protocol is dropped with the rest of its chunk (its size cannot be trusted); the
 * next chunk of that port starts a new message. A message larger than the limit is skipped
 * byte for byte, never buffered. A message never shares a chunk with the next one: a chunk
 * holding more than the rest of its message drops that message and the rest of the chunk. A
 * VD_AGENT_CLIENT_DISCONNECTED from VDP_SERVER_PORT drops the client's partial message before
 * it is delivered.
 *
 * fn may call spb_agent_parser_reset() but must not feed or finish the parser.
 */
void spb_agent_parser_feed(struct spb_agent_parser *parser, const uint8_t *bytes,
		size_t len, spb_agent_message_fn fn, void *data);

/* Encodes one message as VDIChunkHeader-framed chunks (port VDP_CLIENT_PORT, chunk payload at most
 * VD_AGENT_MAX_DATA_SIZE bytes incl. the VDAgentMessage header) into a newly allocated buffer.
 * payload may be NULL when size is 0. The caller frees *out. */
bool spb_agent_encode(
		uint32_t type, const void *payload, uint32_t size, uint8_t **out, size_t *out_len);

/*
 * Parsed messages, each validated against its size; false (and nothing allocated) when malformed.
 * Outputs are written only on success; scalar outputs (count, flags, request, selection, serial,
 * type, data, data_size) may be NULL when not wanted.
 */

struct spb_agent_monitor {
	int32_t x, y;
	uint32_t width, height;
	uint32_t width_mm, height_mm; // the client's monitor; 0 when not known
};
/*
 * VD_AGENT_MONITORS_CONFIG. The VDAgentMonitorMM array that follows the
 * monitors when flags has VD_AGENT_CONFIG_MONITORS_FLAG_PHYSICAL_SIZE (as
 * spice-gtk always sends) is required and gives width_mm/height_mm (else
 * 0); bytes after it are ignored. At most max_monitors monitors are written to out (the rest are
 * ignored) and *count says how many were; a width and height of 0 is a
 * disabled monitor (sparse config). flags is returned as sent.
 */
bool spb_agent_parse_monitors(const uint8_t *payload, uint32_t size, uint32_t max_monitors,
		struct spb_agent_monitor *out, uint32_t *count, uint32_t *flags);
/* caps: out array of VD_AGENT_CAPS_SIZE uint32_t words (missing words zero), request flag.
 * Words beyond caps_words and a trailing partial word are ignored. */
bool spb_agent_parse_caps(
		const uint8_t *payload, uint32_t size, uint32_t *caps, size_t caps_words, bool *request);
/* Clipboard messages. With the CLIPBOARD_SELECTION cap each starts with a 4-byte selection header
 * (uint8 selection + 3 reserved); with GRAB_SERIAL a uint32 serial follows the selection header on
 * GRAB only (in both directions). has_selection / has_serial say which framing to expect. Without
 * has_selection, *selection is VD_AGENT_CLIPBOARD_SELECTION_CLIPBOARD; without has_serial, *serial
 * is 0. Grab: at most max_types types are written, *n_types says how many; a type list that is not
 * a whole number of uint32 is malformed. Request and release must have their exact size. */
bool spb_agent_parse_grab(const uint8_t *payload, uint32_t size, bool has_selection,
		bool has_serial, uint8_t *selection, uint32_t *serial, uint32_t *types, uint32_t max_types,
		uint32_t *n_types);
bool spb_agent_parse_request(const uint8_t *payload, uint32_t size, bool has_selection,
		uint8_t *selection, uint32_t *type);
/* data points into payload */
bool spb_agent_parse_clipboard(const uint8_t *payload, uint32_t size, bool has_selection,
		uint8_t *selection, uint32_t *type, const uint8_t **data, uint32_t *data_size);
bool spb_agent_parse_release(
		const uint8_t *payload, uint32_t size, bool has_selection, uint8_t *selection);
/*
 * VDAgentAudioVolumeSync: whether it is for playback, mute, and up to
 * max_channels volumes (more are ignored; *nchannels says how many were kept).
 */
bool spb_agent_parse_volume(const uint8_t *payload, uint32_t size, bool *playback,
		bool *mute, uint16_t *volume, uint32_t max_channels, uint32_t *nchannels);

/*
 * Builders for what the agent sends (payload only; wrap with spb_agent_encode). *out is
 * newly allocated (never NULL on success, even for an empty payload) and freed by the caller.
 * They fail when the size would not fit in a uint32, on allocation failure, and for a selection
 * other than VD_AGENT_CLIPBOARD_SELECTION_CLIPBOARD without has_selection (an old peer would
 * take it for the clipboard).
 */
bool spb_agent_build_caps(
		const uint32_t *caps, size_t caps_words, bool request, uint8_t **out, uint32_t *size);
bool spb_agent_build_grab(bool has_selection, uint8_t selection, bool has_serial,
		uint32_t serial, const uint32_t *types, uint32_t n_types, uint8_t **out, uint32_t *size);
bool spb_agent_build_request(
		bool has_selection, uint8_t selection, uint32_t type, uint8_t **out, uint32_t *size);
bool spb_agent_build_clipboard(bool has_selection, uint8_t selection, uint32_t type,
		const void *data, uint32_t data_size, uint8_t **out, uint32_t *size);
bool spb_agent_build_release(
		bool has_selection, uint8_t selection, uint8_t **out, uint32_t *size);
bool spb_agent_build_reply(uint32_t type, uint32_t error, uint8_t **out, uint32_t *size);

/*
 * File transfer, client to session. VD_AGENT_FILE_XFER_START: the id and the
 * key file that follows it ("[vdagent-file-xfer]" with name= and size=, as
 * GLib's GKeyFile writes it: comments, blank lines, other groups and keys and
 * localised keys are ignored; \s \n \t \r \\ escapes are decoded; the text
 * ends at the payload's end or its first NUL). The name is written to name
 * (NUL-terminated, as sent: not safe as a path, see
 * spb_agent_file_name_safe); false when the key file is malformed, a
 * key is missing, the size is not a decimal uint64 or the name does not fit
 * name_cap (NUL included) or contains a NUL.
 */
bool spb_agent_parse_file_start(const uint8_t *payload, uint32_t size, uint32_t *id,
		char *name, size_t name_cap, uint64_t *file_size);
/* VD_AGENT_FILE_XFER_DATA: its size field must match the bytes that follow. data points into
 * payload. */
bool spb_agent_parse_file_data(const uint8_t *payload, uint32_t size, uint32_t *id,
		const uint8_t **data, uint32_t *data_size);
/* VD_AGENT_FILE_XFER_STATUS: the id and result; detail bytes after them are ignored. */
bool spb_agent_parse_file_status(
		const uint8_t *payload, uint32_t size, uint32_t *id, uint32_t *result);
/* VD_AGENT_FILE_XFER_STATUS to send: detail (may be NULL when detail_size is 0) follows the id
 * and result. */
bool spb_agent_build_file_status(uint32_t id, uint32_t result, const void *detail,
		uint32_t detail_size, uint8_t **out, uint32_t *size);

/* The longest file name kept, in bytes; room is left for " (NNNN)" and a temporary prefix. */
#define SPB_AGENT_FILE_NAME_MAX 200
/*
 * Turns an untrusted name into one safe to create in the download directory:
 * the part after the last '/' or '\\' only; control characters (C0, DEL and
 * C1 in UTF-8) become '_'. False (nothing usable) for an empty result, "."
 * and "..", and a result longer than SPB_AGENT_FILE_NAME_MAX bytes or
 * out_cap - 1. The result never contains '/', a NUL or a control character.
 */
bool spb_agent_file_name_safe(const char *name, char *out, size_t out_cap);
/*
 * The n-th candidate for a safe name: n == 0 is the name itself, then
 * "stem (n).ext" (the extension is what follows the last '.', unless that
 * '.' starts the name). False when it does not fit out_cap.
 */
bool spb_agent_file_name_variant(const char *name, unsigned n, char *out, size_t out_cap);

/*
 * Bytes queued for the client, which spice-server pulls in pieces as the
 * client grants tokens. Its memory stays bounded however slowly it is
 * drained: at most max pending bytes (a push that would pass its limit is
 * refused whole), the buffer is compacted instead of growing past what is
 * pending, and it is given back once a large transfer has drained.
 */
struct spb_agent_outq {
	uint8_t *buf; // pending bytes are buf[off..len)
	size_t off, len, cap;
	size_t max; // most pending bytes
};

/* Buffers larger than this are freed or shrunk once mostly drained. */
#define SPB_AGENT_OUTQ_KEEP (64 * 1024)

void spb_agent_outq_init(struct spb_agent_outq *q, size_t max);
void spb_agent_outq_finish(struct spb_agent_outq *q);
size_t spb_agent_outq_pending(const struct spb_agent_outq *q);
/*
 * Appends len bytes unless the pending bytes would then pass limit (or max,
 * whichever is lower) or memory runs out: false, and nothing is queued.
 */
bool spb_agent_outq_push(
		struct spb_agent_outq *q, const uint8_t *bytes, size_t len, size_t limit);
/* Moves up to len pending bytes into buf; returns how many. */
size_t spb_agent_outq_pull(struct spb_agent_outq *q, uint8_t *buf, size_t len);

#endif
