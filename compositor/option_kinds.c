/*
 * The kinds of option: how each reads its value, what "key = false" does,
 * its default and what it frees. Plus the one-line error reports and the
 * small helpers the parser's files share. Encoder values are the backend's
 * to check (wlr_spice_encoder_check).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "option_kinds.h"

#define MAX_CONFIG_VERBOSE 2
#define SASL_APPNAME_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-"
/* --max-area: up to WLR_SPICE_MAX_HEADS heads of the largest size. */
#define MAX_AREA ((long)WLR_SPICE_MAX_HEADS * SWL_MAX_SIZE * SWL_MAX_SIZE)

static void put_sanitized(FILE *out, const char *s) {
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		fputc(c < 0x20 || c == 0x7f ? '?' : c, out);
	}
}

/* fmt formatted into a new string; NULL when out of memory. */
static char *format(const char *fmt, va_list args) {
	va_list copy;
	va_copy(copy, args);
	int len = vsnprintf(NULL, 0, fmt, copy);
	va_end(copy);
	char *msg = len >= 0 ? malloc((size_t)len + 1) : NULL;
	if (msg != NULL) {
		vsnprintf(msg, (size_t)len + 1, fmt, args);
	}
	return msg;
}

void swl_option_fail(const struct swl_option_source *src, const char *fmt, ...) {
	if (src->err == NULL) {
		return;
	}
	va_list args;
	va_start(args, fmt);
	char *msg = format(fmt, args);
	va_end(args);
	if (msg == NULL) {
		fputs("spice-wl: out of memory\n", src->err);
		return;
	}
	fputs("spice-wl: ", src->err);
	if (src->path != NULL) {
		put_sanitized(src->err, src->path);
		fprintf(src->err, ":%zu: ", src->lineno);
	}
	put_sanitized(src->err, msg);
	fputc('\n', src->err);
	free(msg);
}

void swl_option_fail_value(const struct swl_option_source *src, const char *name,
		const char *value, const char *why, ...) {
	if (src->err == NULL) {
		return;
	}
	va_list args;
	va_start(args, why);
	char *reason = format(why, args);
	va_end(args);
	swl_option_fail(src, "invalid value '%s' for %s%s: %s", value, src->path == NULL ? "--" : "",
			name, reason != NULL ? reason : "out of memory");
	free(reason);
}

bool swl_option_set_string(char **dst, const char *value, const struct swl_option_source *src) {
	char *copy = strdup(value);
	if (copy == NULL) {
		swl_option_fail(src, "out of memory");
		return false;
	}
	free(*dst);
	*dst = copy;
	return true;
}

void swl_options_wipe_and_free(char *secret) {
	if (secret == NULL) {
		return;
	}
	for (volatile char *p = secret; *p != '\0'; p++) {
		*p = '\0';
	}
	free(secret);
}

void swl_options_join(
		char *buf, size_t size, const char *const names[], const char *sep, const char *last_sep) {
	size_t used = 0;
	buf[0] = '\0';
	for (int i = 0; names[i] != NULL && used < size; i++) {
		int n = snprintf(buf + used, size - used, "%s%s",
				i == 0                       ? "" :
						names[i + 1] == NULL ? last_sep :
											   sep,
				names[i]);
		if (n < 0) {
			break;
		}
		used += (size_t)n;
	}
}

int swl_options_find_name(const char *const names[], const char *s, size_t len) {
	for (int i = 0; names[i] != NULL; i++) {
		if (strlen(names[i]) == len && strncmp(names[i], s, len) == 0) {
			return i;
		}
	}
	return -1;
}

void swl_option_source_begin(struct swl_option_source *src) {
	src->inherited = src->opts->policy;
	src->opts->policy = SWL_POLICY_DEFAULT;
}

void swl_option_source_end(struct swl_option_source *src) {
	if (src->opts->policy == SWL_POLICY_DEFAULT) {
		src->opts->policy = src->inherited;
	}
}

static void *field_of(const struct swl_option *opt, struct swl_options *opts) {
	return (char *)opts + opt->offset;
}

/* The kinds whose default is a value parse opt->def, silently: it is ours. */
static void init_from_default(const struct swl_option *opt, struct swl_options *opts) {
	struct swl_option_source defaults = { .opts = opts };
	opt->kind->parse(opt, &defaults, opt->def);
}

static void free_string(const struct swl_option *opt, struct swl_options *opts) {
	char **field = field_of(opt, opts);
	free(*field);
	*field = NULL;
}

/* Strict decimal integer: digits only, no sign, space or trailing junk. */
static bool parse_long(const char *s, char **end, long min, long max, long *out) {
	if (*s < '0' || *s > '9') {
		return false;
	}
	errno = 0;
	long value = strtol(s, end, 10);
	if (errno != 0 || value < min || value > max) {
		return false;
	}
	*out = value;
	return true;
}

static bool parse_int(const struct swl_option_source *src, const char *name, const char *value,
		long min, long max, int *out) {
	char *end;
	long parsed;
	if (!parse_long(value, &end, min, max, &parsed) || *end != '\0') {
		swl_option_fail_value(src, name, value, "expected an integer in %ld..%ld", min, max);
		return false;
	}
	*out = (int)parsed;
	return true;
}

/* One of names (NULL-terminated); returns its index, or -1 after reporting. */
static int parse_choice(const struct swl_option_source *src, const char *name, const char *value,
		const char *const names[]) {
	int i = swl_options_find_name(names, value, strlen(value));
	if (i < 0) {
		char expected[128];
		swl_options_join(expected, sizeof(expected), names, ", ", " or ");
		swl_option_fail_value(src, name, value, "expected %s", expected);
	}
	return i;
}

static bool parse_flag(
		const struct swl_option *opt, struct swl_option_source *src, const char *value) {
	*(bool *)field_of(opt, src->opts) = true;
	return true;
}

static void clear_flag(const struct swl_option *opt, struct swl_option_source *src) {
	*(bool *)field_of(opt, src->opts) = false;
}

const struct swl_option_kind swl_kind_flag = { .parse = parse_flag, .clear = clear_flag };

static bool parse_int_kind(
		const struct swl_option *opt, struct swl_option_source *src, const char *value) {
	return parse_int(src, opt->name, value, opt->min, opt->max, field_of(opt, src->opts));
}

static void init_int(const struct swl_option *opt, struct swl_options *opts) {
	*(int *)field_of(opt, opts) = (int)opt->number;
}

/* A default outside the range means unset: "none". */
static const char *show_int(const struct swl_option *opt, char *buf, size_t size) {
	if (opt->number < opt->min || opt->number > opt->max) {
		return "none";
	}
	snprintf(buf, size, "%ld", opt->number);
	return buf;
}

const struct swl_option_kind swl_kind_int = {
	.parse = parse_int_kind,
	.init = init_int,
	.show_default = show_int,
};

static bool parse_size(
		const struct swl_option *opt, struct swl_option_source *src, const char *value) {
	char *end;
	long w, h;
	if (!parse_long(value, &end, SWL_MIN_SIZE, SWL_MAX_SIZE, &w) || *end != 'x' ||
			!parse_long(end + 1, &end, SWL_MIN_SIZE, SWL_MAX_SIZE, &h) || *end != '\0') {
		swl_option_fail_value(src, opt->name, value, "expected WIDTHxHEIGHT, each in %d..%d",
				SWL_MIN_SIZE, SWL_MAX_SIZE);
		return false;
	}
	*(int *)field_of(opt, src->opts) = (int)w;
	*(int *)((char *)src->opts + opt->offset2) = (int)h;
	return true;
}

const struct swl_option_kind swl_kind_size = { .parse = parse_size, .init = init_from_default };

/* An output scale: 1, 1.5, 2.25...: 1..4 in quarters, so surfaces scale by whole pixels often. */
static bool parse_scale(
		const struct swl_option *opt, struct swl_option_source *src, const char *value) {
	char *end;
	long whole, quarters = 0;
	bool ok = parse_long(value, &end, 1, 4, &whole);
	if (ok && *end == '.') {
		const char *frac = end + 1;
		size_t digits = strspn(frac, "0123456789");
		ok = digits >= 1 && digits <= 2 && frac[digits] == '\0';
		if (ok) {
			long hundredths = strtol(frac, NULL, 10) * (digits == 1 ? 10 : 1);
			ok = hundredths % 25 == 0;
			quarters = hundredths / 25;
			end = (char *)frac + digits;
		}
	}
	ok = ok && *end == '\0' && whole * 4 + quarters <= 16;
	if (!ok) {
		swl_option_fail_value(src, opt->name, value, "expected 1 to 4 in steps of 0.25");
		return false;
	}
	*(double *)field_of(opt, src->opts) = (double)whole + (double)quarters / 4.0;
	return true;
}

const struct swl_option_kind swl_kind_scale = { .parse = parse_scale, .init = init_from_default };

/* A pixel count, as N or WxH (their product). */
static bool parse_area(
		const struct swl_option *opt, struct swl_option_source *src, const char *value) {
	char *end;
	long a, h = 1;
	long min = (long)SWL_MIN_SIZE * SWL_MIN_SIZE;
	bool ok = parse_long(value, &end, 1, MAX_AREA, &a);
	if (ok && *end == 'x') {
		ok = parse_long(end + 1, &end, 1, MAX_AREA, &h) && a <= MAX_AREA / h;
	}
	if (!ok || *end != '\0' || a * h < min || a * h > MAX_AREA) {
		swl_option_fail_value(src, opt->name, value,
				"expected a number of pixels N or WIDTHxHEIGHT, in %ld..%ld pixels", min,
				MAX_AREA);
		return false;
	}
	*(long long *)field_of(opt, src->opts) = (long long)a * h;
	return true;
}

const struct swl_option_kind swl_kind_area = { .parse = parse_area, .init = init_from_default };

static bool parse_frame_mode(
		const struct swl_option *opt, struct swl_option_source *src, const char *value) {
	static const char *const names[] = { "auto", "dfps", "per-op", NULL };
	static const enum wlr_spice_frame_mode modes[] = { WLR_SPICE_FRAME_MODE_AUTO,
		WLR_SPICE_FRAME_MODE_DFPS, WLR_SPICE_FRAME_MODE_PER_OP };
	int i = parse_choice(src, opt->name, value, names);
	if (i >= 0) {
		*(enum wlr_spice_frame_mode *)field_of(opt, src->opts) = modes[i];
	}
	return i >= 0;
}

const struct swl_option_kind swl_kind_frame_mode = {
	.parse = parse_frame_mode,
	.init = init_from_default,
};

static bool parse_xwayland(
		const struct swl_option *opt, struct swl_option_source *src, const char *value) {
	static const char *const names[] = { "lazy", "on", "off", NULL };
	static const enum swl_xwayland_mode modes[] = { SWL_XWAYLAND_LAZY, SWL_XWAYLAND_ON,
		SWL_XWAYLAND_OFF };
	int i = parse_choice(src, opt->name, value, names);
	if (i >= 0) {
		*(enum swl_xwayland_mode *)field_of(opt, src->opts) = modes[i];
	}
	return i >= 0;
}

const struct swl_option_kind swl_kind_xwayland = {
	.parse = parse_xwayland,
	.init = init_from_default,
};

static bool parse_string(
		const struct swl_option *opt, struct swl_option_source *src, const char *value) {
	return swl_option_set_string(field_of(opt, src->opts), value, src);
}

const struct swl_option_kind swl_kind_string = { .parse = parse_string, .finish = free_string };

static bool parse_listen(
		const struct swl_option *opt, struct swl_option_source *src, const char *value) {
	if (value[0] == '\0' || strcmp(value, "unix:") == 0) {
		swl_option_fail_value(src, opt->name, value, "expected an address or unix:PATH");
		return false;
	}
	return parse_string(opt, src, value);
}

const struct swl_option_kind swl_kind_listen = {
	.parse = parse_listen,
	.init = init_from_default, // NULL when out of memory: swl_options_parse retries
	.finish = free_string,
};

static bool parse_password_file(
		const struct swl_option *opt, struct swl_option_source *src, const char *value) {
	if (value[0] == '\0') {
		swl_option_fail_value(src, opt->name, value, "expected a file name");
		return false;
	}
	return parse_string(opt, src, value);
}

const struct swl_option_kind swl_kind_password_file = {
	.parse = parse_password_file,
	.finish = free_string,
};

/* A file name under SASL's configuration directory. */
static bool parse_sasl_appname(
		const struct swl_option *opt, struct swl_option_source *src, const char *value) {
	if (value[0] == '\0' || value[0] == '.' ||
			strspn(value, SASL_APPNAME_CHARS) != strlen(value)) {
		swl_option_fail_value(src, opt->name, value,
				"expected letters, digits, '.', '_' and '-', not starting with '.'");
		return false;
	}
	return parse_string(opt, src, value);
}

const struct swl_option_kind swl_kind_sasl_appname = {
	.parse = parse_sasl_appname,
	.finish = free_string,
};

/* spice-server's encoder settings: the backend knows what they take. */
static bool parse_encoder(
		const struct swl_option *opt, struct swl_option_source *src, const char *value) {
	size_t size = strlen(value) + 128;
	char *reason = malloc(size);
	if (reason == NULL) {
		swl_option_fail(src, "out of memory");
		return false;
	}
	bool ok = wlr_spice_encoder_check(opt->name, value, reason, size);
	if (!ok) {
		swl_option_fail_value(src, opt->name, value, "%s", reason);
	}
	free(reason);
	return ok && parse_string(opt, src, value);
}

const struct swl_option_kind swl_kind_encoder = { .parse = parse_encoder, .finish = free_string };

/* An octal permission mode for the unix socket: owner read-write at least. */
static bool parse_listen_mode(
		const struct swl_option *opt, struct swl_option_source *src, const char *value) {
	char *end;
	errno = 0;
	unsigned long mode = strtoul(value, &end, 8);
	if (value[0] < '0' || value[0] > '7' || *end != '\0' || errno != 0 || mode > 0777 ||
			(mode & 0600) != 0600) {
		swl_option_fail_value(src, opt->name, value,
				"expected an octal mode such as 0600 or 0660 (owner read and write)");
		return false;
	}
	*(unsigned *)field_of(opt, src->opts) = (unsigned)mode;
	return true;
}

const struct swl_option_kind swl_kind_listen_mode = {
	.parse = parse_listen_mode,
	.init = init_from_default,
};

/* -v counts; "verbose = N" in a config file sets the level. */
static bool parse_verbose(
		const struct swl_option *opt, struct swl_option_source *src, const char *value) {
	int *level = field_of(opt, src->opts);
	if (value == NULL) {
		(*level)++;
		return true;
	}
	return parse_int(src, opt->name, value, 0, MAX_CONFIG_VERBOSE, level);
}

const struct swl_option_kind swl_kind_verbose = { .parse = parse_verbose, .short_name = 'v' };

/* --web [ADDR:]PORT, ADDR an IPv6 address in brackets: "[::1]:8080". */
static bool parse_web(
		const struct swl_option *opt, struct swl_option_source *src, const char *value) {
	const char *port = value;
	char *addr = NULL;
	const char *colon = strrchr(value, ':');
	bool bracketed = value[0] == '[';
	bool ok = colon != NULL || !bracketed;
	if (colon != NULL) {
		const char *start = bracketed ? value + 1 : value;
		const char *end = bracketed ? colon - 1 : colon;
		ok = end > start &&
				(bracketed ? *end == ']' : memchr(start, ':', (size_t)(end - start)) == NULL);
		if (ok && (addr = strndup(start, (size_t)(end - start))) == NULL) {
			swl_option_fail(src, "out of memory");
			return false;
		}
		ok = ok && strpbrk(addr, "[]/ ") == NULL;
		port = colon + 1;
	}
	int number;
	if (!ok) {
		swl_option_fail_value(
				src, opt->name, value, "expected [ADDR:]PORT ([ADDR]:PORT for IPv6)");
	} else if (parse_int(src, opt->name, port, SWL_MIN_PORT, SWL_MAX_PORT, &number)) {
		free(src->opts->web_addr);
		src->opts->web_addr = addr;
		src->opts->web_port = number;
		return true;
	}
	free(addr);
	return false;
}

static void free_web(const struct swl_option *opt, struct swl_options *opts) {
	free(opts->web_addr);
	opts->web_addr = NULL;
}

const struct swl_option_kind swl_kind_web = { .parse = parse_web, .finish = free_web };

static bool set_policy(struct swl_option_source *src, enum swl_window_policy policy) {
	if (src->opts->policy != SWL_POLICY_DEFAULT && src->opts->policy != policy) {
		swl_option_fail(src, "--kiosk and --desktop are mutually exclusive");
		return false;
	}
	src->opts->policy = policy;
	return true;
}

/* "kiosk = false": no policy from this source or the ones before. */
static void clear_policy(struct swl_option_source *src, enum swl_window_policy policy) {
	if (src->opts->policy == policy) {
		src->opts->policy = SWL_POLICY_DEFAULT;
	}
	if (src->inherited == policy) {
		src->inherited = SWL_POLICY_DEFAULT;
	}
}

static bool parse_kiosk(
		const struct swl_option *opt, struct swl_option_source *src, const char *value) {
	return set_policy(src, SWL_POLICY_KIOSK);
}

static void clear_kiosk(const struct swl_option *opt, struct swl_option_source *src) {
	clear_policy(src, SWL_POLICY_KIOSK);
}

const struct swl_option_kind swl_kind_kiosk = { .parse = parse_kiosk, .clear = clear_kiosk };

static bool parse_desktop(
		const struct swl_option *opt, struct swl_option_source *src, const char *value) {
	return set_policy(src, SWL_POLICY_DESKTOP);
}

static void clear_desktop(const struct swl_option *opt, struct swl_option_source *src) {
	clear_policy(src, SWL_POLICY_DESKTOP);
}

const struct swl_option_kind swl_kind_desktop = { .parse = parse_desktop, .clear = clear_desktop };

/* --config, --help and --version act in swl_options_parse's first pass. */
static bool parse_nothing(
		const struct swl_option *opt, struct swl_option_source *src, const char *value) {
	return true;
}

const struct swl_option_kind swl_kind_config = {
	.parse = parse_nothing,
	.command_line_only = true,
};
const struct swl_option_kind swl_kind_help = {
	.parse = parse_nothing,
	.short_name = 'h',
	.command_line_only = true,
};
const struct swl_option_kind swl_kind_version = {
	.parse = parse_nothing,
	.short_name = 'V',
	.command_line_only = true,
};
