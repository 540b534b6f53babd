/*
 * What the option parser is made of, shared by its files: an option as the
 * table of options.c holds it, the kinds of option (how a value is parsed,
 * cleared, defaulted and freed: option_kinds.c), where a value comes from
 * (the command line or a config file line), and the one-line errors.
 */
#ifndef SWL_OPTION_KINDS_H
#define SWL_OPTION_KINDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "options.h"

#define SWL_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* The config files: CONFIG_NAME under the system's and the user's directory. */
#define SWL_SYSCONFDIR_ENV "SPICE_WL_SYSCONFDIR"
#define SWL_DEFAULT_SYSCONFDIR "/etc"
#define SWL_CONFIG_NAME "spice-wl/spice-wl.conf"

/* The command line or one config file line, as values are applied from it. */
struct swl_option_source {
	struct swl_options *opts;
	FILE *err; // NULL: errors are not reported (defaults)
	const char *path; // the config file; NULL for the command line
	size_t lineno;
	// A later source overrides the window policy of an earlier one, while
	// --kiosk and --desktop still exclude each other within one source: the
	// policy the sources before this one chose.
	enum swl_window_policy inherited;
};

/*
 * A source begins: its window policy starts unset, and ends up as the one of
 * the sources before if it sets none.
 */
void swl_option_source_begin(struct swl_option_source *src);
void swl_option_source_end(struct swl_option_source *src);

struct swl_option;

struct swl_option_kind {
	// Applies value (NULL for an option without an argument) to the option's
	// field; on failure, reports one line through src.
	bool (*parse)(const struct swl_option *opt, struct swl_option_source *src, const char *value);
	// "key = false" in a config file: the option as if it had not been given,
	// here or earlier. Non-NULL exactly for the options that take a boolean
	// there.
	void (*clear)(const struct swl_option *opt, struct swl_option_source *src);
	// Sets the field to its default; NULL leaves it zero.
	void (*init)(const struct swl_option *opt, struct swl_options *opts);
	// Frees what parse allocated; NULL when nothing.
	void (*finish)(const struct swl_option *opt, struct swl_options *opts);
	// The default --help shows into buf, when it is not opt->def.
	const char *(*show_default)(const struct swl_option *opt, char *buf, size_t size);
	int short_name; // e.g. 'v'; 0 for none
	bool command_line_only; // not a config file key (help, version, config)
};

struct swl_option {
	const char *name; // the long option and the config file key
	const char *arg; // placeholder in --help; NULL: takes no argument
	const char *def; // the default --help shows; NULL: none
	const char *help;
	const struct swl_option_kind *kind;
	size_t offset, offset2; // its fields in struct swl_options (offset2: SIZE's height)
	long min, max, number; // INT: the range and the default
};

extern const struct swl_option_kind swl_kind_flag, swl_kind_int, swl_kind_size, swl_kind_string,
		swl_kind_listen, swl_kind_password_file, swl_kind_sasl_appname, swl_kind_encoder,
		swl_kind_listen_mode, swl_kind_scale, swl_kind_area, swl_kind_frame_mode,
		swl_kind_xwayland, swl_kind_verbose, swl_kind_web, swl_kind_kiosk, swl_kind_desktop,
		swl_kind_config, swl_kind_help, swl_kind_version;

/*
 * Prints "spice-wl: <message>\n" to src->err, with "FILE:LINE: " before the
 * message for a config file line. Control characters (which could only come
 * from user-supplied values) are replaced, so the message is always one line.
 */
void swl_option_fail(const struct swl_option_source *src, const char *fmt, ...)
		__attribute__((format(printf, 2, 3)));
/*
 * "invalid value 'VALUE' for --NAME: <why>", the option spelt as in its
 * source: "for NAME" in a config file.
 */
void swl_option_fail_value(const struct swl_option_source *src, const char *name,
		const char *value, const char *why, ...) __attribute__((format(printf, 4, 5)));

/* Replaces *dst with a copy of value; reports running out of memory. */
bool swl_option_set_string(char **dst, const char *value, const struct swl_option_source *src);
/* Frees a secret after overwriting it. */
void swl_options_wipe_and_free(char *secret);
/* Writes names (NULL-terminated) into buf, separated by sep, the last two by last_sep. */
void swl_options_join(
		char *buf, size_t size, const char *const names[], const char *sep, const char *last_sep);
/* The index of the len bytes at s in names (NULL-terminated), or -1. */
int swl_options_find_name(const char *const names[], const char *s, size_t len);

/* The option of the table in options.c with this long name, or NULL. */
const struct swl_option *swl_option_by_name(const char *name);

/* options_files.c: applies the config files, as swl_options_parse describes. */
bool swl_options_load_config(struct swl_option_source *cli, const char *config);
/* Reads the first line of path, the password, into *password. */
bool swl_options_read_password_file(
		const struct swl_option_source *cli, const char *path, char **password);
/* Whether a password of len bytes fits spice-server's limit; what, path say where from. */
bool swl_options_password_fits(
		const struct swl_option_source *cli, const char *what, const char *path, size_t len);

#endif
