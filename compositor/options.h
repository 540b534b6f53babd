/*
 * Command-line options of spice-wl: the parsed form, its defaults, and the
 * parser. No wlroots or SPICE calls (only the backend's public header, for
 * its enums, limits and encoder checks) so it can be unit-tested alone.
 */
#ifndef SWL_OPTIONS_H
#define SWL_OPTIONS_H

#include <stdbool.h>
#include <stdio.h>

enum swl_window_policy {
	SWL_POLICY_DEFAULT, // kiosk when a command is given, desktop otherwise
	SWL_POLICY_KIOSK,
	SWL_POLICY_DESKTOP,
};

enum swl_xwayland_mode {
	SWL_XWAYLAND_LAZY, // start Xwayland when the first X client connects
	SWL_XWAYLAND_ON,
	SWL_XWAYLAND_OFF,
};

#include "options_table.h"

#define SWL_DECLARE_FLAG(field, name, help) bool field;
#define SWL_DECLARE_INT(field, name, arg, def, min, max, help) int field;
#define SWL_DECLARE_SIZE(wfield, hfield, name, def, help) int wfield, hfield;
#define SWL_DECLARE_OPT(kind, field, name, arg, def, help) SWL_TYPE_##kind field;
#define SWL_DECLARE_ACT(kind, name, arg, def, help)

struct swl_options {
	// One field for each option of options_table.h, named there; strings
	// are NULL when not given, except listen.
	SWL_OPTIONS(SWL_DECLARE_FLAG, SWL_DECLARE_INT, SWL_DECLARE_SIZE, SWL_DECLARE_OPT,
			SWL_DECLARE_ACT)

	// What the ACT options set.
	enum swl_window_policy policy; // --kiosk, --desktop
	int web_port; // --web: serve spice-html5 over HTTP(S) on this port; 0: off
	char *web_addr; // its address (IPv6 without brackets); the --listen address by default

	// Not options.
	char *password; // read from --password-file or SPICE_WL_PASSWORD; NULL if none
	char **command; // argv of COMMAND (NULL-terminated), NULL if none
	int command_argc;
};

enum swl_options_result {
	SWL_OPTIONS_OK,
	SWL_OPTIONS_EXIT_SUCCESS, // --help or --version was printed
	SWL_OPTIONS_ERROR, // one line was printed to err; exit with status 2
};

void swl_options_init(struct swl_options *opts);
void swl_options_finish(struct swl_options *opts);

/*
 * Parses argv into opts. Messages for --help/--version go to out, errors (one
 * line, prefixed "spice-wl: ") go to err. getenv is consulted for
 * SPICE_WL_PASSWORD. Also checks cross-option rules (e.g. a password,
 * --sasl or --disable-ticketing is required).
 *
 * Before argv, the config files are applied ("key = value" lines with the
 * long option names): $SPICE_WL_SYSCONFDIR (default /etc) then
 * $XDG_CONFIG_HOME (default ~/.config), each /spice-wl/spice-wl.conf and
 * optional; --config FILE replaces both. An error there names FILE:LINE.
 */
enum swl_options_result swl_options_parse(
		struct swl_options *opts, int argc, char *argv[], FILE *out, FILE *err);

#endif
