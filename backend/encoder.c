/*
 * The values spice-server's encoder settings take, by option name: checked
 * here for the compositor's option parser (wlr_spice_encoder_check) and
 * turned into spice-server's enums for backend.c (spb_encoder_lookup).
 * These are the values XSpice accepted.
 */
#include <stdio.h>
#include <string.h>
#include <spice.h>
#include "encoder.h"
#include "wlr_spice.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static const char *const image_compression_names[] = { "off", "auto_glz", "auto_lz", "quic", "glz",
	"lz", "lz4", NULL };
static const int image_compression_values[] = { SPICE_IMAGE_COMPRESSION_OFF,
	SPICE_IMAGE_COMPRESSION_AUTO_GLZ, SPICE_IMAGE_COMPRESSION_AUTO_LZ,
	SPICE_IMAGE_COMPRESSION_QUIC, SPICE_IMAGE_COMPRESSION_GLZ, SPICE_IMAGE_COMPRESSION_LZ,
	SPICE_IMAGE_COMPRESSION_LZ4 };

static const char *const wan_compression_names[] = { "auto", "never", "always", NULL };
static const int wan_compression_values[] = { SPICE_WAN_COMPRESSION_AUTO,
	SPICE_WAN_COMPRESSION_NEVER, SPICE_WAN_COMPRESSION_ALWAYS };

static const char *const streaming_video_names[] = { "off", "all", "filter", NULL };
static const int streaming_video_values[] = { SPICE_STREAM_VIDEO_OFF, SPICE_STREAM_VIDEO_ALL,
	SPICE_STREAM_VIDEO_FILTER };

// The parts of a video-codecs entry, ENCODER:CODEC, as spice-server parses them.
static const char *const video_encoder_names[] = { "spice", "gstreamer", NULL };
static const char *const video_codec_names[] = { "mjpeg", "vp8", "vp9", "h264", "h265", NULL };

#define SAME_LENGTH(names, values)                                                                \
	_Static_assert(ARRAY_LEN(names) == ARRAY_LEN(values) + 1, #names " and " #values)
SAME_LENGTH(image_compression_names, image_compression_values);
SAME_LENGTH(wan_compression_names, wan_compression_values);
SAME_LENGTH(streaming_video_names, streaming_video_values);

static const struct {
	const char *option;
	const char *const *names; // NULL-terminated
	const int *values; // spice-server's, one per name; NULL for parts of video-codecs
} lists[] = {
	{ "image-compression", image_compression_names, image_compression_values },
	{ "jpeg-wan-compression", wan_compression_names, wan_compression_values },
	{ "zlib-glz-wan-compression", wan_compression_names, wan_compression_values },
	{ "streaming-video", streaming_video_names, streaming_video_values },
	{ "video-encoder", video_encoder_names, NULL },
	{ "video-codec", video_codec_names, NULL },
};

const char *const *wlr_spice_encoder_values(const char *option) {
	for (size_t i = 0; i < ARRAY_LEN(lists); i++) {
		if (strcmp(lists[i].option, option) == 0) {
			return lists[i].names;
		}
	}
	return NULL;
}

/* The index of the len bytes at s in names, or -1. */
static int find_name(const char *const *names, const char *s, size_t len) {
	for (int i = 0; names[i] != NULL; i++) {
		if (strlen(names[i]) == len && strncmp(names[i], s, len) == 0) {
			return i;
		}
	}
	return -1;
}

bool spb_encoder_lookup(const char *option, const char *value, int *out) {
	for (size_t i = 0; i < ARRAY_LEN(lists); i++) {
		if (lists[i].values == NULL || strcmp(lists[i].option, option) != 0) {
			continue;
		}
		int index = find_name(lists[i].names, value, strlen(value));
		if (index >= 0) {
			*out = lists[i].values[index];
		}
		return index >= 0;
	}
	return false;
}

/* Appends "a, b or c" (the names) to reason. */
static void append_names(char *reason, size_t size, const char *const *names) {
	size_t used = strlen(reason);
	for (int i = 0; names[i] != NULL && used < size; i++) {
		const char *sep = i == 0 ? "" : names[i + 1] == NULL ? " or " : ", ";
		int n = snprintf(reason + used, size - used, "%s%s", sep, names[i]);
		used += n > 0 ? (size_t)n : 0;
	}
}

/* "encoder:codec[;encoder:codec...]", as spice_server_set_video_codecs takes it. */
static bool check_video_codecs(const char *value, char *reason, size_t size) {
	for (const char *entry = value;;) {
		size_t len = strcspn(entry, ";");
		const char *colon = memchr(entry, ':', len);
		if (colon == NULL) {
			snprintf(reason, size, "entry '%.*s' is not ENCODER:CODEC", (int)len, entry);
			return false;
		}
		size_t encoder_len = (size_t)(colon - entry);
		size_t codec_len = len - encoder_len - 1;
		if (find_name(video_encoder_names, entry, encoder_len) < 0) {
			snprintf(reason, size, "unknown encoder '%.*s' (expected ", (int)encoder_len, entry);
			append_names(reason, size, video_encoder_names);
		} else if (find_name(video_codec_names, colon + 1, codec_len) < 0) {
			snprintf(reason, size, "unknown codec '%.*s' (expected ", (int)codec_len, colon + 1);
			append_names(reason, size, video_codec_names);
		} else if (entry[len] == '\0') {
			return true;
		} else {
			entry += len + 1;
			continue;
		}
		strncat(reason, ")", size - strlen(reason) - 1);
		return false;
	}
}

bool wlr_spice_encoder_check(const char *option, const char *value, char *reason, size_t size) {
	if (size == 0) {
		return false;
	}
	reason[0] = '\0';
	if (strcmp(option, "video-codecs") == 0) {
		return check_video_codecs(value, reason, size);
	}
	int spice_value;
	if (spb_encoder_lookup(option, value, &spice_value)) {
		return true;
	}
	const char *const *names = wlr_spice_encoder_values(option);
	if (names == NULL) {
		snprintf(reason, size, "'%s' is no encoder option", option);
		return false;
	}
	snprintf(reason, size, "expected ");
	append_names(reason, size, names);
	return false;
}
