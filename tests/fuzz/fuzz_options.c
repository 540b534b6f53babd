/*
 * libFuzzer target for compositor/options.c, the parser of the command line
 * and of the config files. Each input is used twice:
 *
 *   - split at NUL and newline bytes into at most MAX_ARGS arguments after
 *     "spice-wl" and parsed as the command line;
 *   - written as a config file and parsed with
 *     "spice-wl --config FILE --disable-ticketing".
 *
 * Whatever the result, the options are finished (LeakSanitizer sees what is
 * left) and the result is consistent: an error is exactly one line on err,
 * and what parses passes the cross-option rules.
 *
 * The environment is fixed once per process: SPICE_WL_PASSWORD is unset and
 * SPICE_WL_SYSCONFDIR and XDG_CONFIG_HOME name an empty temporary directory,
 * so no config file of the machine is read. Inputs with a '/' are skipped:
 * the parser opens the files options name (--password-file, --x509-dir, ...),
 * and a path such as /dev/zero or a FIFO would hang it rather than find a bug.
 * Relative names still reach those code paths.
 *
 * Built with -DSPB_FUZZ_REPLAY it is a plain program instead that runs
 * the files named on its command line through the target once.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_check.h"
#include "options.h"

#define MAX_ARGS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char temp_dir[] = "/tmp/spice-wl-fuzz-options.XXXXXX";
static char config_file[sizeof(temp_dir) + 16];

static void cleanup(void) {
	unlink(config_file);
	rmdir(temp_dir);
}

static void setup_once(void) {
	static bool done = false;
	if (done) {
		return;
	}
	done = true;
	CHECK(mkdtemp(temp_dir) != NULL);
	snprintf(config_file, sizeof(config_file), "%s/input.conf", temp_dir);
	atexit(cleanup);
	CHECK(unsetenv("SPICE_WL_PASSWORD") == 0);
	CHECK(setenv("SPICE_WL_SYSCONFDIR", temp_dir, 1) == 0);
	CHECK(setenv("XDG_CONFIG_HOME", temp_dir, 1) == 0);
}

static void check_result(enum swl_options_result result, const struct swl_options *opts,
		const char *err, size_t err_len) {
	switch (result) {
	case SWL_OPTIONS_OK:
		CHECK(err_len == 0);
		CHECK(opts->listen != NULL);
		CHECK(opts->fps >= 1 && opts->fps <= 120);
		CHECK(opts->min_width <= opts->max_width && opts->min_height <= opts->max_height);
		CHECK(opts->password != NULL || opts->disable_ticketing || opts->sasl);
		CHECK((opts->command == NULL) == (opts->command_argc == 0));
		if (opts->command != NULL) {
			CHECK(opts->command[opts->command_argc] == NULL);
			for (int i = 0; i < opts->command_argc; i++) {
				CHECK(opts->command[i] != NULL);
			}
		}
		break;
	case SWL_OPTIONS_EXIT_SUCCESS:
		CHECK(err_len == 0);
		break;
	case SWL_OPTIONS_ERROR:
		// exactly one line, prefixed
		CHECK(err_len > strlen("spice-wl: ") && strncmp(err, "spice-wl: ", 10) == 0);
		CHECK(err[err_len - 1] == '\n' && memchr(err, '\n', err_len) == err + err_len - 1);
		break;
	default:
		CHECK(!"unexpected result");
	}
}

static void parse(int argc, char *argv[]) {
	char *out_buf = NULL, *err_buf = NULL;
	size_t out_len = 0, err_len = 0;
	FILE *out = open_memstream(&out_buf, &out_len);
	FILE *err = open_memstream(&err_buf, &err_len);
	CHECK(out != NULL && err != NULL);

	struct swl_options opts;
	swl_options_init(&opts);
	enum swl_options_result result = swl_options_parse(&opts, argc, argv, out, err);
	CHECK(fclose(out) == 0 && fclose(err) == 0);
	check_result(result, &opts, err_buf, err_len);
	swl_options_finish(&opts);
	free(out_buf);
	free(err_buf);
}

static void parse_argv(const uint8_t *data, size_t size) {
	// one copy, cut into NUL-terminated pieces in place
	char *copy = malloc(size + 1);
	CHECK(copy != NULL);
	memcpy(copy, data, size);
	copy[size] = '\0';

	char *argv[MAX_ARGS + 2];
	int argc = 0;
	argv[argc++] = "spice-wl";
	char *start = copy;
	for (size_t i = 0; i <= size && argc <= MAX_ARGS; i++) {
		if (copy[i] == '\0' || copy[i] == '\n') {
			copy[i] = '\0';
			argv[argc++] = start;
			start = copy + i + 1;
		}
	}
	argv[argc] = NULL;
	parse(argc, argv);
	free(copy);
}

static void parse_config(const uint8_t *data, size_t size) {
	FILE *f = fopen(config_file, "wb");
	CHECK(f != NULL);
	CHECK(fwrite(data, 1, size, f) == size);
	CHECK(fclose(f) == 0);

	char *argv[] = { "spice-wl", "--config", config_file, "--disable-ticketing", NULL };
	parse(4, argv);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	setup_once();
	if (size > 4096 || memchr(data, '/', size) != NULL) {
		return 0;
	}
	parse_argv(data, size);
	parse_config(data, size);
	return 0;
}

#ifdef SPB_FUZZ_REPLAY
#include "fuzz_replay.h"
#endif
