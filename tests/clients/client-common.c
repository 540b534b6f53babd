/*
 * Code shared by the end-to-end test clients swl-test-client and
 * swl-x11-client: patterns and drawing, the command line, the stdin line
 * reader and command table, argument parsing and the text of "key" lines.
 * See client-common.h.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "client-common.h"

/* Colours of the [top-left, top-right, bottom-left, bottom-right] quadrants. */
static const uint32_t patterns[TC_PATTERN_COUNT][4] = {
	{0xff0000, 0x00ff00, 0x0000ff, 0xffffff},
	{0x00ffff, 0xff00ff, 0xffff00, 0x000000},
	{0x800000, 0x008000, 0x000080, 0x808080},
	{0xff8000, 0x0080ff, 0x80ff00, 0xff0080},
	{0x404040, 0xc0c0c0, 0x204080, 0x804020},
	{0x10f0a0, 0xa010f0, 0xf0a010, 0x102030},
	{0xffffff, 0x000000, 0xff0000, 0x00ff00},
	{0x123456, 0x654321, 0xabcdef, 0xfedcba},
};

struct tc_rect tc_clip_rect(struct tc_rect r, int width, int height) {
	int x1 = r.x < 0 ? 0 : r.x;
	int y1 = r.y < 0 ? 0 : r.y;
	int64_t x2 = (int64_t)r.x + r.width;
	int64_t y2 = (int64_t)r.y + r.height;
	if (x2 > width) {
		x2 = width;
	}
	if (y2 > height) {
		y2 = height;
	}
	if (x2 <= x1 || y2 <= y1) {
		return (struct tc_rect){0};
	}
	return (struct tc_rect){x1, y1, (int)(x2 - x1), (int)(y2 - y1)};
}

void tc_fill_rect(uint32_t *data, int width, int height, struct tc_rect r, uint32_t pixel) {
	struct tc_rect c = tc_clip_rect(r, width, height);
	for (int y = c.y; y < c.y + c.height; y++) {
		uint32_t *row = data + (size_t)y * width;
		for (int x = c.x; x < c.x + c.width; x++) {
			row[x] = pixel;
		}
	}
}

void tc_draw_pattern(uint32_t *data, int width, int height, int pattern, uint32_t alpha) {
	const uint32_t *colors = patterns[pattern];
	int half_w = width / 2, half_h = height / 2;
	struct tc_rect quadrants[4] = {
		{0, 0, half_w, half_h},
		{half_w, 0, width - half_w, half_h},
		{0, half_h, half_w, height - half_h},
		{half_w, half_h, width - half_w, height - half_h},
	};
	for (int i = 0; i < 4; i++) {
		tc_fill_rect(data, width, height, quadrants[i], alpha | colors[i]);
	}
}

uint32_t *tc_pattern_image(int width, int height, int pattern, uint32_t alpha) {
	uint32_t *data = malloc((size_t)width * height * sizeof(*data));
	if (data != NULL) {
		tc_draw_pattern(data, width, height, pattern, alpha);
	}
	return data;
}

bool tc_parse_int(const char *str, long min, long max, int *out) {
	if (str == NULL || *str == '\0') {
		return false;
	}
	char *end;
	errno = 0;
	long value = strtol(str, &end, 10);
	if (errno != 0 || *end != '\0' || value < min || value > max) {
		return false;
	}
	*out = (int)value;
	return true;
}

bool tc_parse_color(const char *str, uint32_t *out) {
	if (str == NULL || strlen(str) != 6) {
		return false;
	}
	for (const char *p = str; *p != '\0'; p++) {
		if (!strchr("0123456789abcdefABCDEF", *p)) {
			return false;
		}
	}
	*out = (uint32_t)strtoul(str, NULL, 16);
	return true;
}

bool tc_parse_size(const char *str, int *width, int *height) {
	char *end;
	errno = 0;
	long w = strtol(str, &end, 10);
	if (errno != 0 || *end != 'x' || w <= 0 || w > TC_MAX_SIZE) {
		return false;
	}
	long h = strtol(end + 1, &end, 10);
	if (errno != 0 || *end != '\0' || h <= 0 || h > TC_MAX_SIZE) {
		return false;
	}
	*width = (int)w;
	*height = (int)h;
	return true;
}

static bool parse_pattern(const char *str, int *pattern) {
	return tc_parse_int(str, 0, TC_PATTERN_COUNT - 1, pattern);
}

bool tc_pattern_command(char *const args[], uint32_t *content, int width, int height,
		uint32_t alpha, int *pattern) {
	if (!parse_pattern(args[0], pattern)) {
		return false;
	}
	if (content != NULL) {
		tc_draw_pattern(content, width, height, *pattern, alpha);
	}
	return true;
}

bool tc_rect_command(char *const args[], uint32_t *content, int width, int height,
		uint32_t alpha, struct tc_rect *r) {
	uint32_t color;
	if (!tc_parse_int(args[0], -TC_RECT_COORD_LIMIT, TC_RECT_COORD_LIMIT, &r->x) ||
			!tc_parse_int(args[1], -TC_RECT_COORD_LIMIT, TC_RECT_COORD_LIMIT, &r->y) ||
			!tc_parse_int(args[2], 0, TC_RECT_COORD_LIMIT, &r->width) ||
			!tc_parse_int(args[3], 0, TC_RECT_COORD_LIMIT, &r->height) ||
			!tc_parse_color(args[4], &color)) {
		return false;
	}
	if (content != NULL) {
		tc_fill_rect(content, width, height, *r, alpha | color);
	}
	return true;
}

/* getopt values of the common options; a client's own are OPT_OWN + their index. */
enum {
	OPT_TITLE = 't',
	OPT_SIZE = 's',
	OPT_PATTERN = 'p',
	OPT_HELP = 'h',
	OPT_OWN = 256,
};

#define TC_MAX_OWN_OPTIONS 16

static bool invalid(const char *prog, const char *name, const char *value) {
	fprintf(stderr, "%s: invalid %s '%s'\n", prog, name, value);
	return false;
}

/* Applies the client's own option; false after a message if its value is invalid. */
static bool apply_own(const struct tc_option *o, const char *prog, const char *value) {
	if (o->flag != NULL) {
		*o->flag = true;
		return true;
	}
	if (o->check != NULL && !o->check(value, o->data)) {
		return invalid(prog, o->name, value);
	}
	if (o->value != NULL) {
		*o->value = value;
	}
	return true;
}

int tc_parse_options(int argc, char *argv[], const char *prog, const char *usage,
		const struct tc_option *own, size_t own_count, const struct tc_options *options) {
	struct option long_options[TC_MAX_OWN_OPTIONS + 5] = {
		{"title", required_argument, NULL, OPT_TITLE},
		{"size", required_argument, NULL, OPT_SIZE},
		{"pattern", required_argument, NULL, OPT_PATTERN},
		{"help", no_argument, NULL, OPT_HELP},
	};
	size_t n = 4;
	for (size_t i = 0; i < own_count && i < TC_MAX_OWN_OPTIONS; i++) {
		long_options[n++] = (struct option){own[i].name,
			own[i].flag != NULL ? no_argument : required_argument, NULL, OPT_OWN + (int)i};
	}
	int opt;
	while ((opt = getopt_long(argc, argv, "", long_options, NULL)) != -1) {
		bool ok = true;
		if (opt == OPT_TITLE) {
			*options->title = optarg;
		} else if (opt == OPT_SIZE) {
			ok = tc_parse_size(optarg, options->width, options->height) ||
				invalid(prog, "size", optarg);
		} else if (opt == OPT_PATTERN) {
			ok = parse_pattern(optarg, options->pattern) ||
				invalid(prog, "pattern", optarg);
		} else if (opt == OPT_HELP) {
			fputs(usage, stdout);
			return 0;
		} else if (opt >= OPT_OWN && (size_t)(opt - OPT_OWN) < own_count) {
			ok = apply_own(&own[opt - OPT_OWN], prog, optarg);
		} else {
			fputs(usage, stderr);
			return 2;
		}
		if (!ok) {
			return 2;
		}
	}
	if (optind < argc) {
		fputs(usage, stderr);
		return 2;
	}
	return -1;
}

/* Splits line into words for handle_command; returns false to stop reading lines. */
static bool handle_line(char *line, bool (*handle_command)(void *data, int argc, char *args[]),
		void *data) {
	char *args[TC_MAX_ARGS] = {0};
	int argc = 0;
	char *saveptr = NULL;
	for (char *tok = strtok_r(line, " \t\r", &saveptr); tok != NULL;
			tok = strtok_r(NULL, " \t\r", &saveptr)) {
		if (argc == TC_MAX_ARGS) {
			printf("error invalid arguments\n");
			return true;
		}
		args[argc++] = tok;
	}
	if (argc == 0) {
		return true;
	}
	return handle_command(data, argc, args);
}

void tc_input_read(struct tc_input *input, const char *prog,
		bool (*handle_command)(void *data, int argc, char *args[]), void *data) {
	size_t space = sizeof(input->buf) - input->len - 1;
	ssize_t n = read(STDIN_FILENO, input->buf + input->len, space);
	if (n < 0) {
		if (errno == EINTR || errno == EAGAIN) {
			return;
		}
		fprintf(stderr, "%s: read stdin: %s\n", prog, strerror(errno));
		n = 0;
	}
	if (n == 0) {
		/* EOF: no more commands, but finish a last unterminated line. */
		input->open = false;
		if (input->len > 0 && !input->overflow) {
			input->buf[input->len] = '\0';
			handle_line(input->buf, handle_command, data);
		}
		input->len = 0;
		return;
	}
	input->len += (size_t)n;
	input->buf[input->len] = '\0';

	char *start = input->buf;
	char *newline;
	bool more = true;
	while (more && (newline = strchr(start, '\n')) != NULL) {
		*newline = '\0';
		if (input->overflow) {
			input->overflow = false;
		} else {
			more = handle_line(start, handle_command, data);
		}
		start = newline + 1;
	}
	size_t rest = input->len - (size_t)(start - input->buf);
	memmove(input->buf, start, rest);
	input->len = rest;
	if (input->len == sizeof(input->buf) - 1) {
		printf("error line too long\n");
		input->overflow = true;
		input->len = 0;
	}
}

bool tc_run_command(const struct tc_command *commands, size_t count, void *client, int argc,
		char *args[], int *exit_status) {
	const char *name = args[0];
	if (strcmp(name, "quit") == 0) {
		*exit_status = 0;
		return false;
	}
	if (strcmp(name, "exit") == 0) {
		if (argc != 2 || !tc_parse_int(args[1], 0, 255, exit_status)) {
			printf("error invalid arguments\n");
			return true;
		}
		return false;
	}
	for (size_t i = 0; i < count; i++) {
		const struct tc_command *cmd = &commands[i];
		if (strcmp(name, cmd->name) != 0) {
			continue;
		}
		if ((cmd->args != TC_ANY_ARGS && argc - 1 != cmd->args) ||
				!cmd->run(client, args + 1)) {
			printf("error invalid arguments\n");
		}
		return true;
	}
	printf("error unknown command\n");
	return true;
}

/*
 * Whitespace, control characters and backslash would break the line format;
 * '-' alone means "no text", so a typed minus is escaped too.
 */
static void escape_text(const char *in, char *out, size_t out_size) {
	size_t len = 0;
	for (const unsigned char *p = (const unsigned char *)in; *p != '\0'; p++) {
		if (len + 5 > out_size) {
			break;
		}
		if (*p <= 0x20 || *p == 0x7f || *p == '\\' || *p == '-') {
			len += (size_t)snprintf(out + len, out_size - len, "\\x%02x", *p);
		} else {
			out[len++] = (char)*p;
		}
	}
	out[len] = '\0';
}

void tc_key_text(struct xkb_state *state, xkb_keycode_t keycode, struct tc_key_text *out) {
	strcpy(out->name, "-");
	strcpy(out->text, "-");
	if (state == NULL) {
		return;
	}
	xkb_keysym_t sym = xkb_state_key_get_one_sym(state, keycode);
	if (xkb_keysym_get_name(sym, out->name, sizeof(out->name)) < 0) {
		strcpy(out->name, "-");
	}
	char utf8[TC_KEY_UTF8_MAX] = "";
	xkb_state_key_get_utf8(state, keycode, utf8, sizeof(utf8));
	if (utf8[0] != '\0') {
		escape_text(utf8, out->text, sizeof(out->text));
	}
}
