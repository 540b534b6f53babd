/*
 * libFuzzer target for backend/agent_proto.c. The input is a vdagent char
 * device stream preceded by a 5-byte control block:
 *
 *   [0]     bits 0-2: max_message (see max_messages[]); bit 3: reset the
 *           parser from the callback after every message
 *   [1..4]  feed sizes, used in turn: 0 = all that is left, 1..127 = that
 *           many bytes, 128..255 = (v - 127) * 64 bytes
 *
 * Every message delivered goes through every parser under every clipboard
 * framing; what parses is rebuilt with the matching builder and must parse
 * back to the same values, and the message itself is encoded again and must
 * come back unchanged from a second parser fed a byte at a time.
 *
 * Built with -DSPB_FUZZ_REPLAY it is a plain program instead that runs
 * the files (or the files in the directories) named on its command line
 * through the target once, for compilers without libFuzzer.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "agent_proto.h"

#define CONTROL_SIZE 5
#define MAX_TYPES 8
#define MAX_MONITORS 4
#define CAPS_WORDS (VD_AGENT_CAPS_SIZE + 1)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const size_t max_messages[] = {
	16, 64, 2028, 2048, 4096, 65536, 1 << 20, 0, // 0: SPB_AGENT_MAX_MESSAGE
};

struct context {
	struct spb_agent_parser *parser;
	size_t max_message;
	bool reset_in_callback;
};

struct echo {
	uint32_t type, size;
	const uint8_t *payload;
	int delivered;
};

static void echo_message(void *data, uint32_t port, uint32_t type, const uint8_t *payload,
		uint32_t size) {
	struct echo *echo = data;
	echo->delivered++;
	CHECK(port == VDP_CLIENT_PORT);
	CHECK(type == echo->type);
	CHECK(size == echo->size);
	CHECK(size == 0 || memcmp(payload, echo->payload, size) == 0);
}

/* The message encoded again comes back unchanged. */
static void check_encode(uint32_t type, const uint8_t *payload, uint32_t size) {
	uint8_t *out = NULL;
	size_t len = 0;
	CHECK(spb_agent_encode(type, payload, size, &out, &len));
	struct spb_agent_parser parser;
	spb_agent_parser_init(&parser, 0);
	struct echo echo = {.type = type, .size = size, .payload = payload};
	// whole for big messages (speed), byte at a time for small ones
	size_t step = len > 4096 ? len : 1;
	for (size_t pos = 0; pos < len; pos += step) {
		size_t n = len - pos < step ? len - pos : step;
		spb_agent_parser_feed(&parser, out + pos, n, echo_message, &echo);
	}
	CHECK(echo.delivered == 1);
	CHECK(parser.dropped == 0);
	spb_agent_parser_finish(&parser);
	free(out);
}

static void check_monitors(const uint8_t *payload, uint32_t size) {
	struct spb_agent_monitor mons[MAX_MONITORS];
	uint32_t count = 0, flags = 0;
	if (spb_agent_parse_monitors(payload, size, MAX_MONITORS, mons, &count, &flags)) {
		CHECK(count <= MAX_MONITORS);
		uint32_t n = 0;
		CHECK(spb_agent_parse_monitors(payload, size, 0, NULL, &n, NULL));
		CHECK(n == 0);
	}
}

static void check_caps(const uint8_t *payload, uint32_t size) {
	uint32_t caps[CAPS_WORDS];
	bool request = false;
	if (!spb_agent_parse_caps(payload, size, caps, CAPS_WORDS, &request)) {
		CHECK(size < 4);
		return;
	}
	uint8_t *built = NULL;
	uint32_t built_size = 0;
	CHECK(spb_agent_build_caps(caps, CAPS_WORDS, request, &built, &built_size));
	uint32_t again[CAPS_WORDS];
	bool request_again = !request;
	CHECK(spb_agent_parse_caps(built, built_size, again, CAPS_WORDS, &request_again));
	CHECK(request_again == request);
	CHECK(memcmp(again, caps, sizeof(caps)) == 0);
	free(built);
}

static void check_clipboard(const uint8_t *payload, uint32_t size) {
	for (int framing = 0; framing < 4; framing++) {
		bool has_selection = framing & 1, has_serial = framing & 2;
		uint8_t selection = 0, selection_again = 0;
		uint32_t serial = 0, types[MAX_TYPES], n_types = 0;
		uint8_t *built = NULL;
		uint32_t built_size = 0;

		if (spb_agent_parse_grab(payload, size, has_selection, has_serial, &selection,
				&serial, types, MAX_TYPES, &n_types)) {
			CHECK(n_types <= MAX_TYPES);
			CHECK(has_selection || selection == VD_AGENT_CLIPBOARD_SELECTION_CLIPBOARD);
			CHECK(spb_agent_build_grab(has_selection, selection, has_serial, serial,
				types, n_types, &built, &built_size));
			uint32_t serial_again = 0, types_again[MAX_TYPES], n_again = 0;
			CHECK(spb_agent_parse_grab(built, built_size, has_selection, has_serial,
				&selection_again, &serial_again, types_again, MAX_TYPES, &n_again));
			CHECK(selection_again == selection && serial_again == serial);
			CHECK(n_again == n_types);
			CHECK(memcmp(types_again, types, n_types * sizeof(uint32_t)) == 0);
			free(built);
		}

		if (has_serial) {
			continue; // the serial only frames grabs
		}

		uint32_t data_type = 0;
		if (spb_agent_parse_request(payload, size, has_selection, &selection,
				&data_type)) {
			CHECK(spb_agent_build_request(has_selection, selection, data_type, &built,
				&built_size));
			CHECK(built_size == size);
			uint32_t type_again = 0;
			CHECK(spb_agent_parse_request(built, built_size, has_selection,
				&selection_again, &type_again));
			CHECK(selection_again == selection && type_again == data_type);
			free(built);
		}

		const uint8_t *data = NULL;
		uint32_t data_size = 0;
		if (spb_agent_parse_clipboard(payload, size, has_selection, &selection,
				&data_type, &data, &data_size)) {
			CHECK(data >= payload && data + data_size == payload + size);
			CHECK(spb_agent_build_clipboard(has_selection, selection, data_type, data,
				data_size, &built, &built_size));
			CHECK(built_size == size);
			const uint8_t *data_again = NULL;
			uint32_t type_again = 0, size_again = 0;
			CHECK(spb_agent_parse_clipboard(built, built_size, has_selection,
				&selection_again, &type_again, &data_again, &size_again));
			CHECK(selection_again == selection && type_again == data_type);
			CHECK(size_again == data_size);
			CHECK(data_size == 0 || memcmp(data_again, data, data_size) == 0);
			free(built);
		}

		if (spb_agent_parse_release(payload, size, has_selection, &selection)) {
			CHECK(spb_agent_build_release(has_selection, selection, &built,
				&built_size));
			CHECK(built_size == size);
			CHECK(spb_agent_parse_release(built, built_size, has_selection,
				&selection_again));
			CHECK(selection_again == selection);
			free(built);
		}
	}
}

/* File transfer messages: the parsers keep to the payload, and a name they
 * return becomes a safe one or is refused; whatever comes out is a plain
 * file name. */
static void check_file_xfer(const uint8_t *payload, uint32_t size) {
	char name[512];
	uint32_t id = 0;
	uint64_t file_size = 0;
	if (spb_agent_parse_file_start(payload, size, &id, name, sizeof(name), &file_size)) {
		CHECK(memchr(name, '\0', sizeof(name)) != NULL);
		char safe[SPB_AGENT_FILE_NAME_MAX + 1];
		if (spb_agent_file_name_safe(name, safe, sizeof(safe))) {
			size_t len = strlen(safe);
			CHECK(len > 0 && len <= SPB_AGENT_FILE_NAME_MAX);
			CHECK(strcmp(safe, ".") != 0 && strcmp(safe, "..") != 0);
			for (size_t i = 0; i < len; i++) {
				unsigned char c = (unsigned char)safe[i];
				CHECK(c != '/' && c != '\\' && c >= 0x20 && c != 0x7f);
			}
			char variant[SPB_AGENT_FILE_NAME_MAX + 32];
			CHECK(spb_agent_file_name_variant(safe, id % 10000, variant,
				sizeof(variant)));
			CHECK(strchr(variant, '/') == NULL);
		}
	}
	const uint8_t *data = NULL;
	uint32_t data_size = 0, result = 0;
	if (spb_agent_parse_file_data(payload, size, &id, &data, &data_size)) {
		CHECK(data >= payload && data + data_size == payload + size);
	}
	if (spb_agent_parse_file_status(payload, size, &id, &result)) {
		uint8_t *built = NULL;
		uint32_t built_size = 0;
		CHECK(spb_agent_build_file_status(id, result, payload + 8, size - 8, &built,
			&built_size));
		CHECK(built_size == size && memcmp(built, payload, size) == 0);
		free(built);
	}
}

/*
 * A volume sync (its values reach the sound server): kept channels match the
 * payload, never more than asked for, whatever max_channels is.
 */
static void check_volume(const uint8_t *payload, uint32_t size) {
	static const uint32_t maxes[] = { 0, 1, 8, 255 };
	for (size_t m = 0; m < sizeof(maxes) / sizeof(maxes[0]); m++) {
		uint16_t volume[255];
		uint32_t n = 0;
		bool playback = false, mute = false;
		if (!spb_agent_parse_volume(payload, size, &playback, &mute, volume, maxes[m],
					&n)) {
			CHECK(size < 3 || size != 3 + 2 * (uint32_t)payload[2]);
			continue;
		}
		CHECK(n <= maxes[m] && n <= payload[2]);
		CHECK(playback == (payload[0] != 0) && mute == (payload[1] != 0));
		for (uint32_t i = 0; i < n; i++) {
			CHECK(volume[i] == (uint16_t)(payload[3 + 2 * i] | payload[4 + 2 * i] << 8));
		}
	}
}

static void on_message(void *data, uint32_t port, uint32_t type, const uint8_t *payload,
		uint32_t size) {
	struct context *ctx = data;
	CHECK(payload != NULL);
	CHECK(port == VDP_CLIENT_PORT || port == VDP_SERVER_PORT);
	CHECK(size <= ctx->max_message);
	CHECK(port == VDP_CLIENT_PORT || size <= VD_AGENT_MAX_DATA_SIZE);
	if (size > 0) {
		// reads every byte: ASan catches a payload shorter than size
		volatile uint8_t sum = 0;
		for (uint32_t i = 0; i < size; i++) {
			sum += payload[i];
		}
		(void)sum;
	}

	// every parser on every message, whatever its type: none may misbehave
	check_monitors(payload, size);
	check_caps(payload, size);
	check_clipboard(payload, size);
	check_file_xfer(payload, size);
	check_volume(payload, size);
	if (size <= 256 * 1024) {
		check_encode(type, payload, size);
	}

	if (ctx->reset_in_callback) {
		spb_agent_parser_reset(ctx->parser);
	}
}

static size_t piece_size(uint8_t v, size_t left) {
	size_t n;
	if (v == 0) {
		n = left;
	} else if (v < 128) {
		n = v;
	} else {
		n = (size_t)(v - 127) * 64;
	}
	return n < left ? n : left;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	if (size < CONTROL_SIZE) {
		return 0;
	}
	const uint8_t *control = data;
	const uint8_t *stream = data + CONTROL_SIZE;
	size_t len = size - CONTROL_SIZE;

	size_t max = max_messages[control[0] & 7];
	struct spb_agent_parser parser;
	spb_agent_parser_init(&parser, max);
	struct context ctx = {
		.parser = &parser,
		.max_message = max > 0 ? max : SPB_AGENT_MAX_MESSAGE,
		.reset_in_callback = control[0] & 8,
	};

	uint64_t dropped = 0;
	size_t pos = 0;
	for (size_t i = 0; pos < len; i++) {
		size_t n = piece_size(control[1 + i % 4], len - pos);
		spb_agent_parser_feed(&parser, stream + pos, n, on_message, &ctx);
		pos += n;
		CHECK(parser.dropped >= dropped);
		CHECK(parser.dropped == 0 || parser.last_error != NULL);
		dropped = parser.dropped;
		// never more buffered than a message may hold
		CHECK(parser.ports[0].cap <= ctx.max_message);
		CHECK(parser.ports[1].cap <= VD_AGENT_MAX_DATA_SIZE);
		CHECK(parser.chunk_remaining <= VD_AGENT_MAX_DATA_SIZE);
	}

	spb_agent_parser_finish(&parser);
	return 0;
}

#ifdef SPB_FUZZ_REPLAY
#include "fuzz_replay.h"
#endif
