/*
 * Unit tests for the command-line parser in compositor/options.c: defaults,
 * every option, every kind of bad input (one "spice-wl: " line on err), the
 * password sources, COMMAND capture, --help and --version, the config
 * files (read from a temporary SPICE_WL_SYSCONFDIR and XDG_CONFIG_HOME), and
 * that --help, the man page and the example config list every option.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "option_kinds.h"
#include "options.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_ARGS 32

struct fixture {
	struct swl_options opts;
	char *out;
	char *err;
	char tmpdir[64];
	char path[128];
	char etc_dir[128], sys_dir[160], sys_conf[192]; // SPICE_WL_SYSCONFDIR and its file
	char home_dir[128], user_dir[160], user_conf[192]; // XDG_CONFIG_HOME and its file
	char other_conf[128]; // for --config
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

/* Writes a file only its owner can read, as a password file must be. */
static void write_file(const char *path, const char *content) {
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(fchmod(fd, 0600), 0);
	FILE *file = fdopen(fd, "w");
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
	// no config file of the machine or the user running the tests is read
	snprintf(f->etc_dir, sizeof(f->etc_dir), "%s/etc", f->tmpdir);
	snprintf(f->sys_dir, sizeof(f->sys_dir), "%s/spice-wl", f->etc_dir);
	snprintf(f->sys_conf, sizeof(f->sys_conf), "%s/spice-wl.conf", f->sys_dir);
	snprintf(f->home_dir, sizeof(f->home_dir), "%s/config", f->tmpdir);
	snprintf(f->user_dir, sizeof(f->user_dir), "%s/spice-wl", f->home_dir);
	snprintf(f->user_conf, sizeof(f->user_conf), "%s/spice-wl.conf", f->user_dir);
	snprintf(f->other_conf, sizeof(f->other_conf), "%s/other.conf", f->tmpdir);
	if (mkdir(f->etc_dir, 0700) != 0 || mkdir(f->sys_dir, 0700) != 0 ||
			mkdir(f->home_dir, 0700) != 0 || mkdir(f->user_dir, 0700) != 0 ||
			setenv("SPICE_WL_SYSCONFDIR", f->etc_dir, 1) != 0 ||
			setenv("XDG_CONFIG_HOME", f->home_dir, 1) != 0) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state) {
	struct fixture *f = *state;
	swl_options_finish(&f->opts);
	free(f->out);
	free(f->err);
	unlink(f->path);
	unlink(f->sys_conf);
	unlink(f->user_conf);
	unlink(f->other_conf);
	rmdir(f->sys_dir);
	rmdir(f->etc_dir);
	rmdir(f->user_dir);
	rmdir(f->home_dir);
	rmdir(f->tmpdir);
	unsetenv("SPICE_WL_PASSWORD");
	unsetenv("SPICE_WL_SYSCONFDIR");
	unsetenv("XDG_CONFIG_HOME");
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
	assert_true(o->scale == 1.0);
	assert_int_equal(o->frame_mode, WLR_SPICE_FRAME_MODE_AUTO);
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
	assert_int_equal(o->frame_mode, WLR_SPICE_FRAME_MODE_PER_OP);
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
	assert_int_equal(f->opts.frame_mode, WLR_SPICE_FRAME_MODE_DFPS);
	assert_int_equal(f->opts.width, 64);
	assert_int_equal(f->opts.height, 8192);
	assert_int_equal(f->opts.port, 1);
	assert_int_equal(f->opts.fps, 120);

	static const struct {
		const char *arg;
		double scale;
	} scales[] = {
		{ "--scale=1", 1.0 }, { "--scale=1.5", 1.5 }, { "--scale=2", 2.0 },
		{ "--scale=1.25", 1.25 }, { "--scale=2.0", 2.0 }, { "--scale=4", 4.0 },
	};
	for (size_t i = 0; i < sizeof(scales) / sizeof(scales[0]); i++) {
		reset_opts(f);
		assert_int_equal(parse(f, "--disable-ticketing", scales[i].arg, NULL), SWL_OPTIONS_OK);
		assert_true(f->opts.scale == scales[i].scale);
	}

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
	assert_false(f->opts.no_audio);
	reset_opts(f);
	assert_int_equal(parse(f, "--disable-ticketing", "--no-audio", NULL), SWL_OPTIONS_OK);
	assert_true(f->opts.no_audio);

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
			{"--scale", "0.5"},
			{"--scale", "1.3"},
			{"--scale", "4.25"},
			{"--scale", "5"},
			{"--scale", "1."},
			{"--scale", "1.255"},
			{"--scale", "-1"},
			{"--scale", "x"},
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
			"spice-wl: no password: use --password-file FILE or SPICE_WL_PASSWORD, --sasl, "
			"or --disable-ticketing for unauthenticated access\n");
	assert_string_equal(f->out, "");

	reset_opts(f);
	assert_int_equal(parse(f, "--disable-ticketing", NULL), SWL_OPTIONS_OK);
	assert_null(f->opts.password);
}

/* --max-area: N or WxH pixels, at least --min-size and --size. */
static void test_max_area(void **state) {
	struct fixture *f = *state;
	assert_int_equal(parse(f, "--disable-ticketing", NULL), SWL_OPTIONS_OK);
	assert_true(f->opts.max_area == 4LL * 3840 * 2160);

	reset_opts(f);
	assert_int_equal(parse(f, "--disable-ticketing", "--max-area", "7680x4320", NULL),
			SWL_OPTIONS_OK);
	assert_true(f->opts.max_area == 7680LL * 4320);

	reset_opts(f);
	assert_int_equal(parse(f, "--disable-ticketing", "--max-area", "1024000", "--size",
							 "1280x800", NULL),
			SWL_OPTIONS_OK);
	assert_true(f->opts.max_area == 1024000);

	static const char *const bad[] = { "0", "4095", "64x63", "abc", "1280x", "x800", "1280x800x2",
		"-5", "1073741825", "131072x8193", "99999999999999999999" };
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		reset_opts(f);
		assert_int_equal(parse(f, "--disable-ticketing", "--max-area", bad[i], NULL),
				SWL_OPTIONS_ERROR);
		check_one_error_line(f, bad[i], "--max-area", bad[i]);
	}

	reset_opts(f);
	assert_int_equal(parse(f, "--disable-ticketing", "--max-area", "1000000", NULL),
			SWL_OPTIONS_ERROR);
	check_one_error_line(f, "--size over --max-area", "--size 1280x800", "--max-area 1000000");

	reset_opts(f);
	assert_int_equal(parse(f, "--disable-ticketing", "--max-area", "200000", "--size", "320x200",
							 "--min-size", "640x480", NULL),
			SWL_OPTIONS_ERROR);
	check_one_error_line(f, "--min-size over --max-area", "--min-size 640x480",
			"--max-area 200000");
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
			"--no-file-transfer",
			"--no-audio",
			"--no-copy-bits",
			"--max-heads N",
			"--scale S",
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
			"--web [ADDR:]PORT",
			"--sasl",
			"--sasl-appname NAME",
			"--config FILE",
			"-v, --verbose",
			"-h, --help",
			"-V, --version",
	};
	static const char *const defaults[] = {
			"(default: 127.0.0.1)",
			"(default: 5900)",
			"(default: 1280x800)",
			"(default: auto)",
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

static void test_sasl(void **state) {
	struct fixture *f = *state;
	// SASL is authentication: no password needed, remote listening allowed
	assert_int_equal(parse(f, "--sasl", "--listen", "0.0.0.0", NULL), SWL_OPTIONS_OK);
	assert_true(f->opts.sasl);
	assert_string_equal(f->opts.sasl_appname, "spice-wl");
	assert_null(f->opts.password);
	reset_opts(f);
	assert_int_equal(parse(f, "--sasl", "--sasl-appname", "my-app_2.x", NULL), SWL_OPTIONS_OK);
	assert_string_equal(f->opts.sasl_appname, "my-app_2.x");

	// SPICE_WL_PASSWORD may be a client's SASL password: not taken as a ticket
	reset_opts(f);
	assert_int_equal(setenv("SPICE_WL_PASSWORD", "from-env", 1), 0);
	assert_int_equal(parse(f, "--sasl", NULL), SWL_OPTIONS_OK);
	assert_null(f->opts.password);
	assert_int_equal(unsetenv("SPICE_WL_PASSWORD"), 0);

	// the other ways of authenticating, and their options, exclude it
	write_file(f->path, "secret\n");
	reset_opts(f);
	assert_int_equal(parse(f, "--sasl", "--password-file", f->path, NULL), SWL_OPTIONS_ERROR);
	check_one_error_line(f, "--sasl --password-file", "--sasl", "--password-file");
	reset_opts(f);
	assert_int_equal(parse(f, "--sasl", "--disable-ticketing", NULL), SWL_OPTIONS_ERROR);
	check_one_error_line(f, "--sasl --disable-ticketing", "--sasl", "--disable-ticketing");
	reset_opts(f);
	assert_int_equal(parse(f, "--sasl", "--password-lifetime", "60", NULL), SWL_OPTIONS_ERROR);
	check_one_error_line(f, "--sasl --password-lifetime", "--sasl", "--password-lifetime");
	reset_opts(f);
	assert_int_equal(
			parse(f, "--disable-ticketing", "--sasl-appname", "x", NULL), SWL_OPTIONS_ERROR);
	check_one_error_line(f, "--sasl-appname alone", "--sasl-appname", "--sasl");

	// the name selects a file: no paths
	static const char *const bad[] = { "", "../x", "a/b", ".hidden", "a b" };
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		reset_opts(f);
		assert_int_equal(parse(f, "--sasl", "--sasl-appname", bad[i], NULL), SWL_OPTIONS_ERROR);
		check_one_error_line(f, bad[i], "--sasl-appname", NULL);
	}

	// and from a config file, where a later false undoes it
	write_file(f->user_conf, "sasl = yes\nsasl-appname = from-file\n");
	reset_opts(f);
	assert_int_equal(parse(f, NULL), SWL_OPTIONS_OK);
	assert_true(f->opts.sasl);
	assert_string_equal(f->opts.sasl_appname, "from-file");
	write_file(f->user_conf, "sasl = yes\nsasl = no\n");
	reset_opts(f);
	assert_int_equal(parse(f, "--disable-ticketing", NULL), SWL_OPTIONS_OK);
	assert_false(f->opts.sasl);
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

/* --web [ADDR:]PORT: forms, defaults and the rules it shares with --listen. */
static void test_web(void **state) {
	struct fixture *f = *state;
	assert_int_equal(parse(f, "--disable-ticketing", NULL), SWL_OPTIONS_OK);
	assert_int_equal(f->opts.web_port, 0);
	assert_null(f->opts.web_addr);

	reset_opts(f);
	assert_int_equal(parse(f, "--disable-ticketing", "--listen", "127.0.0.2", "--web", "8080",
							 NULL),
			SWL_OPTIONS_OK);
	assert_int_equal(f->opts.web_port, 8080);
	assert_string_equal(f->opts.web_addr, "127.0.0.2"); // the --listen address
	reset_opts(f);
	assert_int_equal(parse(f, "--disable-ticketing", "--web", "127.0.0.3:8081", NULL),
			SWL_OPTIONS_OK);
	assert_string_equal(f->opts.web_addr, "127.0.0.3");
	assert_int_equal(f->opts.web_port, 8081);
	reset_opts(f);
	assert_int_equal(parse(f, "--disable-ticketing", "--web", "[::1]:8082", NULL),
			SWL_OPTIONS_OK);
	assert_string_equal(f->opts.web_addr, "::1");
	assert_int_equal(f->opts.web_port, 8082);

	static const char *const bad[] = { "", "0", "65536", "x", ":8080", "::1:8080", "[::1]8080",
		"[::1]:", "[]:80", "a b:80", "[::1:80" };
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		reset_opts(f);
		assert_int_equal(parse(f, "--disable-ticketing", "--web", bad[i], NULL),
				SWL_OPTIONS_ERROR);
		assert_non_null(strstr(f->err, "--web"));
		assert_non_null(strchr(f->err, '\n'));
		assert_ptr_equal(strchr(f->err, '\n'), f->err + strlen(f->err) - 1);
	}

	// No unauthenticated page beyond loopback, as for --listen.
	reset_opts(f);
	assert_int_equal(parse(f, "--disable-ticketing", "--web", "0.0.0.0:8080", NULL),
			SWL_OPTIONS_ERROR);
	assert_string_equal(f->err, "spice-wl: refusing unauthenticated access on --web 0.0.0.0: "
			"use a password, or --insecure-no-auth if you really mean it\n");
	reset_opts(f);
	assert_int_equal(parse(f, "--disable-ticketing", "--web", "0.0.0.0:8080",
							 "--insecure-no-auth", NULL),
			SWL_OPTIONS_OK);
	reset_opts(f);
	assert_int_equal(parse(f, "--disable-ticketing", "--listen", "unix:/tmp/x", "--web", "8080",
							 NULL),
			SWL_OPTIONS_ERROR);
	assert_non_null(strstr(f->err, "--web needs a TCP --listen"));
	reset_opts(f);
	assert_int_equal(parse(f, "--disable-ticketing", "--web", "5900", NULL), SWL_OPTIONS_ERROR);
	assert_string_equal(f->err, "spice-wl: --web port 5900 is also a SPICE port\n");
}

/* Config files: system < user < command line. */
static void test_config_precedence(void **state) {
	struct fixture *f = *state;
	write_file(f->sys_conf,
			"port = 6000\n"
			"size = 640x480\n"
			"fps = 10\n"
			"disable-ticketing = true\n"
			"keyboard-layout = de\n");
	write_file(f->user_conf,
			"port = 6001\n"
			"size = 800x600\n");
	assert_int_equal(parse(f, "--port", "6002", NULL), SWL_OPTIONS_OK);
	assert_int_equal(f->opts.port, 6002);
	assert_int_equal(f->opts.width, 800);
	assert_int_equal(f->opts.height, 600);
	assert_int_equal(f->opts.fps, 10);
	assert_true(f->opts.disable_ticketing);
	assert_string_equal(f->opts.keyboard_layout, "de");
	assert_string_equal(f->err, "");

	reset_opts(f);
	assert_int_equal(parse(f, "--keyboard-layout", "fr", NULL), SWL_OPTIONS_OK);
	assert_int_equal(f->opts.port, 6001);
	assert_string_equal(f->opts.keyboard_layout, "fr");

	// without a user file, the system file's values
	unlink(f->user_conf);
	reset_opts(f);
	assert_int_equal(parse(f, NULL), SWL_OPTIONS_OK);
	assert_int_equal(f->opts.port, 6000);
	assert_int_equal(f->opts.width, 640);

	// XDG_CONFIG_HOME unset: ~/.config, from HOME
	write_file(f->user_conf, "port = 6003\n");
	unsetenv("XDG_CONFIG_HOME");
	char *home = getenv("HOME") != NULL ? strdup(getenv("HOME")) : NULL;
	char fake_home[96];
	snprintf(fake_home, sizeof(fake_home), "%s/home", f->tmpdir);
	char dot_config[128];
	snprintf(dot_config, sizeof(dot_config), "%s/.config", fake_home);
	assert_int_equal(mkdir(fake_home, 0700), 0);
	assert_int_equal(symlink(f->home_dir, dot_config), 0);
	assert_int_equal(setenv("HOME", fake_home, 1), 0);
	reset_opts(f);
	enum swl_options_result r = parse(f, NULL);
	int port = f->opts.port;
	// a relative XDG_CONFIG_HOME is ignored (XDG base directory spec)
	assert_int_equal(setenv("XDG_CONFIG_HOME", "relative", 1), 0);
	reset_opts(f);
	enum swl_options_result r_relative = parse(f, NULL);
	int port_relative = f->opts.port;
	unlink(dot_config);
	rmdir(fake_home);
	if (home != NULL) {
		setenv("HOME", home, 1);
		free(home);
	} else {
		unsetenv("HOME");
	}
	assert_int_equal(r, SWL_OPTIONS_OK);
	assert_int_equal(port, 6003);
	assert_int_equal(r_relative, SWL_OPTIONS_OK);
	assert_int_equal(port_relative, 6003);
}

static void test_config_replaces_both(void **state) {
	struct fixture *f = *state;
	write_file(f->sys_conf, "port = 6000\nkiosk = true\n");
	write_file(f->user_conf, "fps = 10\n");
	write_file(f->other_conf, "size = 1024x768\ndisable-ticketing = on\n");
	assert_int_equal(parse(f, "--config", f->other_conf, NULL), SWL_OPTIONS_OK);
	assert_int_equal(f->opts.width, 1024);
	assert_int_equal(f->opts.height, 768);
	assert_int_equal(f->opts.port, 5900);
	assert_int_equal(f->opts.fps, 30);
	assert_int_equal(f->opts.policy, SWL_POLICY_DEFAULT);
	assert_true(f->opts.disable_ticketing);

	// the command line still wins over --config, wherever --config is
	reset_opts(f);
	char config_arg[160];
	snprintf(config_arg, sizeof(config_arg), "--config=%s", f->other_conf);
	assert_int_equal(parse(f, "--size", "800x600", config_arg, NULL), SWL_OPTIONS_OK);
	assert_int_equal(f->opts.width, 800);
	assert_int_equal(f->opts.height, 600);

	// the last --config counts
	reset_opts(f);
	assert_int_equal(
			parse(f, "--config", f->sys_conf, "--config", f->other_conf, NULL), SWL_OPTIONS_OK);
	assert_int_equal(f->opts.port, 5900);
	assert_int_equal(f->opts.width, 1024);

	// a broken default file does not matter with --config
	write_file(f->sys_conf, "frob = 1\n");
	reset_opts(f);
	assert_int_equal(parse(f, "--config", f->other_conf, NULL), SWL_OPTIONS_OK);
}

static void test_config_comments_and_spacing(void **state) {
	struct fixture *f = *state;
	write_file(f->sys_conf,
			"# spice-wl\n"
			"\n"
			"   \n"
			"\t# indented comment\n"
			"port=6000\n"
			"  listen   =\t127.0.0.2  \r\n"
			"keyboard-options = grp:alt_shift_toggle # not a comment\n"
			"keyboard-variant = a=b\n"
			"disable-ticketing = true");
	assert_int_equal(parse(f, NULL), SWL_OPTIONS_OK);
	assert_int_equal(f->opts.port, 6000);
	assert_string_equal(f->opts.listen, "127.0.0.2");
	assert_string_equal(f->opts.keyboard_options, "grp:alt_shift_toggle # not a comment");
	assert_string_equal(f->opts.keyboard_variant, "a=b");
	assert_true(f->opts.disable_ticketing);

	// an empty file, and a later line replacing an earlier one
	write_file(f->sys_conf, "");
	write_file(f->user_conf, "fps = 5\nfps = 6\ndisable-ticketing = 1\n");
	reset_opts(f);
	assert_int_equal(parse(f, NULL), SWL_OPTIONS_OK);
	assert_int_equal(f->opts.fps, 6);
}

static void test_config_booleans(void **state) {
	struct fixture *f = *state;
	static const char *const true_words[] = { "true", "yes", "on", "1" };
	static const char *const false_words[] = { "false", "no", "off", "0" };
	char content[128];
	for (size_t i = 0; i < ARRAY_LEN(true_words); i++) {
		snprintf(content, sizeof(content), "view-only = %s\ndisable-ticketing = %s\n",
				true_words[i], true_words[i]);
		write_file(f->sys_conf, content);
		reset_opts(f);
		assert_int_equal(parse(f, NULL), SWL_OPTIONS_OK);
		assert_true(f->opts.view_only);
	}
	for (size_t i = 0; i < ARRAY_LEN(false_words); i++) {
		snprintf(content, sizeof(content), "view-only = %s\ndisable-ticketing = %s\n",
				false_words[i], false_words[i]);
		write_file(f->sys_conf, content);
		reset_opts(f);
		assert_int_equal(parse(f, NULL), SWL_OPTIONS_ERROR); // no password, no ticketing
		reset_opts(f);
		assert_int_equal(parse(f, "--disable-ticketing", NULL), SWL_OPTIONS_OK);
		assert_false(f->opts.view_only);
	}

	// false in the user file undoes true in the system file
	write_file(f->sys_conf, "hide-cursor = true\nno-clipboard = true\nkiosk = true\n");
	write_file(f->user_conf, "hide-cursor = false\nkiosk = no\n");
	reset_opts(f);
	assert_int_equal(parse(f, "--disable-ticketing", NULL), SWL_OPTIONS_OK);
	assert_false(f->opts.hide_cursor);
	assert_true(f->opts.no_clipboard);
	assert_int_equal(f->opts.policy, SWL_POLICY_DEFAULT);

	// a later source picks another window policy; within one they conflict
	write_file(f->user_conf, "desktop = true\n");
	reset_opts(f);
	assert_int_equal(parse(f, "--disable-ticketing", NULL), SWL_OPTIONS_OK);
	assert_int_equal(f->opts.policy, SWL_POLICY_DESKTOP);
	reset_opts(f);
	assert_int_equal(parse(f, "--disable-ticketing", "--kiosk", NULL), SWL_OPTIONS_OK);
	assert_int_equal(f->opts.policy, SWL_POLICY_KIOSK);
	write_file(f->user_conf, "desktop = true\nkiosk = true\n");
	reset_opts(f);
	assert_int_equal(parse(f, "--disable-ticketing", NULL), SWL_OPTIONS_ERROR);
	check_one_error_line(f, "kiosk and desktop in one file", f->user_conf, ":2: ");

	// verbose takes a level; -v on the command line adds to it
	write_file(f->user_conf, "verbose = 2\n");
	reset_opts(f);
	assert_int_equal(parse(f, "--disable-ticketing", "-v", NULL), SWL_OPTIONS_OK);
	assert_int_equal(f->opts.verbose, 3);
}

/* Every option without an argument in --help can be set and cleared in a file. */
static void test_config_every_flag(void **state) {
	struct fixture *f = *state;
	assert_int_equal(parse(f, "--help", NULL), SWL_OPTIONS_EXIT_SUCCESS);
	char *help = strdup(f->out);
	assert_non_null(help);
	int flags = 0;
	for (char *line = strtok(help, "\n"); line != NULL; line = strtok(NULL, "\n")) {
		// "  --name  help" or "  -v, --verbose  help"; "--name ARG" takes an argument
		char *name = strstr(line, "--");
		if (strncmp(line, "  -", 3) != 0 || name == NULL) {
			continue;
		}
		name += 2;
		size_t len = strcspn(name, " ");
		if (name[len] == ' ' && name[len + 1] != ' ') {
			continue;
		}
		name[len] = '\0';
		if (strcmp(name, "help") == 0 || strcmp(name, "version") == 0 ||
				strcmp(name, "verbose") == 0) {
			continue;
		}
		char content[128];
		const char *values[] = { "true", "false" };
		for (size_t i = 0; i < ARRAY_LEN(values); i++) {
			snprintf(content, sizeof(content), "%s = %s\n", name, values[i]);
			write_file(f->user_conf, content);
			reset_opts(f);
			enum swl_options_result r = parse(f, "--disable-ticketing", NULL);
			// some flags only make sense with others (TLS); any error must not be
			// about the config file itself
			if (r != SWL_OPTIONS_OK && strstr(f->err, f->user_conf) != NULL) {
				fail_msg("'%s = %s' rejected: %s", name, values[i], f->err);
			}
		}
		flags++;
	}
	free(help);
	assert_true(flags >= 10);
}

static void test_config_unknown_key(void **state) {
	struct fixture *f = *state;
	write_file(f->user_conf, "# comment\nport = 6000\nfrob = 1\n");
	char expected[320];
	snprintf(expected, sizeof(expected), "spice-wl: %s:3: unknown option 'frob'\n", f->user_conf);
	assert_int_equal(parse(f, "--disable-ticketing", NULL), SWL_OPTIONS_ERROR);
	assert_string_equal(f->err, expected);
	assert_string_equal(f->out, "");

	// the password itself is no option; its value is never echoed
	write_file(f->user_conf, "password = hunter2\n");
	reset_opts(f);
	assert_int_equal(parse(f, "--disable-ticketing", NULL), SWL_OPTIONS_ERROR);
	check_one_error_line(f, "password key", f->user_conf, "unknown option 'password'");
	assert_null(strstr(f->err, "hunter2"));

	static const char *const not_allowed[] = { "help", "version", "config" };
	for (size_t i = 0; i < ARRAY_LEN(not_allowed); i++) {
		char content[64];
		snprintf(content, sizeof(content), "\n%s = x\n", not_allowed[i]);
		write_file(f->sys_conf, content);
		reset_opts(f);
		assert_int_equal(parse(f, "--disable-ticketing", NULL), SWL_OPTIONS_ERROR);
		char quoted[32];
		snprintf(quoted, sizeof(quoted), ":2: option '%s'", not_allowed[i]);
		check_one_error_line(f, not_allowed[i], f->sys_conf, quoted);
	}
	unlink(f->sys_conf);

	// short names, the dashed spelling and the command are not keys
	static const char *const unknown[] = { "v", "--port", "command", "Port", "" };
	for (size_t i = 0; i < ARRAY_LEN(unknown); i++) {
		char content[64];
		snprintf(content, sizeof(content), "%s = 1\n", unknown[i]);
		write_file(f->other_conf, content);
		reset_opts(f);
		assert_int_equal(parse(f, "--disable-ticketing", "--config", f->other_conf, NULL),
				SWL_OPTIONS_ERROR);
		char quoted[32];
		snprintf(quoted, sizeof(quoted), ":1: unknown option '%s'", unknown[i]);
		check_one_error_line(f, unknown[i], f->other_conf, quoted);
	}

	write_file(f->other_conf, "port 6000\n");
	reset_opts(f);
	assert_int_equal(
			parse(f, "--disable-ticketing", "--config", f->other_conf, NULL), SWL_OPTIONS_ERROR);
	check_one_error_line(f, "no '='", f->other_conf, ":1: expected 'key = value'");
}

static void test_config_bad_value(void **state) {
	struct fixture *f = *state;
	write_file(f->sys_conf, "disable-ticketing = true\nport = abc\n");
	char expected[320];
	snprintf(expected, sizeof(expected),
			"spice-wl: %s:2: invalid value 'abc' for port: expected an integer in 1..65535\n",
			f->sys_conf);
	assert_int_equal(parse(f, NULL), SWL_OPTIONS_ERROR);
	assert_string_equal(f->err, expected);
	// the command line does not make a broken file acceptable
	reset_opts(f);
	assert_int_equal(parse(f, "--port", "6000", NULL), SWL_OPTIONS_ERROR);
	assert_string_equal(f->err, expected);

	static const struct {
		const char *line;
		const char *message;
	} bad[] = {
		{ "kiosk = maybe",
				"invalid value 'maybe' for kiosk: expected true, false, yes, no, on, off, 1 or "
				"0" },
		{ "disable-ticketing =", "invalid value '' for disable-ticketing" },
		{ "size = 1280", "invalid value '1280' for size: expected WIDTHxHEIGHT" },
		{ "frame-mode = fast", "invalid value 'fast' for frame-mode: expected auto, dfps or per-op" },
		{ "video-codecs = gstreamer:av1", "for video-codecs: unknown codec 'av1'" },
		{ "listen =", "invalid value '' for listen" },
		{ "verbose = 3", "invalid value '3' for verbose: expected an integer in 0..2" },
		{ "fps = 30 # frames", "invalid value '30 # frames' for fps" },
		// the port of --web is its value too: no dashes in a file either
		{ "web = 127.0.0.3:99999",
				"invalid value '99999' for web: expected an integer in 1..65535" },
		{ "streaming-video = a\x01"
		  "b",
				"invalid value 'a?b' for streaming-video" },
	};
	unlink(f->sys_conf);
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		char content[128];
		snprintf(content, sizeof(content), "# bad\n%s\n", bad[i].line);
		write_file(f->user_conf, content);
		reset_opts(f);
		assert_int_equal(parse(f, "--disable-ticketing", NULL), SWL_OPTIONS_ERROR);
		char where[224];
		snprintf(where, sizeof(where), "spice-wl: %s:2: ", f->user_conf);
		if (strncmp(f->err, where, strlen(where)) != 0) {
			fail_msg("'%s': error '%s' does not start with '%s'", bad[i].line, f->err, where);
		}
		check_one_error_line(f, bad[i].line, bad[i].message, NULL);
	}
}

static void test_config_missing_file(void **state) {
	struct fixture *f = *state;
	// missing default files are fine (setup made none)
	assert_int_equal(parse(f, "--disable-ticketing", NULL), SWL_OPTIONS_OK);

	reset_opts(f);
	assert_int_equal(
			parse(f, "--disable-ticketing", "--config", f->other_conf, NULL), SWL_OPTIONS_ERROR);
	char expected[320];
	snprintf(expected, sizeof(expected),
			"spice-wl: cannot read config file '%s': No such file or directory\n", f->other_conf);
	assert_string_equal(f->err, expected);

	reset_opts(f);
	assert_int_equal(parse(f, "--disable-ticketing", "--config", "", NULL), SWL_OPTIONS_ERROR);
	check_one_error_line(f, "--config ''", "--config", "''");

	// a default path that exists but cannot be read is an error
	assert_int_equal(mkdir(f->user_conf, 0700), 0);
	reset_opts(f);
	enum swl_options_result r = parse(f, "--disable-ticketing", NULL);
	rmdir(f->user_conf);
	assert_int_equal(r, SWL_OPTIONS_ERROR);
	check_one_error_line(f, "directory", f->user_conf, "Is a directory");

	// --help and --version work whatever the config files hold
	write_file(f->sys_conf, "frob = 1\n");
	reset_opts(f);
	assert_int_equal(parse(f, "--help", NULL), SWL_OPTIONS_EXIT_SUCCESS);
	assert_non_null(strstr(f->out, "--config FILE"));
	reset_opts(f);
	assert_int_equal(
			parse(f, "--config", f->other_conf, "--version", NULL), SWL_OPTIONS_EXIT_SUCCESS);
}

static void test_config_password_file(void **state) {
	struct fixture *f = *state;
	write_file(f->path, "from-file\n");
	char content[192];
	snprintf(content, sizeof(content), "password-file = %s\n", f->path);
	write_file(f->sys_conf, content);
	assert_int_equal(setenv("SPICE_WL_PASSWORD", "from-env", 1), 0);
	assert_int_equal(parse(f, NULL), SWL_OPTIONS_OK);
	assert_string_equal(f->opts.password, "from-file");
	assert_string_equal(f->opts.password_file, f->path);
}

/* Writes len bytes (NULs allowed) to a private file at path. */
static void write_bytes(const char *path, const char *data, size_t len) {
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
}

/* Parses "--password-file path" expecting exactly the error line expected. */
static void check_password_file_error(struct fixture *f, const char *path, const char *expected) {
	reset_opts(f);
	assert_int_equal(parse(f, "--password-file", path, NULL), SWL_OPTIONS_ERROR);
	assert_string_equal(f->err, expected);
	assert_null(f->opts.password);
}

static void test_password_file_mode(void **state) {
	struct fixture *f = *state;
	char expected[512];
	// as ssh with a private key: a file others can read is refused
	const mode_t open_modes[] = { 0644, 0604, 0606, 0666 };
	for (size_t i = 0; i < ARRAY_LEN(open_modes); i++) {
		write_file(f->path, "s3cret\n");
		assert_int_equal(chmod(f->path, open_modes[i]), 0);
		snprintf(expected, sizeof(expected),
				"spice-wl: --password-file '%s' has mode %04o: other users can read it "
				"(chmod 600 '%s')\n",
				f->path, (unsigned)open_modes[i], f->path);
		check_password_file_error(f, f->path, expected);
	}
	// 0600 and 0400 are fine
	assert_int_equal(chmod(f->path, 0400), 0);
	reset_opts(f);
	assert_int_equal(parse(f, "--password-file", f->path, NULL), SWL_OPTIONS_OK);
	assert_string_equal(f->opts.password, "s3cret");
	assert_int_equal(chmod(f->path, 0600), 0);

	if (geteuid() != 0) {
		return; // the rest changes owners
	}
	// a systemd credential: root's, group root, 0440 (an ACL's mask)
	assert_int_equal(chown(f->path, 0, 0), 0);
	assert_int_equal(chmod(f->path, 0440), 0);
	reset_opts(f);
	assert_int_equal(parse(f, "--password-file", f->path, NULL), SWL_OPTIONS_OK);
	assert_string_equal(f->opts.password, "s3cret");
	// the same mode with another group is readable by that group
	assert_int_equal(chown(f->path, 0, 65534), 0);
	snprintf(expected, sizeof(expected),
			"spice-wl: --password-file '%s' has mode 0440: other users can read it "
			"(chmod 600 '%s')\n",
			f->path, f->path);
	check_password_file_error(f, f->path, expected);
	// another user's file: that user can change the password
	assert_int_equal(chown(f->path, 65534, 0), 0);
	assert_int_equal(chmod(f->path, 0600), 0);
	snprintf(expected, sizeof(expected),
			"spice-wl: --password-file '%s' belongs to uid 65534: it must be yours or root's\n",
			f->path);
	check_password_file_error(f, f->path, expected);
	assert_int_equal(chown(f->path, 0, 0), 0);
}

static void test_password_file_content(void **state) {
	struct fixture *f = *state;
	char expected[512];
	// a NUL would end the password early
	write_bytes(f->path, "abc\0def\n", 8);
	snprintf(expected, sizeof(expected),
			"spice-wl: cannot read --password-file '%s': it contains a NUL byte\n", f->path);
	check_password_file_error(f, f->path, expected);

	// spice-server keeps at most 59 bytes (60 with the NUL; it cuts a 60-byte
	// password, which then never matches): said at start, with the numbers
	char pw[80];
	memset(pw, 'x', sizeof(pw));
	pw[59] = '\n';
	write_bytes(f->path, pw, 60);
	reset_opts(f);
	assert_int_equal(parse(f, "--password-file", f->path, NULL), SWL_OPTIONS_OK);
	assert_int_equal(strlen(f->opts.password), 59);
	pw[59] = 'x';
	pw[60] = '\n';
	write_bytes(f->path, pw, 61);
	snprintf(expected, sizeof(expected),
			"spice-wl: --password-file '%s': the password is 60 bytes long; SPICE allows at "
			"most 59\n",
			f->path);
	check_password_file_error(f, f->path, expected);

	// at most 4 KiB is read; a longer file is no password file
	size_t big_len = 4097;
	char *big = malloc(big_len);
	assert_non_null(big);
	memset(big, '\n', big_len);
	memcpy(big, "short\n", 6);
	write_bytes(f->path, big, 4096);
	reset_opts(f);
	assert_int_equal(parse(f, "--password-file", f->path, NULL), SWL_OPTIONS_OK);
	assert_string_equal(f->opts.password, "short");
	write_bytes(f->path, big, big_len);
	free(big);
	snprintf(expected, sizeof(expected),
			"spice-wl: cannot read --password-file '%s': it is longer than 4096 bytes\n", f->path);
	check_password_file_error(f, f->path, expected);

	// devices are no password files: /dev/zero would be read for ever
	check_password_file_error(f, "/dev/zero",
			"spice-wl: cannot read --password-file '/dev/zero': not a regular file\n");

	// a pipe is fine (--password-file <(command))
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(write(fds[1], "piped\n", 6), 6);
	assert_int_equal(close(fds[1]), 0);
	char fd_path[32];
	snprintf(fd_path, sizeof(fd_path), "/dev/fd/%d", fds[0]);
	reset_opts(f);
	assert_int_equal(parse(f, "--password-file", fd_path, NULL), SWL_OPTIONS_OK);
	assert_int_equal(close(fds[0]), 0);
	assert_string_equal(f->opts.password, "piped");
}

static void test_password_env_too_long(void **state) {
	struct fixture *f = *state;
	char pw[62];
	memset(pw, 'y', sizeof(pw));
	pw[59] = '\0';
	assert_int_equal(setenv("SPICE_WL_PASSWORD", pw, 1), 0);
	assert_int_equal(parse(f, NULL), SWL_OPTIONS_OK);
	assert_string_equal(f->opts.password, pw);

	pw[59] = 'y';
	pw[60] = '\0';
	assert_int_equal(setenv("SPICE_WL_PASSWORD", pw, 1), 0);
	reset_opts(f);
	assert_int_equal(parse(f, NULL), SWL_OPTIONS_ERROR);
	assert_string_equal(f->err,
			"spice-wl: SPICE_WL_PASSWORD: the password is 60 bytes long; SPICE allows at most "
			"59\n");
	assert_null(f->opts.password);
}

static void test_config_bounded(void **state) {
	struct fixture *f = *state;
	char expected[512];
	// a device would be read for ever
	reset_opts(f);
	assert_int_equal(
			parse(f, "--disable-ticketing", "--config", "/dev/zero", NULL), SWL_OPTIONS_ERROR);
	assert_string_equal(
			f->err, "spice-wl: cannot read config file '/dev/zero': not a regular file\n");

	// at most 1 MiB of a file: a line of comment repeated past it
	const size_t limit = 1024 * 1024;
	char *text = malloc(limit + 1);
	assert_non_null(text);
	for (size_t i = 0; i < limit + 1; i++) {
		text[i] = i % 64 == 63 ? '\n' : '#';
	}
	memcpy(text, "size=640x480\n", 13);
	write_bytes(f->other_conf, text, limit);
	reset_opts(f);
	assert_int_equal(
			parse(f, "--disable-ticketing", "--config", f->other_conf, NULL), SWL_OPTIONS_OK);
	assert_int_equal(f->opts.width, 640);
	write_bytes(f->other_conf, text, limit + 1);
	free(text);
	reset_opts(f);
	assert_int_equal(
			parse(f, "--disable-ticketing", "--config", f->other_conf, NULL), SWL_OPTIONS_ERROR);
	snprintf(expected, sizeof(expected),
			"spice-wl: cannot read config file '%s': it is longer than 1048576 bytes\n",
			f->other_conf);
	assert_string_equal(f->err, expected);

	// and of a pipe that never ends (/dev/stdin fed by `yes '#'`)
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		signal(SIGPIPE, SIG_DFL);
		static const char line[] = "# comment\n";
		while (write(fds[1], line, sizeof(line) - 1) > 0) {
		}
		_exit(0);
	}
	assert_int_equal(close(fds[1]), 0);
	char fd_path[32];
	snprintf(fd_path, sizeof(fd_path), "/dev/fd/%d", fds[0]);
	reset_opts(f);
	assert_int_equal(
			parse(f, "--disable-ticketing", "--config", fd_path, NULL), SWL_OPTIONS_ERROR);
	assert_int_equal(close(fds[0]), 0);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	snprintf(expected, sizeof(expected),
			"spice-wl: cannot read config file '%s': it is longer than 1048576 bytes\n", fd_path);
	assert_string_equal(f->err, expected);
}

/* Every option of options_table.h, by name. */
#define NAME_FLAG(field, name, help) name,
#define NAME_INT(field, name, arg, def, min, max, help) name,
#define NAME_SIZE(wfield, hfield, name, def, help) name,
#define NAME_OPT(kind, field, name, arg, def, help) name,
#define NAME_ACT(kind, name, arg, def, help) name,
static const char *const option_names[] = {
	SWL_OPTIONS(NAME_FLAG, NAME_INT, NAME_SIZE, NAME_OPT, NAME_ACT)
};

static char *read_text(const char *path) {
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		fail_msg("cannot read %s", path);
	}
	char *text = calloc(1, 1 << 20);
	assert_non_null(text);
	size_t len = fread(text, 1, (1 << 20) - 1, f);
	assert_true(len > 0 && len < (1 << 20) - 1);
	fclose(f);
	return text;
}

/*
 * The long option names a document lists: on each line starting with marker,
 * the name after the first prefix (a dash spelt as dash), when after follows
 * it. Returns how many were found; names[i] are malloc'd.
 */
static size_t names_in(const char *text, const char *marker, const char *prefix,
		const char *dash, const char *after, char *names[], size_t max) {
	size_t n = 0;
	for (const char *line = text; line != NULL && *line != '\0';) {
		const char *next = strchr(line, '\n');
		const char *at = strstr(line, prefix);
		if (strncmp(line, marker, strlen(marker)) == 0 && at != NULL &&
				(next == NULL || at < next)) {
			at += strlen(prefix);
			char name[64] = "";
			for (size_t len = 0; len < sizeof(name) - 1; len++) {
				if (strncmp(at, dash, strlen(dash)) == 0) {
					name[len] = '-';
					at += strlen(dash);
				} else if ((*at >= 'a' && *at <= 'z') || (*at >= '0' && *at <= '9')) {
					name[len] = *at++;
				} else {
					break;
				}
			}
			if (name[0] != '\0' && strncmp(at, after, strlen(after)) == 0) {
				assert_true(n < max);
				names[n] = strdup(name);
				assert_non_null(names[n++]);
			}
		}
		line = next != NULL ? next + 1 : NULL;
	}
	return n;
}

static bool listed(char *const names[], size_t n, const char *name) {
	for (size_t i = 0; i < n; i++) {
		if (strcmp(names[i], name) == 0) {
			return true;
		}
	}
	return false;
}

static bool is_option(const char *name) {
	for (size_t i = 0; i < ARRAY_LEN(option_names); i++) {
		if (strcmp(option_names[i], name) == 0) {
			return true;
		}
	}
	return false;
}

/*
 * --help, the man page's OPTIONS (an entry per option: ".TP", then the line
 * naming it) and the example config ("# key = default") list exactly the
 * options of options_table.h; the example leaves out those that are no
 * config keys.
 */
static void test_docs_list_every_option(void **state) {
	struct fixture *f = *state;
	assert_int_equal(parse(f, "--help", NULL), SWL_OPTIONS_EXIT_SUCCESS);
	char *man = read_text(SWL_DATA_DIR "/spice-wl.1");
	char *example = read_text(SWL_DATA_DIR "/spice-wl.conf.example");
	char *options_section = strstr(man, "\n.SH OPTIONS\n");
	assert_non_null(options_section);
	char *end = strstr(options_section + 1, "\n.SH ");
	assert_non_null(end);
	*end = '\0';
	// the entry's line follows ".TP"
	for (char *tp = strstr(options_section, "\n.TP\n"); tp != NULL; tp = strstr(tp, "\n.TP\n")) {
		memcpy(tp, "\n.TP ", 5);
	}

	enum { MAX = 128 };
	char *help[MAX], *in_man[MAX], *in_example[MAX];
	size_t n_help = names_in(f->out, "  ", "--", "-", "", help, MAX);
	size_t n_man = names_in(options_section, ".TP ", "\\-\\-", "\\-", "", in_man, MAX);
	size_t n_example = names_in(example, "# ", "# ", "-", " =", in_example, MAX);
	for (size_t i = 0; i < ARRAY_LEN(option_names); i++) {
		const char *name = option_names[i];
		const struct swl_option *opt = swl_option_by_name(name);
		assert_non_null(opt);
		if (!listed(help, n_help, name)) {
			fail_msg("--%s missing from --help", name);
		}
		if (!listed(in_man, n_man, name)) {
			fail_msg("--%s missing from the OPTIONS of data/spice-wl.1", name);
		}
		if (!opt->kind->command_line_only && !listed(in_example, n_example, name)) {
			fail_msg("'# %s = ' missing from data/spice-wl.conf.example", name);
		}
	}
	// and nothing else: no option documented that does not exist
	for (size_t i = 0; i < n_man; i++) {
		if (!is_option(in_man[i])) {
			fail_msg("data/spice-wl.1 documents --%s, which is no option", in_man[i]);
		}
	}
	assert_int_equal(n_help, ARRAY_LEN(option_names));
	for (size_t i = 0; i < n_example; i++) {
		if (!is_option(in_example[i])) {
			fail_msg("data/spice-wl.conf.example sets '%s', which is no option", in_example[i]);
		}
	}
	for (size_t i = 0; i < MAX; i++) {
		free(i < n_help ? help[i] : NULL);
		free(i < n_man ? in_man[i] : NULL);
		free(i < n_example ? in_example[i] : NULL);
	}
	free(man);
	free(example);
}

#define TEST(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void) {
	const struct CMUnitTest tests[] = {
			TEST(test_init_finish),
			TEST(test_defaults),
			TEST(test_all_options),
			TEST(test_web),
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
			TEST(test_max_area),
			TEST(test_kiosk_desktop_exclusive),
			TEST(test_command_after_dashdash),
			TEST(test_command_first_non_option),
			TEST(test_command_is_a_copy),
			TEST(test_help),
			TEST(test_version),
			TEST(test_repeated_parse),
			TEST(test_remote_access_needs_auth),
			TEST(test_sasl),
			TEST(test_config_precedence),
			TEST(test_config_replaces_both),
			TEST(test_config_comments_and_spacing),
			TEST(test_config_booleans),
			TEST(test_config_every_flag),
			TEST(test_config_unknown_key),
			TEST(test_config_bad_value),
			TEST(test_config_missing_file),
			TEST(test_config_password_file),
			TEST(test_password_file_mode),
			TEST(test_password_file_content),
			TEST(test_password_env_too_long),
			TEST(test_config_bounded),
			TEST(test_docs_list_every_option),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
