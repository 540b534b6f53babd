/*
 * Command-line parsing for spice-wl: the table of options (from
 * options_table.h), defaults, getopt over argv after the config files,
 * --help and --version, and the rules between options. Bad input is one
 * "spice-wl: " line. No wlroots or SPICE calls here so it can be unit-tested.
 */
#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "option_kinds.h"

/* getopt's value for a long-only option: its index in the table, past the characters. */
#define LONG_ONLY_BASE 256

// clang-format off
#define OPTION_FLAG(f, n, h) \
	{ .name = n, .def = "off", .help = h, .kind = &swl_kind_flag, \
		.offset = offsetof(struct swl_options, f) },
#define OPTION_INT(f, n, a, d, lo, hi, h) \
	{ .name = n, .arg = a, .help = h, .kind = &swl_kind_int, \
		.offset = offsetof(struct swl_options, f), .min = lo, .max = hi, .number = d },
#define OPTION_SIZE(wf, hf, n, d, h) \
	{ .name = n, .arg = "WxH", .def = d, .help = h, .kind = &swl_kind_size, \
		.offset = offsetof(struct swl_options, wf), .offset2 = offsetof(struct swl_options, hf) },
#define OPTION_OPT(k, f, n, a, d, h) \
	{ .name = n, .arg = a, .def = d, .help = h, .kind = &swl_kind_##k, \
		.offset = offsetof(struct swl_options, f) },
#define OPTION_ACT(k, n, a, d, h) \
	{ .name = n, .arg = a, .def = d, .help = h, .kind = &swl_kind_##k },

static const struct swl_option option_table[] = {
	SWL_OPTIONS(OPTION_FLAG, OPTION_INT, OPTION_SIZE, OPTION_OPT, OPTION_ACT)
};
// clang-format on
#define OPTION_COUNT SWL_ARRAY_LEN(option_table)

// '+': stop at the first non-option (COMMAND); ':': report missing arguments as ':'
static const char short_options[] = "+:hvV";

static int getopt_value(const struct swl_option *opt) {
	if (opt->kind->short_name != 0) {
		return opt->kind->short_name;
	}
	return LONG_ONLY_BASE + (int)(opt - option_table);
}

/* The option getopt_long returned as c; NULL for its '?' and ':'. */
static const struct swl_option *option_by_value(int c) {
	for (size_t i = 0; i < OPTION_COUNT; i++) {
		if (getopt_value(&option_table[i]) == c) {
			return &option_table[i];
		}
	}
	return NULL;
}

const struct swl_option *swl_option_by_name(const char *name) {
	for (size_t i = 0; i < OPTION_COUNT; i++) {
		if (strcmp(option_table[i].name, name) == 0) {
			return &option_table[i];
		}
	}
	return NULL;
}

void swl_options_init(struct swl_options *opts) {
	*opts = (struct swl_options){ 0 };
	for (size_t i = 0; i < OPTION_COUNT; i++) {
		const struct swl_option *opt = &option_table[i];
		if (opt->kind->init != NULL) {
			opt->kind->init(opt, opts);
		}
	}
}

static void free_command(struct swl_options *opts) {
	if (opts->command != NULL) {
		for (char **arg = opts->command; *arg != NULL; arg++) {
			free(*arg);
		}
		free(opts->command);
	}
	opts->command = NULL;
	opts->command_argc = 0;
}

void swl_options_finish(struct swl_options *opts) {
	for (size_t i = 0; i < OPTION_COUNT; i++) {
		const struct swl_option *opt = &option_table[i];
		if (opt->kind->finish != NULL) {
			opt->kind->finish(opt, opts);
		}
	}
	swl_options_wipe_and_free(opts->password);
	free_command(opts);
	*opts = (struct swl_options){ 0 };
}

static bool copy_command(struct swl_option_source *cli, int argc, char *argv[]) {
	char **command = calloc((size_t)argc + 1, sizeof(*command));
	for (int i = 0; command != NULL && i < argc; i++) {
		command[i] = strdup(argv[i]);
		if (command[i] == NULL) {
			for (int j = 0; j < i; j++) {
				free(command[j]);
			}
			free(command);
			command = NULL;
		}
	}
	if (command == NULL) {
		swl_option_fail(cli, "out of memory");
		return false;
	}
	free_command(cli->opts);
	cli->opts->command = command;
	cli->opts->command_argc = argc;
	return true;
}

static const char help_header[] =
		"Usage: spice-wl [options] [-- COMMAND [ARG...]]\n"
		"\n"
		"A Wayland compositor whose output is served over SPICE. If COMMAND is\n"
		"given it is started as a Wayland client of the compositor.\n"
		"\n"
		"Options:\n";

/* An option's help: its own, or for an encoder option the values the backend takes. */
static const char *help_text(const struct swl_option *opt, char *buf, size_t size) {
	if (opt->help != NULL) {
		return opt->help;
	}
	const char *const *values = wlr_spice_encoder_values(opt->name);
	swl_options_join(buf, size, values != NULL ? values : (const char *const[]){ NULL }, "|", "|");
	return buf;
}

static void print_options(FILE *out) {
	char left[SWL_ARRAY_LEN(option_table)][64];
	int width = 0;
	for (size_t i = 0; i < OPTION_COUNT; i++) {
		const struct swl_option *opt = &option_table[i];
		char short_name[8] = "";
		if (opt->kind->short_name != 0) {
			snprintf(short_name, sizeof(short_name), "-%c, ", opt->kind->short_name);
		}
		int n = snprintf(left[i], sizeof(left[i]), "%s--%s%s%s", short_name, opt->name,
				opt->arg != NULL ? " " : "", opt->arg != NULL ? opt->arg : "");
		if (n > width) {
			width = n;
		}
	}
	for (size_t i = 0; i < OPTION_COUNT; i++) {
		const struct swl_option *opt = &option_table[i];
		char help[128], shown[32];
		fprintf(out, "  %-*s  %s", width, left[i], help_text(opt, help, sizeof(help)));
		const char *def = opt->kind->show_default != NULL ?
				opt->kind->show_default(opt, shown, sizeof(shown)) :
				opt->def;
		if (def != NULL) {
			fprintf(out, " (default: %s)", def);
		}
		fputc('\n', out);
	}
}

static void print_help(FILE *out) {
	fputs(help_header, out);
	print_options(out);

	char encoders[64], codecs[64];
	swl_options_join(
			encoders, sizeof(encoders), wlr_spice_encoder_values("video-encoder"), ", ", " or ");
	swl_options_join(
			codecs, sizeof(codecs), wlr_spice_encoder_values("video-codec"), ", ", " or ");
	fprintf(out,
			"\n"
			"For --video-codecs, ENCODER is %s\n"
			"and CODEC is %s.\n"
			"The password is never taken on the command line: use --password-file or\n"
			"the " SWL_PASSWORD_ENV " environment variable (--password-file wins). Without\n"
			"either, --sasl or --disable-ticketing is required.\n"
			"\n"
			"Options are also read, as 'key = value' lines with the long option names,\n"
			"from " SWL_DEFAULT_SYSCONFDIR "/" SWL_CONFIG_NAME " ($" SWL_SYSCONFDIR_ENV
			" replaces " SWL_DEFAULT_SYSCONFDIR ")\n"
			"and then $XDG_CONFIG_HOME/" SWL_CONFIG_NAME "; the command line wins.\n",
			encoders, codecs);
}

static void fail_unknown_long(const struct swl_option_source *cli, const char *arg) {
	const char *name = strncmp(arg, "--", 2) == 0 ? arg + 2 : arg;
	// never echo what follows '=': it might be a secret typed in the wrong place
	swl_option_fail(cli, "unknown option '--%.*s' (see --help)", (int)strcspn(name, "="), name);
}

/*
 * getopt_long accepts unambiguous abbreviations ("--list" for "--listen");
 * we don't, so that names stay exact and, in particular, "--password SECRET"
 * is not taken as "--password-file SECRET". Returns whether the argv element
 * is not a long option or spells name in full.
 */
static bool is_exact_long_name(const char *element, const char *name) {
	if (strncmp(element, "--", 2) != 0) {
		return true;
	}
	size_t len = strcspn(element + 2, "=");
	return len == strlen(name) && strncmp(element + 2, name, len) == 0;
}

/* Checks the long option getopt_long just returned successfully. */
static bool check_long_option(const struct swl_option_source *cli, const struct swl_option *opt,
		int argc, char *argv[], const char *arg) {
	int i = optind - 1;
	if (opt->arg != NULL && i >= 2 && i < argc && arg == argv[i]) {
		i--; // "--name VALUE": the value was a separate element
	}
	if (i < 1 || i >= argc || is_exact_long_name(argv[i], opt->name)) {
		return true;
	}
	fail_unknown_long(cli, argv[i]);
	return false;
}

/* Reports an option getopt_long rejected ('?' or ':') as one line. */
static void fail_bad_option(const struct swl_option_source *cli, int c, char *argv[]) {
	// getopt_long has stepped past the offending long option, if any
	const char *element = argv[optind - 1];
	const struct swl_option *opt = optopt != 0 ? option_by_value(optopt) : NULL;
	if (opt != NULL && !is_exact_long_name(element, opt->name)) {
		fail_unknown_long(cli, element);
	} else if (opt != NULL && c == ':') {
		swl_option_fail(cli, "option '--%s' requires an argument (see --help)", opt->name);
	} else if (opt != NULL) {
		// a known option was given an argument it does not take ("--kiosk=1")
		swl_option_fail(cli, "option '--%s' does not take an argument (see --help)", opt->name);
	} else if (optopt != 0) {
		swl_option_fail(cli, "unknown option '-%c' (see --help)", optopt);
	} else {
		fail_unknown_long(cli, element);
	}
}

/*
 * The first pass: malformed options, --help, --version and --config, so that
 * the config files are read before the command line is applied over them.
 */
static enum swl_options_result first_pass(struct swl_option_source *cli, int argc, char *argv[],
		const struct option *long_options, FILE *out, const char **config) {
	optind = 0; // glibc: full reset, so parse can run more than once
	opterr = 0;
	int c, long_index = -1;
	while ((c = getopt_long(argc, argv, short_options, long_options, &long_index)) != -1) {
		const struct swl_option *opt = option_by_value(c);
		if (long_index >= 0 &&
				!check_long_option(cli, &option_table[long_index], argc, argv, optarg)) {
			return SWL_OPTIONS_ERROR;
		}
		long_index = -1;
		if (opt == NULL) {
			fail_bad_option(cli, c, argv);
			return SWL_OPTIONS_ERROR;
		} else if (opt->kind == &swl_kind_help) {
			print_help(out);
			return SWL_OPTIONS_EXIT_SUCCESS;
		} else if (opt->kind == &swl_kind_version) {
			fprintf(out, "spice-wl %s\n", SPICE_WL_VERSION);
			return SWL_OPTIONS_EXIT_SUCCESS;
		} else if (opt->kind == &swl_kind_config && optarg[0] == '\0') {
			swl_option_fail_value(cli, opt->name, optarg, "expected a file name");
			return SWL_OPTIONS_ERROR;
		} else if (opt->kind == &swl_kind_config) {
			*config = optarg;
		}
	}
	return SWL_OPTIONS_OK;
}

/* The second pass: the command line, over the config files; then COMMAND. */
static bool apply_command_line(
		struct swl_option_source *cli, int argc, char *argv[], const struct option *long_options) {
	// getopt_long accepted every element in the first pass.
	optind = 0;
	swl_option_source_begin(cli);
	int c;
	while ((c = getopt_long(argc, argv, short_options, long_options, NULL)) != -1) {
		const struct swl_option *opt = option_by_value(c);
		if (!opt->kind->parse(opt, cli, optarg)) {
			return false;
		}
	}
	swl_option_source_end(cli);
	return optind >= argc || copy_command(cli, argc - optind, argv + optind);
}

/* --size and --min-size against --max-size and --max-area. */
static bool check_sizes(const struct swl_option_source *cli) {
	const struct swl_options *opts = cli->opts;
	if (opts->min_width > opts->max_width || opts->min_height > opts->max_height) {
		swl_option_fail(cli, "--min-size %dx%d is larger than --max-size %dx%d", opts->min_width,
				opts->min_height, opts->max_width, opts->max_height);
		return false;
	}
	if ((long long)opts->min_width * opts->min_height > opts->max_area) {
		swl_option_fail(cli, "--min-size %dx%d is larger than --max-area %lld", opts->min_width,
				opts->min_height, opts->max_area);
		return false;
	}
	if ((long long)opts->width * opts->height > opts->max_area) {
		swl_option_fail(cli, "--size %dx%d is larger than --max-area %lld", opts->width,
				opts->height, opts->max_area);
		return false;
	}
	return true;
}

/*
 * SASL replaces the ticket: spice-server then refuses the password to
 * clients that can choose, so a password or no authentication at all would
 * only mislead.
 */
static bool finish_sasl(const struct swl_option_source *cli) {
	struct swl_options *opts = cli->opts;
	if (!opts->sasl) {
		if (opts->sasl_appname != NULL) {
			swl_option_fail(cli, "--sasl-appname needs --sasl");
			return false;
		}
		return true;
	}
	if (opts->disable_ticketing) {
		swl_option_fail(cli, "--sasl and --disable-ticketing exclude each other");
		return false;
	}
	if (opts->password_file != NULL) {
		swl_option_fail(
				cli, "--sasl and --password-file exclude each other: SASL replaces the password");
		return false;
	}
	if (opts->password_lifetime != 0) {
		swl_option_fail(cli, "--password-lifetime needs a password, not --sasl");
		return false;
	}
	return opts->sasl_appname != NULL ||
			swl_option_set_string(&opts->sasl_appname, WLR_SPICE_DEFAULT_SASL_APPNAME, cli);
}

/* The password from --password-file, else from SPICE_WL_PASSWORD (not with --sasl). */
static bool finish_password(const struct swl_option_source *cli) {
	struct swl_options *opts = cli->opts;
	if (opts->password_file != NULL) {
		return swl_options_read_password_file(cli, opts->password_file, &opts->password);
	}
	// with --sasl the variable may well hold a client's SASL password
	const char *env = getenv(SWL_PASSWORD_ENV);
	if (opts->sasl || env == NULL || env[0] == '\0') {
		return true;
	}
	if (!swl_options_password_fits(cli, SWL_PASSWORD_ENV, NULL, strlen(env))) {
		return false;
	}
	char *password = strdup(env);
	if (password == NULL) {
		swl_option_fail(cli, "out of memory");
		return false;
	}
	swl_options_wipe_and_free(opts->password);
	opts->password = password;
	return true;
}

/* Loopback addresses and unix sockets: reachable only from this machine. */
static bool is_local_address(const char *addr) {
	return strncmp(addr, "unix:", 5) == 0 || strncmp(addr, "127.", 4) == 0 ||
			strcmp(addr, "::1") == 0 || strcmp(addr, "localhost") == 0;
}

/*
 * No unauthenticated access from beyond this machine on --option addr unless
 * --insecure-no-auth; ways are how to authenticate there. TLS encrypts but
 * does not tell who connects: it is no substitute for a login.
 */
static bool local_unless_authenticated(const struct swl_option_source *cli, const char *option,
		const char *addr, const char *ways) {
	const struct swl_options *opts = cli->opts;
	if (opts->password == NULL && opts->disable_ticketing && !opts->insecure_no_auth &&
			!is_local_address(addr)) {
		swl_option_fail(cli,
				"refusing unauthenticated access on --%s %s: use %s, or --insecure-no-auth if "
				"you really mean it",
				option, addr, ways);
		return false;
	}
	return true;
}

/*
 * TLS needs a port and the three files (from --x509-dir unless given one by
 * one); they must be readable now, so a typo fails at start with its name.
 */
static bool finish_tls(const struct swl_option_source *cli) {
	struct swl_options *opts = cli->opts;
	bool any = opts->x509_dir != NULL || opts->x509_cacert_file != NULL ||
			opts->x509_cert_file != NULL || opts->x509_key_file != NULL ||
			opts->tls_ciphers != NULL || opts->tls_only;
	if (opts->tls_port == 0) {
		if (any) {
			swl_option_fail(cli, "TLS options need --tls-port");
			return false;
		}
		return true;
	}
	struct {
		char **file;
		const char *name, *option, *what;
	} files[] = {
		{ &opts->x509_cacert_file, "cacert.pem", "x509-cacert-file", "TLS certificate" },
		{ &opts->x509_cert_file, "server-cert.pem", "x509-cert-file", "TLS certificate" },
		{ &opts->x509_key_file, "server-key.pem", "x509-key-file", "TLS key" },
	};
	for (size_t i = 0; i < SWL_ARRAY_LEN(files); i++) {
		if (*files[i].file == NULL) {
			if (opts->x509_dir == NULL) {
				swl_option_fail(cli, "--tls-port needs --x509-dir or --%s", files[i].option);
				return false;
			}
			size_t len = strlen(opts->x509_dir) + strlen(files[i].name) + 2;
			*files[i].file = malloc(len);
			if (*files[i].file == NULL) {
				swl_option_fail(cli, "out of memory");
				return false;
			}
			snprintf(*files[i].file, len, "%s/%s", opts->x509_dir, files[i].name);
		}
		FILE *f = fopen(*files[i].file, "r");
		if (f == NULL) {
			swl_option_fail(cli, "cannot read %s '%s': %s", files[i].what, *files[i].file,
					strerror(errno));
			return false;
		}
		fclose(f);
	}
	if (!opts->tls_only && opts->tls_port == opts->port) {
		swl_option_fail(cli, "--tls-port %d is also the plain --port", opts->tls_port);
		return false;
	}
	return true;
}

/* --web against the other options; fills web_addr from --listen. */
static bool finish_web(const struct swl_option_source *cli) {
	struct swl_options *opts = cli->opts;
	if (opts->web_port == 0) {
		return true;
	}
	if (strncmp(opts->listen, "unix:", 5) == 0) {
		swl_option_fail(
				cli, "--web needs a TCP --listen address: the browser connects to the SPICE port");
		return false;
	}
	if (opts->sasl) {
		swl_option_fail(cli, "--web cannot be used with --sasl: spice-html5 has no SASL login");
		return false;
	}
	if (opts->web_port == opts->port || opts->web_port == opts->tls_port) {
		swl_option_fail(cli, "--web port %d is also a SPICE port", opts->web_port);
		return false;
	}
	if (opts->web_addr == NULL && !swl_option_set_string(&opts->web_addr, opts->listen, cli)) {
		return false;
	}
	// The page hands out the way in: the same rule as for --listen.
	return local_unless_authenticated(cli, "web", opts->web_addr, "a password");
}

/* The rules between options, once all are known; fills in what follows from them. */
static bool check_rules(const struct swl_option_source *cli) {
	struct swl_options *opts = cli->opts;
	if (opts->listen == NULL &&
			!swl_option_set_string(&opts->listen, WLR_SPICE_DEFAULT_LISTEN_ADDR, cli)) {
		return false;
	}
	if (!check_sizes(cli) || !finish_sasl(cli) || !finish_password(cli)) {
		return false;
	}
	// spice-html5 decodes LZ and QUIC but not GLZ or LZ4.
	if (opts->html5 && opts->image_compression == NULL &&
			!swl_option_set_string(&opts->image_compression, "auto_lz", cli)) {
		return false;
	}
	if (!local_unless_authenticated(cli, "listen", opts->listen, "a password or --sasl") ||
			!finish_tls(cli) || !finish_web(cli)) {
		return false;
	}
	if (opts->password == NULL && !opts->disable_ticketing && !opts->sasl) {
		swl_option_fail(cli,
				"no password: use --password-file FILE or " SWL_PASSWORD_ENV
				", --sasl, or --disable-ticketing for unauthenticated access");
		return false;
	}
	return true;
}

enum swl_options_result swl_options_parse(
		struct swl_options *opts, int argc, char *argv[], FILE *out, FILE *err) {
	struct option long_options[SWL_ARRAY_LEN(option_table) + 1];
	for (size_t i = 0; i < OPTION_COUNT; i++) {
		const struct swl_option *opt = &option_table[i];
		long_options[i] = (struct option){
			.name = opt->name,
			.has_arg = opt->arg != NULL ? required_argument : no_argument,
			.val = getopt_value(opt),
		};
	}
	long_options[OPTION_COUNT] = (struct option){ 0 };

	struct swl_option_source cli = { .opts = opts, .err = err };
	const char *config = NULL;
	enum swl_options_result result = first_pass(&cli, argc, argv, long_options, out, &config);
	if (result != SWL_OPTIONS_OK) {
		return result;
	}
	if (!swl_options_load_config(&cli, config) ||
			!apply_command_line(&cli, argc, argv, long_options) || !check_rules(&cli)) {
		return SWL_OPTIONS_ERROR;
	}
	return SWL_OPTIONS_OK;
}
