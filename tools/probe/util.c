/*
 * Small helpers every part of spice-wl-probe uses: the verbose log, protocol
 * lines on stdout, ending the run, and the parsing of numbers, colours and
 * options in command arguments.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "probe.h"

/* "spice-wl-probe: MESSAGE SUFFIX" on stderr. */
static void vprint_stderr(const char *fmt, va_list args, const char *suffix) {
	fprintf(stderr, PROBE_NAME ": ");
	vfprintf(stderr, fmt, args);
	fprintf(stderr, "%s\n", suffix);
}

void probe_log(struct probe *p, const char *fmt, ...) {
	if (p->verbose == 0) {
		return;
	}
	va_list args;
	va_start(args, fmt);
	vprint_stderr(fmt, args, "");
	va_end(args);
}

void clear_source(guint *source) {
	if (*source != 0) {
		g_source_remove(*source);
		*source = 0;
	}
}

void probe_finish(struct probe *p, int code) {
	if (p->finished) {
		return;
	}
	p->finished = true;
	p->exit_code = code;
	g_main_loop_quit(p->loop);
}

/* One protocol line on stdout, flushed immediately. */
void out_line(const char *fmt, ...) {
	va_list args;
	va_start(args, fmt);
	vprintf(fmt, args);
	va_end(args);
	putchar('\n');
	fflush(stdout);
}

bool parse_long(const char *s, long min, long max, long *out) {
	if (s == NULL || *s == '\0') {
		return false;
	}
	char *end = NULL;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max) {
		return false;
	}
	*out = v;
	return true;
}

bool parse_ms(const char *s, guint *out) {
	long v;
	if (!parse_long(s, 0, MAX_TIMEOUT_MS, &v)) {
		return false;
	}
	*out = (guint)v;
	return true;
}

bool parse_seconds(const char *s, double *out) {
	if (s == NULL || *s == '\0') {
		return false;
	}
	char *end = NULL;
	errno = 0;
	double v = g_ascii_strtod(s, &end);
	if (errno != 0 || *end != '\0' || !(v >= 0.0) || v > MAX_TIMEOUT_MS / 1000.0) {
		return false;
	}
	*out = v;
	return true;
}

bool parse_rgb(const char *s, uint32_t *out) {
	if (s[0] == '#') {
		s++;
	}
	if (strlen(s) != 6) {
		return false;
	}
	uint32_t v = 0;
	for (int i = 0; i < 6; i++) {
		int d = g_ascii_xdigit_value(s[i]);
		if (d < 0) {
			return false;
		}
		v = (v << 4) | (uint32_t)d;
	}
	*out = v;
	return true;
}

/* "X,Y=RRGGBB" */
bool parse_pixel_spec(const char *s, struct expect_pixel *px) {
	char *copy = g_strdup(s);
	bool ok = false;
	char *eq = strchr(copy, '=');
	char *comma = strchr(copy, ',');
	if (eq != NULL && comma != NULL && comma < eq) {
		*eq = '\0';
		*comma = '\0';
		long x, y;
		ok = parse_long(copy, 0, INT32_MAX, &x) && parse_long(comma + 1, 0, INT32_MAX, &y) &&
			parse_rgb(eq + 1, &px->want);
		if (ok) {
			px->x = (int)x;
			px->y = (int)y;
		}
	}
	g_free(copy);
	return ok;
}

bool parse_xy(const char *xs, const char *ys, int *x, int *y) {
	long lx, ly;
	if (!parse_long(xs, 0, INT32_MAX, &lx) || !parse_long(ys, 0, INT32_MAX, &ly)) {
		return false;
	}
	*x = (int)lx;
	*y = (int)ly;
	return true;
}

guint seconds_to_ms(double s) {
	return (guint)(s * 1000.0 + 0.5);
}

/* Matches "--name VALUE" or "--name=VALUE"; advances *i past a separate value. */
bool take_option(int argc, char **argv, int *i, const char *name, const char **value) {
	const char *a = argv[*i];
	size_t len = strlen(name);
	if (strncmp(a, name, len) != 0) {
		return false;
	}
	if (a[len] == '=') {
		*value = a + len + 1;
		return true;
	}
	if (a[len] != '\0') {
		return false;
	}
	*value = *i + 1 < argc ? argv[++*i] : NULL;
	return true;
}

int compare_double(const void *a, const void *b) {
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int usage_error(const char *fmt, ...) {
	va_list args;
	va_start(args, fmt);
	vprint_stderr(fmt, args, " (try --help)");
	va_end(args);
	return PROBE_EXIT_USAGE;
}
