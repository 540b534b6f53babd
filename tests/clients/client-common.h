/*
 * What the end-to-end test clients swl-test-client (Wayland) and
 * swl-x11-client (X11) have in common: the four-quadrant colour patterns and
 * drawing into packed 32-bit pixel arrays, the command line options, the
 * stdin line reader with the command table and its argument parsing, and
 * the text of "key" lines. Both clients speak the same stdin/stdout line
 * protocol, so these pieces must stay the same for both.
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

/*
 * The pattern command's "N" in args[0]: sets *pattern and draws it into
 * content (width x height, if not NULL) with alpha. False if N is invalid.
 */
bool tc_pattern_command(char *const args[], uint32_t *content, int width, int height,
	uint32_t alpha, int *pattern);

/*
 * The rect command's "X Y W H RRGGBB" in args[0] .. args[4]: sets *r and
 * fills it in content (if not NULL) with alpha | the colour. False if invalid.
 */
bool tc_rect_command(char *const args[], uint32_t *content, int width, int height,
	uint32_t alpha, struct tc_rect *r);

/* Where the options both clients take go; what is there are the defaults. */
struct tc_options {
	const char **title;  /* --title T */
	int *width, *height; /* --size WxH */
	int *pattern;        /* --pattern N */
};

/* An option of one client only. */
struct tc_option {
	const char *name;
	bool *flag;         /* an option without a value sets *flag; */
	const char **value; /* one with a value (flag NULL) stores it here, if not NULL */
	/* NULL, or checks the value and may keep what it parsed in data: false is invalid. */
	bool (*check)(const char *value, void *data);
	void *data;
};

/*
 * Parses the command line: --title, --size and --pattern into options,
 * --help (usage on stdout) and the client's own options. Returns -1 to go on,
 * else the status to exit with: 0 after --help, 2 after "PROG: invalid NAME
 * 'VALUE'" or, for an unknown option or an argument, the usage on stderr.
 */
int tc_parse_options(int argc, char *argv[], const char *prog, const char *usage,
	const struct tc_option *own, size_t own_count, const struct tc_options *options);

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

/* A command takes any number of words after its name (and ignores them). */
#define TC_ANY_ARGS (-1)

/* A stdin command of one client. */
struct tc_command {
	const char *name;
	int args; /* words after the name, or TC_ANY_ARGS */
	/* Returns false for invalid arguments (having printed nothing). */
	bool (*run)(void *client, char *args[]);
};

/*
 * Runs one command line, args[0] .. args[argc - 1]: one of the count
 * commands, or quit / exit N (0..255), which every client takes: those
 * return false, the status to exit with in *exit_status. Prints "error
 * unknown command", or "error invalid arguments" for another number of words
 * or when the command's run returns false.
 */
bool tc_run_command(const struct tc_command *commands, size_t count, void *client, int argc,
	char *args[], int *exit_status);

/* The SYM and UTF8 fields of a "key" line, "-" where there is none. */
struct tc_key_text {
	char name[TC_KEY_NAME_MAX];
	char text[TC_KEY_UTF8_MAX * 4 + 1];
};

/* Describes keycode (an xkb keycode, evdev + 8); state may be NULL. */
void tc_key_text(struct xkb_state *state, xkb_keycode_t keycode, struct tc_key_text *out);

#endif
