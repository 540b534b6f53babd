/*
 * The payloads of the vdagent messages spice-wl handles, other than file
 * transfer (agent_proto_file.c): parsing what a client sends (monitors
 * config, capabilities, clipboard, volume) and building what the agent
 * sends (capabilities, clipboard, reply). See agent_proto.h.
 */
#include <stdlib.h>
#include <string.h>

#include "agent_proto.h"
#include "agent_proto_wire.h"

/* The selection header of clipboard messages: uint8 selection + 3 reserved. */
#define SELECTION_SIZE 4

_Static_assert(sizeof(VDAgentMonitorsConfig) == 8, "VDAgentMonitorsConfig layout");
_Static_assert(sizeof(VDAgentMonConfig) == 20, "VDAgentMonConfig layout");
_Static_assert(sizeof(VDAgentMonitorMM) == 4, "VDAgentMonitorMM layout");
_Static_assert(sizeof(VDAgentAnnounceCapabilities) == 4, "VDAgentAnnounceCapabilities");
_Static_assert(sizeof(VDAgentReply) == 8, "VDAgentReply layout");
_Static_assert(sizeof(VDAgentClipboard) == 4, "VDAgentClipboard layout");
_Static_assert(sizeof(VDAgentClipboardRequest) == 4, "VDAgentClipboardRequest layout");

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

uint8_t *spb_agent_alloc_payload(uint64_t header, uint64_t extra, uint32_t *size) {
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
	uint8_t *buf = spb_agent_alloc_payload(
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
	uint8_t *buf = spb_agent_alloc_payload(header, (uint64_t)n_types * sizeof(uint32_t), size);
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
	uint8_t *buf = spb_agent_alloc_payload(
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
	uint8_t *buf = spb_agent_alloc_payload(header, data_size, size);
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
	uint8_t *buf = spb_agent_alloc_payload(has_selection ? SELECTION_SIZE : 0, 0, size);
	if (buf == NULL) {
		return false;
	}
	put_selection(buf, has_selection, selection);
	*out = buf;
	return true;
}

bool spb_agent_build_reply(uint32_t type, uint32_t error, uint8_t **out, uint32_t *size) {
	uint8_t *buf = spb_agent_alloc_payload(sizeof(VDAgentReply), 0, size);
	if (buf == NULL) {
		return false;
	}
	put_le32(buf + offsetof(VDAgentReply, type), type);
	put_le32(buf + offsetof(VDAgentReply, error), error);
	*out = buf;
	return true;
}
