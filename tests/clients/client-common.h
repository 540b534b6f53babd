/*
 * What the end-to-end test clients swl-test-client (Wayland) and
 * swl-x11-client (X11) have in common: the four-quadrant colour patterns and
 * drawing into packed 32-bit pixel arrays, the stdin line reader and the
 * parsing of command arguments, and the text of "key" lines. Both clients
 * speak the same stdin/stdout line protocol, so these pieces must stay the
 * same for both.
 */
#ifndef SWL_TESTS_CLIENT_COMMON_H
#define SWL_TESTS_CLIENT_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <xkbcommon/xkbcommon.h>

#define TC_DEFAULT_WIDTH 640
#define TC_DEFAULT_HEIGHT 480
#define TC_MAX_SIZE 8192
#define TC_PATTERN_COUNT 8
#define TC_RECT_COORD_LIMIT 65536
#define TC_INPUT_MAX 4096
#define TC_MAX_ARGS 8
#define TC_KEY_NAME_MAX 64
#define TC_KEY_UTF8_MAX 64

struct tc_rect {
	int x, y, width, height;
};

/* Returns r clipped to a width x height image, all zero when nothing is left. */
struct tc_rect tc_clip_rect(struct tc_rect r, int width, int height);

/* Sets the pixels of r, clipped, in the packed width x height image data. */
void tc_fill_rect(uint32_t *data, int width, int height, struct tc_rect r, uint32_t pixel);

/*
 * Fills the image with pattern 0 .. TC_PATTERN_COUNT - 1. The 0xRRGGBB
 * colours are ORed with alpha (0xff000000 for opaque ARGB/XRGB, or 0).
 */
void tc_draw_pattern(uint32_t *data, int width, int height, int pattern, uint32_t alpha);

/* Allocates a width x height image showing pattern, or returns NULL. */
uint32_t *tc_pattern_image(int width, int height, int pattern, uint32_t alpha);

/* A whole decimal number in min .. max. */
bool tc_parse_int(const char *str, long min, long max, int *out);

/* Exactly six hex digits, RRGGBB. */
bool tc_parse_color(const char *str, uint32_t *out);

/* "WxH", each 1 .. TC_MAX_SIZE. */
bool tc_parse_size(const char *str, int *width, int *height);

/* The "X Y W H RRGGBB" arguments of the rect command, in args[0] .. args[4]. */
bool tc_parse_rect_args(char *const args[], struct tc_rect *r, uint32_t *color);

/* Line-based commands on stdin. */
struct tc_input {
	char buf[TC_INPUT_MAX];
	size_t len;
	bool overflow; /* skipping the rest of a line that was too long */
	bool open; /* false once stdin has reached its end */
};

/*
 * Reads what stdin has and hands each complete line, split at blanks into
 * 1 .. TC_MAX_ARGS words, to handle_command as long as that returns true.
 * Blank lines are skipped; one with more words gets "error invalid
 * arguments". At the end of stdin a last unterminated line is handled too and
 * open becomes false. A line that fills the whole buffer is dropped with
 * "error line too long". prog prefixes the message of a read error.
 */
void tc_input_read(struct tc_input *input, const char *prog,
	bool (*handle_command)(void *data, int argc, char *args[]), void *data);

/* The SYM and UTF8 fields of a "key" line, "-" where there is none. */
struct tc_key_text {
	char name[TC_KEY_NAME_MAX];
	char text[TC_KEY_UTF8_MAX * 4 + 1];
};

/* Describes keycode (an xkb keycode, evdev + 8); state may be NULL. */
void tc_key_text(struct xkb_state *state, xkb_keycode_t keycode, struct tc_key_text *out);

#endif
