/*
 * Unit tests for the command-line parser in compositor/options.c: defaults,
 * every option, every kind of bad input (one "spice-wl: " line on err), the
 * password sources, COMMAND capture, --help and --version.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "options.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_ARGS 32

struct fixture {
	struct swl_options opts;
	char *out;
	char *err;
	char tmpdir[64];
	char path[128];
};

/* Runs swl_options_parse on "spice-wl" followed by the NULL-terminated args. */
static enum swl_options_result parse(struct fixture *f, ...) {
	char *argv[MAX_ARGS + 1];
	int argc = 0;
	argv[argc++] = "spice-wl";
	va_list ap;
	va_start(ap, f);
	char *arg;
	while ((arg = va_arg(ap, char *)) != NULL) {
		assert_true(argc < MAX_ARGS);
		argv[argc++] = arg;
	}
	va_end(ap);
	argv[argc] = NULL;

	free(f->out);
	free(f->err);
	f->out = f->err = NULL;
	size_t out_len, err_len;
	FILE *out = open_memstream(&f->out, &out_len);
	FILE *err = open_memstream(&f->err, &err_len);
	assert_non_null(out);
	assert_non_null(err);
	enum swl_options_result result = swl_options_parse(&f->opts, argc, argv, out, err);
	fclose(out);
	fclose(err);
	return result;
}

static int count_lines(const char *s) {
	int n = 0;
	for (; *s != '\0'; s++) {
		if (*s == '\n') {
			n++;
		}
	}
	return n;
}

/* err holds exactly one "spice-wl: " line, mentioning each given string. */
static void check_one_error_line(
		const struct fixture *f, const char *what, const char *a, const char *b) {
	const char *e = f->err;
	if (strncmp(e, "spice-wl: ", 10) != 0 || count_lines(e) != 1 || e[strlen(e) - 1] != '\n') {
		fail_msg("%s: expected one 'spice-wl: ' line, got '%s'", what, e);
	}
	if (a != NULL && strstr(e, a) == NULL) {
		fail_msg("%s: '%s' not in error '%s'", what, a, e);
	}
	if (b != NULL && strstr(e, b) == NULL) {
		fail_msg("%s: '%s' not in error '%s'", what, b, e);
	}
	if (f->out[0] != '\0') {
		fail_msg("%s: unexpected output '%s'", what, f->out);
	}
}

static void reset_opts(struct fixture *f) {
	swl_options_finish(&f->opts);
	swl_options_init(&f->opts);
}

static void write_file(const char *path, const char *content) {
	FILE *file = fopen(path, "w");
	assert_non_null(file);
	assert_int_equal(fputs(content, file) >= 0 || content[0] == '\0', 1);
	assert_int_equal(fclose(file), 0);
}

static int setup(void **state) {
	struct fixture *f = calloc(1, sizeof(*f));
	if (f == NULL) {
		return -1;
	}
	unsetenv("SPICE_WL_PASSWORD");
	swl_options_init(&f->opts);
	snprintf(f->tmpdir, sizeof(f->tmpdir), "/tmp/test_options.XXXXXX");
	if (mkdtemp(f->tmpdir) == NULL) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s/password", f->tmpdir);
	*state = f;
	return 0;
}

static int teardown(void **state) {
	struct fixture *f = *state;
	swl_options_finish(&f->opts);
	free(f->out);
	free(f->err);
	unlink(f->path);
	rmdir(f->tmpdir);
	unsetenv("SPICE_WL_PASSWORD");
	free(f);
	return 0;
}

static void test_init_finish(void **state) {
	struct fixture *f = *state;
	assert_string_equal(f->opts.listen, "127.0.0.1");
	assert_null(f->opts.command);
	swl_options_finish(&f->opts);
	assert_null(f->opts.listen);
	swl_options_finish(&f->opts); // twice is harmless
	swl_options_init(&f->opts);
}

static void test_defaults(void **state) {
	struct fixture *f = *state;
	assert_int_equal(parse(f, "--disable-ticketing", NULL), SWL_OPTIONS_OK);
	const struct swl_options *o = &f->opts;
	assert_string_equal(o->listen, "127.0.0.1");
	assert_int_equal(o->port, 5900);
	assert_null(o->password);
	assert_null(o->password_file);
	assert_true(o->disable_ticketing);
	assert_int_equal(o->width, 1280);
	assert_int_equal(o->height, 800);
	assert_int_equal(o->frame_mode, SWL_FRAME_MODE_DFPS);
	assert_int_equal(o->fps, 30);
	assert_int_equal(o->policy, SWL_POLICY_DEFAULT);
	assert_false(o->keep_running);
	assert_null(o->image_compression);
	assert_null(o->jpeg_wan_compression);
	assert_null(o->zlib_glz_wan_compression);
	assert_null(o->streaming_video);
	assert_null(o->video_codecs);
	assert_null(o->keyboard_layout);
	assert_null(o->keyboard_model);
	assert_null(o->keyboard_variant);
	assert_null(o->keyboard_options);
	assert_int_equal(o->repeat_rate, 25);
	assert_int_equal(o->repeat_delay, 600);
	assert_false(o->hide_cursor);
	assert_int_equal(o->xwayland, SWL_XWAYLAND_LAZY);
	assert_int_equal(o->verbose, 0);
	assert_null(o->command);
	assert_int_equal(o->command_argc, 0);
	assert_string_equal(f->out, "");
	assert_string_equal(f->err, "");
}

static void test_all_options(void **state) {
	struct fixture *f = *state;
	write_file(f->path, "s3cret\n");
	assert_int_equal(
			parse(f, "--listen", "0.0.0.0", "--port", "5930", "--password-file", f->path, "--size",
					"1920x1080", "--frame-mode", "per-op", "--fps", "60", "--kiosk",
					"--keep-running", "--image-compression", "auto_glz", "--jpeg-wan-compression",
					"never", "--zlib-glz-wan-compression", "always", "--streaming-video", "filter",
					"--video-codecs", "gstreamer:vp8;spice:mjpeg", "-v", "--verbose", "-vv", NULL),
			SWL_OPTIONS_OK);
	const struct swl_options *o = &f->opts;
	assert_string_equal(o->listen, "0.0.0.0");
	assert_int_equal(o->port, 5930);
	assert_string_equal(o->password_file, f->path);
	assert_string_equal(o->password, "s3cret");
	assert_false(o->disable_ticketing);
	assert_int_equal(o->width, 1920);
	assert_int_equal(o->height, 1080);
	assert_int_equal(o->frame_mode, SWL_FRAME_MODE_PER_OP);
	assert_int_equal(o->fps, 60);
	assert_int_equal(o->policy, SWL_POLICY_KIOSK);
	assert_true(o->keep_running);
	assert_string_equal(o->image_compression, "auto_glz");
	assert_string_equal(o->jpeg_wan_compression, "never");
	assert_string_equal(o->zlib_glz_wan_compression, "always");
	assert_string_equal(o->streaming_video, "filter");
	assert_string_equal(o->video_codecs, "gstreamer:vp8;spice:mjpeg");
	assert_int_equal(o->verbose, 4);
	assert_null(o->command);
	assert_string_equal(f->err, "");

	reset_opts(f);
	assert_int_equal(parse(f, "--desktop", "--disable-ticketing", "--listen=::1",
							 "--frame-mode=dfps", "--size=64x8192", "--port=1", "--fps=120", NULL),
			SWL_OPTIONS_OK);
	assert_int_equal(f->opts.policy, SWL_POLICY_DESKTOP);
	assert_string_equal(f->opts.listen, "::1");
	assert_int_equal(f->opts.frame_mode, SWL_FRAME_MODE_DFPS);
	assert_int_equal(f->opts.width, 64);
	assert_int_equal(f->opts.height, 8192);
	assert_int_equal(f->opts.port, 1);
	assert_int_equal(f->opts.fps, 120);

	reset_opts(f);
	assert_int_equal(parse(f, "--disable-ticketing", "--keyboard-layout", "de,us",
							 "--keyboard-model", "pc104", "--keyboard-variant", "nodeadkeys",
							 "--keyboard-options", "ctrl:nocaps", "--repeat-rate", "0",
							 "--repeat-delay", "250", "--hide-cursor", NULL),
			SWL_OPTIONS_OK);
	assert_string_equal(f->opts.keyboard_layout, "de,us");
	assert_string_equal(f->opts.keyboard_model, "pc104");
	assert_string_equal(f->opts.keyboard_variant, "nodeadkeys");
	assert_string_equal(f->opts.keyboard_options, "ctrl:nocaps");
	assert_int_equal(f->opts.repeat_rate, 0);
	assert_int_equal(f->opts.repeat_delay, 250);
	assert_true(f->opts.hide_cursor);

	reset_opts(f);
	assert_int_equal(parse(f, "--disable-ticketing", "--xwayland", "off", NULL), SWL_OPTIONS_OK);
	assert_int_equal(f->opts.xwayland, SWL_XWAYLAND_OFF);
	reset_opts(f);
	assert_int_equal(parse(f, "--disable-ticketing", "--xwayland=on", NULL), SWL_OPTIONS_OK);
	assert_int_equal(f->opts.xwayland, SWL_XWAYLAND_ON);

	reset_opts(f);
	assert_int_equal(parse(f, "--disable-ticketing", "--no-resize", "--no-clipboard",
							 "--min-size", "640x480", "--max-size", "1920x1200", NULL),
			SWL_OPTIONS_OK);
	assert_true(f->opts.no_resize);
	assert_true(f->opts.no_clipboard);
	assert_int_equal(f->opts.min_width, 640);
	assert_int_equal(f->opts.min_height, 480);
	assert_int_equal(f->opts.max_width, 1920);
	assert_int_equal(f->opts.max_height, 1200);

	reset_opts(f);
	assert_int_equal(parse(f, "--disable-ticketing", "--min-size", "2000x2000", "--max-size",
							 "1000x1000", NULL),
			SWL_OPTIONS_ERROR);
}

static void test_choice_values(void **state) {
	struct fixture *f = *state;
	static const struct {
		const char *option;
		const char *value;
	} good[] = {
			{"--image-compression", "off"},
			{"--image-compression", "auto_glz"},
			{"--image-compression", "auto_lz"},
			{"--image-compression", "quic"},
			{"--image-compression", "glz"},
			{"--image-compression", "lz"},
			{"--image-compression", "lz4"},
			{"--jpeg-wan-compression", "auto"},
			{"--jpeg-wan-compression", "never"},
			{"--jpeg-wan-compression", "always"},
			{"--zlib-glz-wan-compression", "auto"},
			{"--zlib-glz-wan-compression", "never"},
			{"--zlib-glz-wan-compression", "always"},
			{"--streaming-video", "off"},
			{"--streaming-video", "all"},
			{"--streaming-video", "filter"},
			{"--video-codecs", "spice:mjpeg"},
			{"--video-codecs", "gstreamer:mjpeg;gstreamer:vp8;gstreamer:vp9;gstreamer:h264"},
			{"--video-codecs", "gstreamer:h265"},
			{"--port", "65535"},
			{"--port", "05900"},
			{"--fps", "1"},
			{"--size", "8192x64"},
	};
	for (size_t i = 0; i < ARRAY_LEN(good); i++) {
		reset_opts(f);
		enum swl_options_result r = parse(
				f, "--disable-ticketing", (char *)good[i].option, (char *)good[i].value, NULL);
		if (r != SWL_OPTIONS_OK) {
			fail_msg("%s %s: rejected: %s", good[i].option, good[i].value, f->err);
		}
	}
}

static void test_bad_values(void **state) {
	struct fixture *f = *state;
	static const struct {
		const char *option;
		const char *value;
	} bad[] = {
			{"--port", "abc"},
			{"--port", "0"},
			{"--port", "65536"},
			{"--port", "-1"},
			{"--port", "+5900"},
			{"--port", " 5900"},
			{"--port", "5900x"},
			{"--port", "0x10"},
			{"--port", ""},
			{"--port", "99999999999999999999999"},
			{"--fps", "0"},
			{"--fps", "121"},
			{"--xwayland", "maybe"},
			{"--min-size", "10x10"},
			{"--max-heads", "0"},
			{"--max-heads", "17"},
			{"--max-size", "1280"},
			{"--repeat-rate", "1001"},
			{"--repeat-rate", "-1"},
			{"--repeat-delay", "10001"},
			{"--repeat-delay", "soon"},
			{"--fps", "30.5"},
			{"--fps", "fast"},
			{"--size", "63x800"},
			{"--size", "1280x8193"},
			{"--size", "1280"},
			{"--size", "1280x"},
			{"--size", "x800"},
			{"--size", "1280X800"},
			{"--size", "1280x800x"},
			{"--size", "1280x-800"},
			{"--size", "1280 x800"},
			{"--frame-mode", "fast"},
			{"--frame-mode", "DFPS"},
			{"--frame-mode", ""},
			{"--image-compression", "zstd"},
			{"--image-compression", "LZ"},
			{"--jpeg-wan-compression", "sometimes"},
			{"--zlib-glz-wan-compression", "yes"},
			{"--streaming-video", "on"},
			{"--video-codecs", ""},
			{"--video-codecs", "mjpeg"},
			{"--video-codecs", "ffmpeg:mjpeg"},
			{"--video-codecs", "gstreamer:av1"},
			{"--video-codecs", "gstreamer:vp8;"},
			{"--video-codecs", ";gstreamer:vp8"},
			{"--video-codecs", "gstreamer:vp8;;spice:mjpeg"},
			{"--video-codecs", "gstreamer:vp8:vp9"},
			{"--video-codecs", "gstreamer:"},
			{"--video-codecs", ":vp8"},
			{"--listen", ""},
			{"--password-file", ""},
	};
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		reset_opts(f);
		enum swl_options_result r =
				parse(f, "--disable-ticketing", (char *)bad[i].option, (char *)bad[i].value, NULL);
		char what[128];
		snprintf(what, sizeof(what), "%s '%s'", bad[i].option, bad[i].value);
		if (r != SWL_OPTIONS_ERROR) {
			fail_msg("%s: accepted", what);
		}
		char quoted[128];
		snprintf(quoted, sizeof(quoted), "'%s'", bad[i].value);
		check_one_error_line(f, what, bad[i].option, quoted);
	}
}

static void test_port_error_message(void **state) {
	struct fixture *f = *state;
	assert_int_equal(parse(f, "--disable-ticketing", "--port", "abc", NULL), SWL_OPTIONS_ERROR);
	assert_string_equal(
			f->err, "spice-wl: invalid value 'abc' for --port: expected an integer in 1..65535\n");
}

static void test_error_is_one_line_with_newline_in_value(void **state) {
	struct fixture *f = *state;
	assert_int_equal(parse(f, "--disable-ticketing", "--streaming-video", "a\nb\r\n", NULL),
			SWL_OPTIONS_ERROR);
	check_one_error_line(f, "newline in value", "--streaming-video", NULL);
}

static void test_unknown_option(void **state) {
	struct fixture *f = *state;
	assert_int_equal(parse(f, "--disable-ticketing", "--frob", NULL), SWL_OPTIONS_ERROR);
	assert_string_equal(f->err, "spice-wl: unknown option '--frob' (see --help)\n");
	assert_string_equal(f->out, "");

	reset_opts(f);
	assert_int_equal(parse(f, "--frob=1", NULL), SWL_OPTIONS_ERROR);
	check_one_error_line(f, "--frob=1", "unknown option", "'--frob'");

	reset_opts(f);
	assert_int_equal(parse(f, "-x", NULL), SWL_OPTIONS_ERROR);
	check_one_error_line(f, "-x", "unknown option", "'-x'");

	reset_opts(f);
	assert_int_equal(parse(f, "-vq", NULL), SWL_OPTIONS_ERROR);
	check_one_error_line(f, "-vq", "unknown option", "'-q'");

	// there is deliberately no way to pass the password itself
	reset_opts(f);
	assert_int_equal(parse(f, "--password", "hunter2", NULL), SWL_OPTIONS_ERROR);
	check_one_error_line(f, "--password", "option", "--password");
	assert_null(strstr(f->err, "hunter2"));

	reset_opts(f);
	assert_int_equal(parse(f, "--password=hunter2", NULL), SWL_OPTIONS_ERROR);
	assert_string_equal(f->err, "spice-wl: unknown option '--password' (see --help)\n");

	reset_opts(f);
	assert_int_equal(parse(f, "--password", NULL), SWL_OPTIONS_ERROR);
	assert_string_equal(f->err, "spice-wl: unknown option '--password' (see --help)\n");
}

static void test_abbreviations_rejected(void **state) {
	struct fixture *f = *state;
	static const char *const abbreviations[] = {
			"--list",
			"--p",
			"--po=1",
			"--disable",
			"--kio",
			"--desk",
			"--verb",
			"--hel",
			"--vers",
	};
	for (size_t i = 0; i < ARRAY_LEN(abbreviations); i++) {
		reset_opts(f);
		enum swl_options_result r =
				parse(f, "--disable-ticketing", (char *)abbreviations[i], "1", NULL);
		if (r != SWL_OPTIONS_ERROR) {
			fail_msg("%s: accepted", abbreviations[i]);
		}
		char name[64];
		snprintf(name, sizeof(name), "'%.*s'", (int)strcspn(abbreviations[i], "="),
				abbreviations[i]);
		check_one_error_line(f, abbreviations[i], "unknown option", name);
	}
	// abbreviations that also lack an argument or have an unwanted one
	reset_opts(f);
	assert_int_equal(parse(f, "--disable-ticketing", "--por", NULL), SWL_OPTIONS_ERROR);
	assert_string_equal(f->err, "spice-wl: unknown option '--por' (see --help)\n");
	reset_opts(f);
	assert_int_equal(parse(f, "--disable-ticketing", "--kio=1", NULL), SWL_OPTIONS_ERROR);
	assert_string_equal(f->err, "spice-wl: unknown option '--kio' (see --help)\n");
}

static void test_option_with_unwanted_argument(void **state) {
	struct fixture *f = *state;
	assert_int_equal(parse(f, "--kiosk=yes", NULL), SWL_OPTIONS_ERROR);
	check_one_error_line(f, "--kiosk=yes", "--kiosk", "argument");
	reset_opts(f);
	assert_int_equal(parse(f, "--verbose=2", NULL), SWL_OPTIONS_ERROR);
	check_one_error_line(f, "--verbose=2", "--verbose", "argument");
}

static void test_missing_argument(void **state) {
	struct fixture *f = *state;
	static const char *const options[] = {
			"--listen",
			"--port",
			"--password-file",
			"--size",
			"--frame-mode",
			"--fps",
			"--image-compression",
			"--jpeg-wan-compression",
			"--zlib-glz-wan-compression",
			"--streaming-video",
			"--video-codecs",
	};
	for (size_t i = 0; i < ARRAY_LEN(options); i++) {
		reset_opts(f);
		assert_int_equal(
				parse(f, "--disable-ticketing", (char *)options[i], NULL), SWL_OPTIONS_ERROR);
		check_one_error_line(f, options[i], options[i], "requires an argument");
	}
}

static void test_password_file(void **state) {
	struct fixture *f = *state;
	write_file(f->path, "pass word\r\nsecond line\n");
	assert_int_equal(parse(f, "--password-file", f->path, NULL), SWL_OPTIONS_OK);
	assert_string_equal(f->opts.password, "pass word");
	assert_string_equal(f->opts.password_file, f->path);
	assert_false(f->opts.disable_ticketing);

	reset_opts(f);
	write_file(f->path, "no-newline");
	assert_int_equal(parse(f, "--password-file", f->path, NULL), SWL_OPTIONS_OK);
	assert_string_equal(f->opts.password, "no-newline");

	reset_opts(f);
	write_file(f->path, "crlf\r\n");
	assert_int_equal(parse(f, "--password-file", f->path, NULL), SWL_OPTIONS_OK);
	assert_string_equal(f->opts.password, "crlf");
}

static void test_password_env(void **state) {
	struct fixture *f = *state;
	assert_int_equal(setenv("SPICE_WL_PASSWORD", "from-env", 1), 0);
	assert_int_equal(parse(f, NULL), SWL_OPTIONS_OK);
	assert_string_equal(f->opts.password, "from-env");
	assert_null(f->opts.password_file);

	// an empty variable counts as unset
	reset_opts(f);
	assert_int_equal(setenv("SPICE_WL_PASSWORD", "", 1), 0);
	assert_int_equal(parse(f, NULL), SWL_OPTIONS_ERROR);
	check_one_error_line(f, "empty env", "no password", NULL);
}

static void test_password_file_wins_over_env(void **state) {
	struct fixture *f = *state;
	assert_int_equal(setenv("SPICE_WL_PASSWORD", "from-env", 1), 0);
	write_file(f->path, "from-file\n");
	assert_int_equal(parse(f, "--password-file", f->path, NULL), SWL_OPTIONS_OK);
	assert_string_equal(f->opts.password, "from-file");
}

static void test_password_file_unreadable(void **state) {
	struct fixture *f = *state;
	// missing file
	assert_int_equal(parse(f, "--password-file", f->path, NULL), SWL_OPTIONS_ERROR);
	check_one_error_line(f, "missing file", f->path, "No such file or directory");
	assert_null(f->opts.password);

	// a directory opens but cannot be read
	reset_opts(f);
	assert_int_equal(parse(f, "--password-file", f->tmpdir, NULL), SWL_OPTIONS_ERROR);
	check_one_error_line(f, "directory", f->tmpdir, "Is a directory");

	// empty file, and a file whose first line is empty
	reset_opts(f);
	write_file(f->path, "");
	assert_int_equal(parse(f, "--password-file", f->path, NULL), SWL_OPTIONS_ERROR);
	check_one_error_line(f, "empty file", f->path, "empty");

	reset_opts(f);
	write_file(f->path, "\nsecond line\n");
	assert_int_equal(parse(f, "--password-file", f->path, NULL), SWL_OPTIONS_ERROR);
	check_one_error_line(f, "empty first line", f->path, "empty");

	// the env var is no fallback for a broken --password-file
	reset_opts(f);
	assert_int_equal(setenv("SPICE_WL_PASSWORD", "from-env", 1), 0);
	assert_int_equal(parse(f, "--password-file", f->path, NULL), SWL_OPTIONS_ERROR);
	check_one_error_line(f, "with env", f->path, NULL);
}

static void test_no_password(void **state) {
	struct fixture *f = *state;
	assert_int_equal(parse(f, NULL), SWL_OPTIONS_ERROR);
	assert_string_equal(f->err,
			"spice-wl: no password: use --password-file FILE or SPICE_WL_PASSWORD, or "
			"--disable-ticketing for unauthenticated access\n");
	assert_string_equal(f->out, "");

	reset_opts(f);
	assert_int_equal(parse(f, "--disable-ticketing", NULL), SWL_OPTIONS_OK);
	assert_null(f->opts.password);
}

static void test_kiosk_desktop_exclusive(void **state) {
	struct fixture *f = *state;
	assert_int_equal(
			parse(f, "--disable-ticketing", "--kiosk", "--desktop", NULL), SWL_OPTIONS_ERROR);
	check_one_error_line(f, "--kiosk --desktop", "--kiosk", "--desktop");

	reset_opts(f);
	assert_int_equal(
			parse(f, "--disable-ticketing", "--desktop", "--kiosk", NULL), SWL_OPTIONS_ERROR);
	check_one_error_line(f, "--desktop --kiosk", "--kiosk", "--desktop");

	reset_opts(f);
	assert_int_equal(parse(f, "--disable-ticketing", "--kiosk", "--kiosk", NULL), SWL_OPTIONS_OK);
	assert_int_equal(f->opts.policy, SWL_POLICY_KIOSK);
}

static void test_command_after_dashdash(void **state) {
	struct fixture *f = *state;
	assert_int_equal(parse(f, "--disable-ticketing", "--", "foot", "-e", "--port", "1", NULL),
			SWL_OPTIONS_OK);
	assert_int_equal(f->opts.command_argc, 4);
	assert_non_null(f->opts.command);
	assert_string_equal(f->opts.command[0], "foot");
	assert_string_equal(f->opts.command[1], "-e");
	assert_string_equal(f->opts.command[2], "--port");
	assert_string_equal(f->opts.command[3], "1");
	assert_null(f->opts.command[4]);
	assert_int_equal(f->opts.port, 5900);
}

static void test_command_first_non_option(void **state) {
	struct fixture *f = *state;
	assert_int_equal(
			parse(f, "--disable-ticketing", "weston-terminal", "--help", NULL), SWL_OPTIONS_OK);
	assert_int_equal(f->opts.command_argc, 2);
	assert_string_equal(f->opts.command[0], "weston-terminal");
	assert_string_equal(f->opts.command[1], "--help");
	assert_null(f->opts.command[2]);
	assert_string_equal(f->out, "");

	// "--" with nothing after it is no command
	reset_opts(f);
	assert_int_equal(parse(f, "--disable-ticketing", "--", NULL), SWL_OPTIONS_OK);
	assert_null(f->opts.command);
	assert_int_equal(f->opts.command_argc, 0);
}

static void test_command_is_a_copy(void **state) {
	struct fixture *f = *state;
	char arg[] = "foot";
	char *argv[] = {"spice-wl", "--disable-ticketing", arg, NULL};
	FILE *null = fopen("/dev/null", "w");
	assert_non_null(null);
	assert_int_equal(swl_options_parse(&f->opts, 3, argv, null, null), SWL_OPTIONS_OK);
	fclose(null);
	assert_ptr_not_equal(f->opts.command[0], arg);
	arg[0] = 'X';
	assert_string_equal(f->opts.command[0], "foot");
}

static void test_help(void **state) {
	struct fixture *f = *state;
	static const char *const names[] = {
			"--listen ADDR",
			"--port N",
			"--password-file FILE",
			"--disable-ticketing",
			"--size WxH",
			"--frame-mode MODE",
			"--fps N",
			"--kiosk",
			"--desktop",
			"--keep-running",
			"--image-compression MODE",
			"--jpeg-wan-compression MODE",
			"--zlib-glz-wan-compression MODE",
			"--streaming-video MODE",
			"--video-codecs LIST",
			"--keyboard-layout LAYOUT",
			"--keyboard-model MODEL",
			"--keyboard-variant VARIANT",
			"--keyboard-options OPTIONS",
			"--repeat-rate N",
			"--repeat-delay MS",
			"--hide-cursor",
			"--xwayland MODE",
			"--no-resize",
			"--min-size WxH",
			"--max-size WxH",
			"--no-clipboard",
			"--max-heads N",
			"--password-lifetime SECONDS",
			"--insecure-no-auth",
			"--view-only",
			"--exit-on-disconnect",
			"--tls-port N",
			"--x509-dir DIR",
			"--x509-cacert-file FILE",
			"--x509-cert-file FILE",
			"--x509-key-file FILE",
			"--tls-ciphers LIST",
			"--tls-only",
			"-v, --verbose",
			"-h, --help",
			"-V, --version",
	};
	static const char *const defaults[] = {
			"(default: 127.0.0.1)",
			"(default: 5900)",
			"(default: 1280x800)",
			"(default: dfps)",
			"(default: 30)",
	};
	// no password needed for --help
	assert_int_equal(parse(f, "--help", NULL), SWL_OPTIONS_EXIT_SUCCESS);
	assert_string_equal(f->err, "");
	assert_non_null(strstr(f->out, "Usage: spice-wl [options] [-- COMMAND [ARG...]]"));
	for (size_t i = 0; i < ARRAY_LEN(names); i++) {
		if (strstr(f->out, names[i]) == NULL) {
			fail_msg("'%s' missing from --help", names[i]);
		}
	}
	for (size_t i = 0; i < ARRAY_LEN(defaults); i++) {
		if (strstr(f->out, defaults[i]) == NULL) {
			fail_msg("'%s' missing from --help", defaults[i]);
		}
	}
	for (const char *line = f->out; *line != '\0';) {
		const char *end = strchr(line, '\n');
		assert_non_null(end);
		if (end - line >= 100) {
			fail_msg("--help line too long: %.*s", (int)(end - line), line);
		}
		line = end + 1;
	}

	char *first = strdup(f->out);
	assert_non_null(first);
	reset_opts(f);
	assert_int_equal(parse(f, "-h", NULL), SWL_OPTIONS_EXIT_SUCCESS);
	assert_string_equal(f->out, first);
	free(first);
}

static void test_version(void **state) {
	struct fixture *f = *state;
	assert_int_equal(parse(f, "--version", NULL), SWL_OPTIONS_EXIT_SUCCESS);
	assert_string_equal(f->out, "spice-wl " SPICE_WL_VERSION "\n");
	assert_string_equal(f->err, "");
	reset_opts(f);
	assert_int_equal(parse(f, "-V", NULL), SWL_OPTIONS_EXIT_SUCCESS);
	assert_string_equal(f->out, "spice-wl " SPICE_WL_VERSION "\n");
}

static void test_remote_access_needs_auth(void **state) {
	struct fixture *f = *state;
	// Unauthenticated access only from this machine, unless asked for.
	assert_int_equal(parse(f, "--disable-ticketing", "--listen", "0.0.0.0", NULL),
			SWL_OPTIONS_ERROR);
	assert_non_null(strstr(f->err, "--insecure-no-auth"));
	reset_opts(f);
	assert_int_equal(parse(f, "--disable-ticketing", "--listen", "0.0.0.0", "--insecure-no-auth",
							 NULL),
			SWL_OPTIONS_OK);
	reset_opts(f);
	assert_int_equal(
			parse(f, "--disable-ticketing", "--listen", "unix:/run/spice.sock", NULL),
			SWL_OPTIONS_OK);
	reset_opts(f);
	assert_int_equal(parse(f, "--disable-ticketing", "--listen", "unix:", NULL),
			SWL_OPTIONS_ERROR);
	reset_opts(f);
	assert_int_equal(parse(f, "--disable-ticketing", "--password-lifetime", "60", "--view-only",
							 "--exit-on-disconnect", NULL),
			SWL_OPTIONS_OK);
	assert_int_equal(f->opts.password_lifetime, 60);
	assert_true(f->opts.view_only);
	assert_true(f->opts.exit_on_disconnect);
}

static void test_repeated_parse(void **state) {
	struct fixture *f = *state;
	// a parse that stopped mid-cluster must not leak into the next one
	assert_int_equal(parse(f, "-vxv", NULL), SWL_OPTIONS_ERROR);
	reset_opts(f);
	assert_int_equal(parse(f, "--disable-ticketing", "-v", NULL), SWL_OPTIONS_OK);
	assert_int_equal(f->opts.verbose, 1);
	// later values replace earlier ones without leaking
	reset_opts(f);
	assert_int_equal(parse(f, "--disable-ticketing", "--listen", "127.0.0.2", "--listen",
							 "127.0.0.3", "--streaming-video", "all", "--streaming-video",
							 "off", NULL),
			SWL_OPTIONS_OK);
	assert_string_equal(f->opts.listen, "127.0.0.3");
	assert_string_equal(f->opts.streaming_video, "off");
}

static void test_frame_mode_name(void **state) {
	assert_string_equal(swl_frame_mode_name(SWL_FRAME_MODE_DFPS), "dfps");
	assert_string_equal(swl_frame_mode_name(SWL_FRAME_MODE_PER_OP), "per-op");
}

#define TEST(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void) {
	const struct CMUnitTest tests[] = {
			TEST(test_init_finish),
			TEST(test_defaults),
			TEST(test_all_options),
			TEST(test_choice_values),
			TEST(test_bad_values),
			TEST(test_port_error_message),
			TEST(test_error_is_one_line_with_newline_in_value),
			TEST(test_unknown_option),
			TEST(test_abbreviations_rejected),
			TEST(test_option_with_unwanted_argument),
			TEST(test_missing_argument),
			TEST(test_password_file),
			TEST(test_password_env),
			TEST(test_password_file_wins_over_env),
			TEST(test_password_file_unreadable),
			TEST(test_no_password),
			TEST(test_kiosk_desktop_exclusive),
			TEST(test_command_after_dashdash),
			TEST(test_command_first_non_option),
			TEST(test_command_is_a_copy),
			TEST(test_help),
			TEST(test_version),
			TEST(test_repeated_parse),
			TEST(test_remote_access_needs_auth),
			TEST(test_frame_mode_name),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
