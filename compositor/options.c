/*
 * Command-line parsing for spice-wl: turns argv (and SPICE_WL_PASSWORD) into a
 * struct swl_options, prints --help and --version, and reports bad input as a
 * single "spice-wl: " line. No wlroots or SPICE here so it can be unit-tested.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "config.h"
#include "options.h"

#define DEFAULT_LISTEN "127.0.0.1"
#define DEFAULT_PORT 5900
#define DEFAULT_WIDTH 1280
#define DEFAULT_HEIGHT 800
#define DEFAULT_FPS 30
#define DEFAULT_LOGIN_GRACE_TIME 30
#define MIN_PORT 1
#define MAX_PORT 65535
#define MIN_SIZE 64
#define MAX_SIZE 8192
#define MIN_FPS 1
// --max-area: four 3840x2160 monitors side by side (or one 7680x4320)
#define DEFAULT_MAX_AREA_W 15360
#define DEFAULT_MAX_AREA_H 2160
#define MAX_AREA (16L * MAX_SIZE * MAX_SIZE) // 16 heads of the largest size
#define MAX_FPS 120
#define PASSWORD_ENV "SPICE_WL_PASSWORD"
/*
 * spice-server keeps the ticket in a SPICE_MAX_PASSWORD_LENGTH (60) byte
 * array with its NUL: it refuses 61 bytes, and silently cuts 60 to 59, which
 * then no client can match.
 */
#define MAX_PASSWORD_BYTES 59
/* What is read of a password file or a config file, at most. */
#define MAX_PASSWORD_FILE_BYTES 4096
#define MAX_CONFIG_BYTES (1024 * 1024)
#define DEFAULT_SASL_APPNAME "spice-wl"
#define SASL_APPNAME_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-"
#define SYSCONFDIR_ENV "SPICE_WL_SYSCONFDIR"
#define DEFAULT_SYSCONFDIR "/etc"
#define CONFIG_NAME "spice-wl/spice-wl.conf" // under the sysconf and XDG config dirs
#define MAX_CONFIG_VERBOSE 2
#define DEFAULT_REPEAT_RATE 25
#define DEFAULT_REPEAT_DELAY 600
#define MAX_REPEAT_RATE 1000
#define MAX_REPEAT_DELAY 10000

#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

enum {
	OPT_LISTEN = 256,
	OPT_PORT,
	OPT_PASSWORD_FILE,
	OPT_DISABLE_TICKETING,
	OPT_SIZE,
	OPT_SCALE,
	OPT_FRAME_MODE,
	OPT_FPS,
	OPT_KIOSK,
	OPT_DESKTOP,
	OPT_KEEP_RUNNING,
	OPT_IMAGE_COMPRESSION,
	OPT_JPEG_WAN_COMPRESSION,
	OPT_ZLIB_GLZ_WAN_COMPRESSION,
	OPT_STREAMING_VIDEO,
	OPT_VIDEO_CODECS,
	OPT_KEYBOARD_LAYOUT,
	OPT_KEYBOARD_MODEL,
	OPT_KEYBOARD_VARIANT,
	OPT_KEYBOARD_OPTIONS,
	OPT_REPEAT_RATE,
	OPT_REPEAT_DELAY,
	OPT_HIDE_CURSOR,
	OPT_XWAYLAND,
	OPT_NO_RESIZE,
	OPT_MIN_SIZE,
	OPT_MAX_SIZE,
	OPT_NO_CLIPBOARD,
	OPT_NO_FILE_TRANSFER,
	OPT_NO_AUDIO,
	OPT_NO_COPY_BITS,
	OPT_CONFIG,
	OPT_MAX_HEADS,
	OPT_MAX_AREA,
	OPT_PASSWORD_LIFETIME,
	OPT_INSECURE_NO_AUTH,
	OPT_VIEW_ONLY,
	OPT_EXIT_ON_DISCONNECT,
	OPT_TLS_PORT,
	OPT_X509_DIR,
	OPT_X509_CACERT_FILE,
	OPT_X509_CERT_FILE,
	OPT_X509_KEY_FILE,
	OPT_TLS_CIPHERS,
	OPT_TLS_ONLY,
	OPT_HTML5,
	OPT_SASL,
	OPT_SASL_APPNAME,
	OPT_LISTEN_MODE,
	OPT_EXEMPT_LOOPBACK,
	OPT_LOGIN_GRACE_TIME,
	OPT_WEB,
};

// One entry per option: what getopt_long needs plus what --help prints.
struct option_doc {
	const char *name;
	int has_arg;
	int val; // a short option character, or an OPT_* value for long-only
	const char *arg; // placeholder shown in --help, NULL if no argument
	const char *help;
	const char *default_value; // NULL if there is nothing to show
};

static const struct option_doc option_docs[] = {
	{ "listen", required_argument, OPT_LISTEN, "ADDR", "network address to listen on",
			DEFAULT_LISTEN },
	{ "listen-mode", required_argument, OPT_LISTEN_MODE, "OCTAL",
			"permissions of a unix:PATH socket, e.g. 0660", "0600" },
	{ "port", required_argument, OPT_PORT, "N",
			"TCP port to listen on, " STRINGIFY(MIN_PORT) ".." STRINGIFY(MAX_PORT),
			STRINGIFY(DEFAULT_PORT) },
	{ "password-file", required_argument, OPT_PASSWORD_FILE, "FILE",
			"password from FILE's first line", "$" PASSWORD_ENV },
	{ "disable-ticketing", no_argument, OPT_DISABLE_TICKETING, NULL,
			"let clients connect without a password", "off" },
	{ "password-lifetime", required_argument, OPT_PASSWORD_LIFETIME, "SECONDS",
			"the password expires this long after start, 0 never", "0" },
	{ "sasl", no_argument, OPT_SASL, NULL, "authenticate with SASL instead of a password", "off" },
	{ "sasl-appname", required_argument, OPT_SASL_APPNAME, "NAME",
			"SASL's config file, /etc/sasl2/NAME.conf", DEFAULT_SASL_APPNAME },
	{ "exempt-loopback", no_argument, OPT_EXEMPT_LOOPBACK, NULL,
			"no penalty for failed logins from loopback", "off" },
	{ "login-grace-time", required_argument, OPT_LOGIN_GRACE_TIME, "SECONDS",
			"close connections not logged in by then, 1..600",
			STRINGIFY(DEFAULT_LOGIN_GRACE_TIME) },
	{ "insecure-no-auth", no_argument, OPT_INSECURE_NO_AUTH, NULL,
			"allow --disable-ticketing beyond loopback", "off" },
	{ "view-only", no_argument, OPT_VIEW_ONLY, NULL, "ignore input and clipboard from clients",
			"off" },
	{ "exit-on-disconnect", no_argument, OPT_EXIT_ON_DISCONNECT, NULL,
			"end the session when the client disconnects", "off" },
	{ "tls-port", required_argument, OPT_TLS_PORT, "N", "TLS port, 1..65535", "none" },
	{ "x509-dir", required_argument, OPT_X509_DIR, "DIR",
			"cacert.pem, server-cert.pem, server-key.pem for TLS", NULL },
	{ "x509-cacert-file", required_argument, OPT_X509_CACERT_FILE, "FILE",
			"CA certificate for TLS", "DIR/cacert.pem" },
	{ "x509-cert-file", required_argument, OPT_X509_CERT_FILE, "FILE",
			"server certificate for TLS", "DIR/server-cert.pem" },
	{ "x509-key-file", required_argument, OPT_X509_KEY_FILE, "FILE", "server key for TLS",
			"DIR/server-key.pem" },
	{ "tls-ciphers", required_argument, OPT_TLS_CIPHERS, "LIST", "OpenSSL cipher list",
			"forward-secret AEAD" },
	{ "tls-only", no_argument, OPT_TLS_ONLY, NULL, "no plain port: TLS connections only", "off" },
	{ "html5", no_argument, OPT_HTML5, NULL, "use encoders spice-html5 decodes (auto_lz)", "off" },
	{ "web", required_argument, OPT_WEB, "[ADDR:]PORT",
			"serve spice-html5 (HTTPS with --tls-port)", "off" },
	{ "size", required_argument, OPT_SIZE, "WxH",
			"screen size, each side " STRINGIFY(MIN_SIZE) ".." STRINGIFY(MAX_SIZE),
			STRINGIFY(DEFAULT_WIDTH) "x" STRINGIFY(DEFAULT_HEIGHT) },
	{ "scale", required_argument, OPT_SCALE, "S",
			"output scale, 1 to 4 in steps of 0.25", "1" },
	{ "frame-mode", required_argument, OPT_FRAME_MODE, "MODE",
			"frame pacing: auto, dfps or per-op", "auto" },
	{ "fps", required_argument, OPT_FPS, "N",
			"frames per second in dfps and auto mode, " STRINGIFY(MIN_FPS) ".." STRINGIFY(MAX_FPS),
			STRINGIFY(DEFAULT_FPS) },
	{ "kiosk", no_argument, OPT_KIOSK, NULL, "use the kiosk window policy",
			"if COMMAND is given" },
	{ "desktop", no_argument, OPT_DESKTOP, NULL, "use the desktop window policy",
			"if no COMMAND" },
	{ "keep-running", no_argument, OPT_KEEP_RUNNING, NULL, "keep running after COMMAND exits",
			"off" },
	{ "image-compression", required_argument, OPT_IMAGE_COMPRESSION, "MODE",
			"off|auto_glz|auto_lz|quic|glz|lz|lz4", "spice-server's" },
	{ "jpeg-wan-compression", required_argument, OPT_JPEG_WAN_COMPRESSION, "MODE",
			"auto|never|always", "spice-server's" },
	{ "zlib-glz-wan-compression", required_argument, OPT_ZLIB_GLZ_WAN_COMPRESSION, "MODE",
			"auto|never|always", "always" },
	{ "streaming-video", required_argument, OPT_STREAMING_VIDEO, "MODE", "off|all|filter",
			"spice-server's" },
	{ "video-codecs", required_argument, OPT_VIDEO_CODECS, "LIST",
			"ENCODER:CODEC;... e.g. gstreamer:vp8", "spice-server's" },
	{ "keyboard-layout", required_argument, OPT_KEYBOARD_LAYOUT, "LAYOUT",
			"XKB layout(s), e.g. de", "$XKB_DEFAULT_LAYOUT, us" },
	{ "keyboard-model", required_argument, OPT_KEYBOARD_MODEL, "MODEL", "XKB model",
			"$XKB_DEFAULT_MODEL, pc105" },
	{ "keyboard-variant", required_argument, OPT_KEYBOARD_VARIANT, "VARIANT",
			"XKB variant(s), e.g. nodeadkeys", "$XKB_DEFAULT_VARIANT" },
	{ "keyboard-options", required_argument, OPT_KEYBOARD_OPTIONS, "OPTIONS",
			"XKB options, e.g. ctrl:nocaps", "$XKB_DEFAULT_OPTIONS" },
	{ "repeat-rate", required_argument, OPT_REPEAT_RATE, "N",
			"key repeats per second, 0 disables, up to " STRINGIFY(MAX_REPEAT_RATE),
			STRINGIFY(DEFAULT_REPEAT_RATE) },
	{ "repeat-delay", required_argument, OPT_REPEAT_DELAY, "MS",
			"delay before a held key repeats, up to " STRINGIFY(MAX_REPEAT_DELAY),
			STRINGIFY(DEFAULT_REPEAT_DELAY) },
	{ "hide-cursor", no_argument, OPT_HIDE_CURSOR, NULL, "show no pointer on the client (kiosks)",
			"off" },
	{ "xwayland", required_argument, OPT_XWAYLAND, "MODE",
			"Xwayland: lazy (start on first use), on or off", "lazy" },
	{ "no-resize", no_argument, OPT_NO_RESIZE, NULL,
			"keep --size when the client window is resized", "off" },
	{ "min-size", required_argument, OPT_MIN_SIZE, "WxH", "smallest size a client may ask for",
			"320x200" },
	{ "max-size", required_argument, OPT_MAX_SIZE, "WxH", "largest size a client may ask for",
			"4096x4096" },
	{ "max-heads", required_argument, OPT_MAX_HEADS, "N",
			"client monitors shown as outputs, 1..16", "4" },
	{ "max-area", required_argument, OPT_MAX_AREA, "PIXELS",
			"most pixels of all client monitors",
			STRINGIFY(DEFAULT_MAX_AREA_W) "x" STRINGIFY(DEFAULT_MAX_AREA_H) },
	{ "no-clipboard", no_argument, OPT_NO_CLIPBOARD, NULL,
			"no clipboard sharing with the client (kiosks)", "off" },
	{ "no-file-transfer", no_argument, OPT_NO_FILE_TRANSFER, NULL,
			"refuse files the client sends", "off" },
	{ "no-audio", no_argument, OPT_NO_AUDIO, NULL, "no sound to or from the client", "off" },
	{ "no-copy-bits", no_argument, OPT_NO_COPY_BITS, NULL,
			"send moved and scrolled content as images", "off" },
	{ "config", required_argument, OPT_CONFIG, "FILE",
			"read options from FILE instead of the config files (below)", NULL },
	{ "verbose", no_argument, 'v', NULL, "also log debug messages", "off" },
	{ "help", no_argument, 'h', NULL, "show this help and exit", NULL },
	{ "version", no_argument, 'V', NULL, "show the version and exit", NULL },
};

// '+': stop at the first non-option (COMMAND); ':': report missing arguments as ':'
static const char short_options[] = "+:hvV";

static const char *const image_compressions[] = { "off", "auto_glz", "auto_lz", "quic", "glz",
	"lz", "lz4", NULL };
static const char *const wan_compressions[] = { "auto", "never", "always", NULL };
static const char *const streaming_videos[] = { "off", "all", "filter", NULL };
static const char *const frame_modes[] = { "auto", "dfps", "per-op", NULL };
static const enum swl_frame_mode frame_mode_values[] = { SWL_FRAME_MODE_AUTO, SWL_FRAME_MODE_DFPS,
	SWL_FRAME_MODE_PER_OP };
static const char *const xwayland_modes[] = { "lazy", "on", "off", NULL };
static const char *const video_encoders[] = { "spice", "gstreamer", NULL };
static const char *const video_codec_names[] = { "mjpeg", "vp8", "vp9", "h264", "h265", NULL };

/*
 * Prints "spice-wl: <message>\n" to err. Control characters (which could
 * only come from user-supplied values) are replaced so that the message is
 * always exactly one line.
 */
static void fail(FILE *err, const char *fmt, ...) {
	va_list args;
	va_start(args, fmt);
	va_list copy;
	va_copy(copy, args);
	int len = vsnprintf(NULL, 0, fmt, copy);
	va_end(copy);

	char *msg = len >= 0 ? malloc((size_t)len + 1) : NULL;
	if (msg == NULL) {
		va_end(args);
		fputs("spice-wl: out of memory\n", err);
		return;
	}
	vsnprintf(msg, (size_t)len + 1, fmt, args);
	va_end(args);

	for (char *p = msg; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;
		if (c < 0x20 || c == 0x7f) {
			*p = '?';
		}
	}
	fprintf(err, "spice-wl: %s\n", msg);
	free(msg);
}

static void wipe_and_free(char *secret) {
	if (secret == NULL) {
		return;
	}
	for (volatile char *p = secret; *p != '\0'; p++) {
		*p = '\0';
	}
	free(secret);
}

static bool set_string(char **dst, const char *value, FILE *err) {
	char *copy = strdup(value);
	if (copy == NULL) {
		fail(err, "out of memory");
		return false;
	}
	free(*dst);
	*dst = copy;
	return true;
}

static const struct option_doc *find_doc(int val) {
	for (size_t i = 0; i < ARRAY_LEN(option_docs); i++) {
		if (option_docs[i].val == val) {
			return &option_docs[i];
		}
	}
	return NULL;
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

static bool parse_int_option(
		const char *name, const char *value, int min, int max, int *out, FILE *err) {
	char *end;
	long parsed;
	if (!parse_long(value, &end, min, max, &parsed) || *end != '\0') {
		fail(err, "invalid value '%s' for --%s: expected an integer in %d..%d", value, name, min,
				max);
		return false;
	}
	*out = (int)parsed;
	return true;
}

static bool parse_size(const char *name, const char *value, int *width, int *height, FILE *err) {
	char *end;
	long w, h;
	if (!parse_long(value, &end, MIN_SIZE, MAX_SIZE, &w) || *end != 'x' ||
			!parse_long(end + 1, &end, MIN_SIZE, MAX_SIZE, &h) || *end != '\0') {
		fail(err,
				"invalid value '%s' for --%s: expected WIDTHxHEIGHT, "
				"each in %d..%d",
				value, name, MIN_SIZE, MAX_SIZE);
		return false;
	}
	*width = (int)w;
	*height = (int)h;
	return true;
}

/* An output scale: 1, 1.5, 2.25...: 1..4 in quarters, so surfaces scale by whole pixels often. */
static bool parse_scale(const char *name, const char *value, double *scale, FILE *err) {
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
		fail(err, "invalid value '%s' for --%s: expected 1 to 4 in steps of 0.25", value, name);
		return false;
	}
	*scale = (double)whole + (double)quarters / 4.0;
	return true;
}

/* A pixel count, as N or WxH (their product). */
static bool parse_area(const char *name, const char *value, long long *area, FILE *err) {
	char *end;
	long a, h = 1;
	long min = (long)MIN_SIZE * MIN_SIZE;
	bool ok = parse_long(value, &end, 1, MAX_AREA, &a);
	if (ok && *end == 'x') {
		ok = parse_long(end + 1, &end, 1, MAX_AREA, &h) && a <= MAX_AREA / h;
	}
	if (!ok || *end != '\0' || a * h < min || a * h > MAX_AREA) {
		fail(err, "invalid value '%s' for --%s: expected a number of pixels N or WIDTHxHEIGHT, "
				"in %ld..%ld pixels", value, name, min, MAX_AREA);
		return false;
	}
	*area = a * h;
	return true;
}

static int find_choice_n(const char *s, size_t len, const char *const choices[]) {
	for (int i = 0; choices[i] != NULL; i++) {
		if (strlen(choices[i]) == len && strncmp(choices[i], s, len) == 0) {
			return i;
		}
	}
	return -1;
}

/* Writes "a, b or c" into buf. */
static void join_choices(char *buf, size_t size, const char *const choices[]) {
	size_t used = 0;
	buf[0] = '\0';
	for (int i = 0; choices[i] != NULL && used < size; i++) {
		const char *sep = i == 0 ? "" : choices[i + 1] == NULL ? " or " : ", ";
		int n = snprintf(buf + used, size - used, "%s%s", sep, choices[i]);
		if (n < 0) {
			break;
		}
		used += (size_t)n;
	}
}

static bool parse_choice(
		const char *name, const char *value, const char *const choices[], int *index, FILE *err) {
	int i = find_choice_n(value, strlen(value), choices);
	if (i < 0) {
		char expected[128];
		join_choices(expected, sizeof(expected), choices);
		fail(err, "invalid value '%s' for --%s: expected %s", value, name, expected);
		return false;
	}
	if (index != NULL) {
		*index = i;
	}
	return true;
}

static bool parse_choice_string(
		const char *name, const char *value, const char *const choices[], char **dst, FILE *err) {
	return parse_choice(name, value, choices, NULL, err) && set_string(dst, value, err);
}

/* Validates "encoder:codec[;encoder:codec...]" as spice-server expects it. */
static bool parse_video_codecs(const char *value, char **dst, FILE *err) {
	const char *entry = value;
	while (true) {
		const char *semicolon = strchr(entry, ';');
		size_t len = semicolon != NULL ? (size_t)(semicolon - entry) : strlen(entry);
		const char *colon = memchr(entry, ':', len);
		char expected[128];
		if (colon == NULL) {
			fail(err,
					"invalid value '%s' for --video-codecs: entry '%.*s' is not "
					"ENCODER:CODEC",
					value, (int)len, entry);
			return false;
		}
		size_t encoder_len = (size_t)(colon - entry);
		if (find_choice_n(entry, encoder_len, video_encoders) < 0) {
			join_choices(expected, sizeof(expected), video_encoders);
			fail(err,
					"invalid value '%s' for --video-codecs: unknown encoder '%.*s' "
					"(expected %s)",
					value, (int)encoder_len, entry, expected);
			return false;
		}
		const char *codec = colon + 1;
		size_t codec_len = len - encoder_len - 1;
		if (find_choice_n(codec, codec_len, video_codec_names) < 0) {
			join_choices(expected, sizeof(expected), video_codec_names);
			fail(err,
					"invalid value '%s' for --video-codecs: unknown codec '%.*s' "
					"(expected %s)",
					value, (int)codec_len, codec, expected);
			return false;
		}
		if (semicolon == NULL) {
			break;
		}
		entry = semicolon + 1;
	}
	return set_string(dst, value, err);
}

static bool set_policy(struct swl_options *opts, enum swl_window_policy policy, FILE *err) {
	if (opts->policy != SWL_POLICY_DEFAULT && opts->policy != policy) {
		fail(err, "--kiosk and --desktop are mutually exclusive");
		return false;
	}
	opts->policy = policy;
	return true;
}

/*
 * Opens path to read settings or a secret from: a regular file or a pipe
 * (`<(...)`, /dev/stdin), not a directory nor a device such as /dev/zero.
 * Returns the fd, or -1 with errno set and, when errno is 0, *reason.
 */
static int open_input(const char *path, struct stat *st, const char **reason) {
	*reason = NULL;
	// Non-blocking so that opening a FIFO nobody writes does not hang; the
	// reads that follow are made blocking again.
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		return -1;
	}
	int flags = fcntl(fd, F_GETFL);
	if (fstat(fd, st) != 0 || flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0) {
		int saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	if (S_ISDIR(st->st_mode)) {
		close(fd);
		errno = EISDIR;
		return -1;
	}
	if (!S_ISREG(st->st_mode) && !S_ISFIFO(st->st_mode)) {
		close(fd);
		errno = 0;
		*reason = "not a regular file";
		return -1;
	}
	return fd;
}

/*
 * Reads fd into buf until end-of-file or cap bytes; returns the byte count,
 * or -1 with errno set. cap bytes read means the file may be longer.
 */
static ssize_t read_bounded(int fd, char *buf, size_t cap) {
	size_t len = 0;
	while (len < cap) {
		ssize_t n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0) {
			return -1;
		}
		if (n == 0) {
			break;
		}
		len += (size_t)n;
	}
	return (ssize_t)len;
}

static void wipe(char *buf, size_t len) {
	for (volatile char *p = buf; p < buf + len; p++) {
		*p = '\0';
	}
}

/*
 * A password file must be private, as ssh wants a private key: no access for
 * others, and none for the group unless it is root's group (systemd's
 * credentials are root's, mode 0440 once an ACL lets the service user read
 * them). It must be ours or root's: another user could change it.
 */
static bool password_file_private(const char *path, const struct stat *st, FILE *err) {
	if (st->st_uid != geteuid() && st->st_uid != 0) {
		fail(err, "--password-file '%s' belongs to uid %u: it must be yours or root's", path,
				(unsigned)st->st_uid);
		return false;
	}
	if ((st->st_mode & 007) != 0 || ((st->st_mode & 070) != 0 && st->st_gid != 0)) {
		fail(err, "--password-file '%s' has mode %04o: other users can read it (chmod 600 '%s')",
				path, (unsigned)(st->st_mode & 07777), path);
		return false;
	}
	return true;
}

/* Whether a password of len bytes fits spice-server's limit; what, path say where from. */
static bool password_fits(const char *what, const char *path, size_t len, FILE *err) {
	if (len > MAX_PASSWORD_BYTES) {
		fail(err, "%s%s%s%s: the password is %zu bytes long; SPICE allows at most %d", what,
				path != NULL ? " '" : "", path != NULL ? path : "", path != NULL ? "'" : "", len,
				MAX_PASSWORD_BYTES);
		return false;
	}
	return true;
}

/*
 * Reads the first line of path, without its line ending, into *password.
 * Read with read(2) into a buffer that is wiped, so no copy is left behind.
 */
static bool read_password_file(const char *path, char **password, FILE *err) {
	struct stat st;
	const char *reason;
	int fd = open_input(path, &st, &reason);
	if (fd < 0) {
		fail(err, "cannot read --password-file '%s': %s", path,
				reason != NULL ? reason : strerror(errno));
		return false;
	}
	if (!password_file_private(path, &st, err)) {
		close(fd);
		return false;
	}
	char buf[MAX_PASSWORD_FILE_BYTES + 1];
	ssize_t n = read_bounded(fd, buf, sizeof(buf));
	int read_errno = errno;
	close(fd);

	bool ok = false;
	if (n < 0) {
		fail(err, "cannot read --password-file '%s': %s", path, strerror(read_errno));
		n = 0;
	} else if (n == 0) {
		fail(err, "cannot read --password-file '%s': file is empty", path);
	} else if ((size_t)n > MAX_PASSWORD_FILE_BYTES) {
		fail(err, "cannot read --password-file '%s': it is longer than %d bytes", path,
				MAX_PASSWORD_FILE_BYTES);
	} else if (memchr(buf, '\0', (size_t)n) != NULL) {
		fail(err, "cannot read --password-file '%s': it contains a NUL byte", path);
	} else {
		char *nl = memchr(buf, '\n', (size_t)n);
		size_t len = nl != NULL ? (size_t)(nl - buf) : (size_t)n;
		while (len > 0 && buf[len - 1] == '\r') {
			len--;
		}
		if (len == 0) {
			fail(err, "cannot read --password-file '%s': first line is empty", path);
		} else if (password_fits("--password-file", path, len, err)) {
			char *line = malloc(len + 1);
			if (line == NULL) {
				fail(err, "out of memory");
			} else {
				memcpy(line, buf, len);
				line[len] = '\0';
				wipe_and_free(*password);
				*password = line;
				ok = true;
			}
		}
	}
	wipe(buf, (size_t)n);
	return ok;
}

/*
 * TLS needs a port and the three files (from --x509-dir unless given one by
 * one); they must be readable now, so a typo fails at start with its name.
 */
static bool finish_tls(struct swl_options *opts, FILE *err) {
	bool any = opts->x509_dir != NULL || opts->x509_cacert_file != NULL ||
			opts->x509_cert_file != NULL || opts->x509_key_file != NULL ||
			opts->tls_ciphers != NULL || opts->tls_only;
	if (opts->tls_port == 0) {
		if (any) {
			fail(err, "TLS options need --tls-port");
			return false;
		}
		return true;
	}
	struct {
		char **file;
		const char *name, *option;
	} files[] = {
		{ &opts->x509_cacert_file, "cacert.pem", "x509-cacert-file" },
		{ &opts->x509_cert_file, "server-cert.pem", "x509-cert-file" },
		{ &opts->x509_key_file, "server-key.pem", "x509-key-file" },
	};
	for (size_t i = 0; i < ARRAY_LEN(files); i++) {
		if (*files[i].file == NULL) {
			if (opts->x509_dir == NULL) {
				fail(err, "--tls-port needs --x509-dir or --%s", files[i].option);
				return false;
			}
			size_t len = strlen(opts->x509_dir) + strlen(files[i].name) + 2;
			*files[i].file = malloc(len);
			if (*files[i].file == NULL) {
				fail(err, "out of memory");
				return false;
			}
			snprintf(*files[i].file, len, "%s/%s", opts->x509_dir, files[i].name);
		}
		FILE *f = fopen(*files[i].file, "r");
		if (f == NULL) {
			fail(err, "cannot read %s '%s': %s",
					files[i].file == &opts->x509_key_file ? "TLS key" : "TLS certificate",
					*files[i].file, strerror(errno));
			return false;
		}
		fclose(f);
	}
	if (opts->tls_only && opts->tls_port == opts->port) {
		return true;
	}
	if (!opts->tls_only && opts->tls_port == opts->port) {
		fail(err, "--tls-port %d is also the plain --port", opts->tls_port);
		return false;
	}
	return true;
}

/*
 * SASL replaces the ticket: spice-server then refuses the password to
 * clients that can choose, so a password or no authentication at all would
 * only mislead.
 */
static bool finish_sasl(struct swl_options *opts, FILE *err) {
	if (!opts->sasl) {
		if (opts->sasl_appname != NULL) {
			fail(err, "--sasl-appname needs --sasl");
			return false;
		}
		return true;
	}
	if (opts->disable_ticketing) {
		fail(err, "--sasl and --disable-ticketing exclude each other");
		return false;
	}
	if (opts->password_file != NULL) {
		fail(err, "--sasl and --password-file exclude each other: SASL replaces the password");
		return false;
	}
	if (opts->password_lifetime != 0) {
		fail(err, "--password-lifetime needs a password, not --sasl");
		return false;
	}
	return opts->sasl_appname != NULL ||
			set_string(&opts->sasl_appname, DEFAULT_SASL_APPNAME, err);
}

/* Loopback addresses and unix sockets: reachable only from this machine. */
static bool is_local_address(const char *addr) {
	return strncmp(addr, "unix:", 5) == 0 || strncmp(addr, "127.", 4) == 0 ||
			strcmp(addr, "::1") == 0 || strcmp(addr, "localhost") == 0;
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

static bool copy_command(struct swl_options *opts, int argc, char *argv[], FILE *err) {
	char **command = calloc((size_t)argc + 1, sizeof(*command));
	if (command == NULL) {
		fail(err, "out of memory");
		return false;
	}
	for (int i = 0; i < argc; i++) {
		command[i] = strdup(argv[i]);
		if (command[i] == NULL) {
			for (int j = 0; j < i; j++) {
				free(command[j]);
			}
			free(command);
			fail(err, "out of memory");
			return false;
		}
	}
	free_command(opts);
	opts->command = command;
	opts->command_argc = argc;
	return true;
}

static const char help_header[] =
		"Usage: spice-wl [options] [-- COMMAND [ARG...]]\n"
		"\n"
		"A Wayland compositor whose output is served over SPICE. If COMMAND is\n"
		"given it is started as a Wayland client of the compositor.\n"
		"\n"
		"Options:\n";

static void print_help(FILE *out) {
	char left[ARRAY_LEN(option_docs)][64];
	int width = 0;
	for (size_t i = 0; i < ARRAY_LEN(option_docs); i++) {
		const struct option_doc *doc = &option_docs[i];
		char short_name[8] = "";
		if (doc->val < 256) {
			snprintf(short_name, sizeof(short_name), "-%c, ", doc->val);
		}
		int n = snprintf(left[i], sizeof(left[i]), "%s--%s%s%s", short_name, doc->name,
				doc->arg != NULL ? " " : "", doc->arg != NULL ? doc->arg : "");
		if (n > width) {
			width = n;
		}
	}

	fputs(help_header, out);
	for (size_t i = 0; i < ARRAY_LEN(option_docs); i++) {
		const struct option_doc *doc = &option_docs[i];
		fprintf(out, "  %-*s  %s", width, left[i], doc->help);
		if (doc->default_value != NULL) {
			fprintf(out, " (default: %s)", doc->default_value);
		}
		fputc('\n', out);
	}

	char encoders[64], codecs[64];
	join_choices(encoders, sizeof(encoders), video_encoders);
	join_choices(codecs, sizeof(codecs), video_codec_names);
	fprintf(out,
			"\n"
			"For --video-codecs, ENCODER is %s\n"
			"and CODEC is %s.\n"
			"The password is never taken on the command line: use --password-file or\n"
			"the " PASSWORD_ENV " environment variable (--password-file wins). Without\n"
			"either, --sasl or --disable-ticketing is required.\n"
			"\n"
			"Options are also read, as 'key = value' lines with the long option names,\n"
			"from " DEFAULT_SYSCONFDIR "/" CONFIG_NAME " ($" SYSCONFDIR_ENV
			" replaces " DEFAULT_SYSCONFDIR ")\n"
			"and then $XDG_CONFIG_HOME/" CONFIG_NAME "; the command line wins.\n",
			encoders, codecs);
}

static void fail_unknown_long(const char *arg, FILE *err) {
	const char *name = strncmp(arg, "--", 2) == 0 ? arg + 2 : arg;
	// never echo what follows '=': it might be a secret typed in the wrong place
	fail(err, "unknown option '--%.*s' (see --help)", (int)strcspn(name, "="), name);
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
static bool check_long_option(
		const struct option_doc *doc, int argc, char *argv[], const char *arg, FILE *err) {
	int i = optind - 1;
	if (doc->has_arg != no_argument && i >= 2 && i < argc && arg == argv[i]) {
		i--; // "--name VALUE": the value was a separate element
	}
	if (i < 1 || i >= argc || is_exact_long_name(argv[i], doc->name)) {
		return true;
	}
	fail_unknown_long(argv[i], err);
	return false;
}

/* Reports an option getopt_long rejected ('?' or ':') as one line. */
static void fail_bad_option(int c, char *argv[], FILE *err) {
	// getopt_long has stepped past the offending long option, if any
	const char *element = argv[optind - 1];
	const struct option_doc *doc = optopt != 0 ? find_doc(optopt) : NULL;
	if (doc != NULL && !is_exact_long_name(element, doc->name)) {
		fail_unknown_long(element, err);
	} else if (doc != NULL && c == ':') {
		fail(err, "option '--%s' requires an argument (see --help)", doc->name);
	} else if (doc != NULL) {
		// a known option was given an argument it does not take ("--kiosk=1")
		fail(err, "option '--%s' does not take an argument (see --help)", doc->name);
	} else if (optopt != 0) {
		fail(err, "unknown option '-%c' (see --help)", optopt);
	} else {
		fail_unknown_long(element, err);
	}
}

/* An octal permission mode for the unix socket: owner read-write at least. */
static bool parse_mode(const char *arg, unsigned *mode, FILE *err) {
	char *end;
	errno = 0;
	unsigned long value = strtoul(arg, &end, 8);
	if (arg[0] < '0' || arg[0] > '7' || *end != '\0' || errno != 0 || value > 0777 ||
			(value & 0600) != 0600) {
		fail(err, "invalid value '%s' for --listen-mode: expected an octal mode such as 0600 "
				"or 0660 (owner read and write)", arg);
		return false;
	}
	*mode = (unsigned)value;
	return true;
}

/* --web [ADDR:]PORT, ADDR an IPv6 address in brackets: "[::1]:8080". */
static bool parse_web(const char *arg, struct swl_options *opts, FILE *err) {
	const char *port = arg;
	char *addr = NULL;
	const char *colon = strrchr(arg, ':');
	bool bracketed = arg[0] == '[';
	if (colon != NULL) {
		const char *start = bracketed ? arg + 1 : arg;
		const char *end = bracketed ? colon - 1 : colon;
		bool ok = end > start && (bracketed ? *end == ']' : memchr(start, ':', (size_t)(end -
				start)) == NULL);
		if (ok) {
			addr = strndup(start, (size_t)(end - start));
			if (addr == NULL) {
				fail(err, "out of memory");
				return false;
			}
		}
		port = colon + 1;
		if (!ok || strpbrk(addr, "[]/ ") != NULL) {
			free(addr);
			fail(err, "invalid value '%s' for --web: expected [ADDR:]PORT ([ADDR]:PORT for "
					"IPv6)", arg);
			return false;
		}
	} else if (bracketed) {
		fail(err, "invalid value '%s' for --web: expected [ADDR:]PORT ([ADDR]:PORT for IPv6)",
				arg);
		return false;
	}
	int value;
	if (!parse_int_option("web", port, MIN_PORT, MAX_PORT, &value, err)) {
		free(addr);
		return false;
	}
	free(opts->web_addr);
	opts->web_addr = addr;
	opts->web_port = value;
	return true;
}

/* --web against the other options; fills web_addr from --listen. */
static bool finish_web(struct swl_options *opts, FILE *err) {
	if (opts->web_port == 0) {
		return true;
	}
	if (strncmp(opts->listen, "unix:", 5) == 0) {
		fail(err, "--web needs a TCP --listen address: the browser connects to the SPICE port");
		return false;
	}
	if (opts->sasl) {
		fail(err, "--web cannot be used with --sasl: spice-html5 has no SASL login");
		return false;
	}
	if (opts->web_port == opts->port || opts->web_port == opts->tls_port) {
		fail(err, "--web port %d is also a SPICE port", opts->web_port);
		return false;
	}
	if (opts->web_addr == NULL && !set_string(&opts->web_addr, opts->listen, err)) {
		return false;
	}
	// The page hands out the way in: the same rule as for --listen.
	if (opts->password == NULL && opts->disable_ticketing && !opts->insecure_no_auth &&
			!is_local_address(opts->web_addr)) {
		fail(err,
				"refusing unauthenticated access on --web %s: use a password, or "
				"--insecure-no-auth if you really mean it",
				opts->web_addr);
		return false;
	}
	return true;
}

static bool apply_option(struct swl_options *opts, int c, const char *arg, FILE *err) {
	const struct option_doc *doc = find_doc(c);
	const char *name = doc != NULL ? doc->name : "?";
	int index;

	switch (c) {
	case 'v':
		opts->verbose++;
		return true;
	case OPT_LISTEN:
		if (arg[0] == '\0' || strcmp(arg, "unix:") == 0) {
			fail(err, "invalid value '%s' for --listen: expected an address or unix:PATH", arg);
			return false;
		}
		return set_string(&opts->listen, arg, err);
	case OPT_PORT:
		return parse_int_option(name, arg, MIN_PORT, MAX_PORT, &opts->port, err);
	case OPT_LISTEN_MODE:
		return parse_mode(arg, &opts->listen_mode, err);
	case OPT_EXEMPT_LOOPBACK:
		opts->exempt_loopback = true;
		return true;
	case OPT_LOGIN_GRACE_TIME:
		return parse_int_option(name, arg, 1, 600, &opts->login_grace_time, err);
	case OPT_PASSWORD_FILE:
		if (arg[0] == '\0') {
			fail(err, "invalid value '' for --password-file: expected a file name");
			return false;
		}
		return set_string(&opts->password_file, arg, err);
	case OPT_DISABLE_TICKETING:
		opts->disable_ticketing = true;
		return true;
	case OPT_SIZE:
		return parse_size(name, arg, &opts->width, &opts->height, err);
	case OPT_FRAME_MODE:
		if (!parse_choice(name, arg, frame_modes, &index, err)) {
			return false;
		}
		opts->frame_mode = frame_mode_values[index];
		return true;
	case OPT_FPS:
		return parse_int_option(name, arg, MIN_FPS, MAX_FPS, &opts->fps, err);
	case OPT_KIOSK:
		return set_policy(opts, SWL_POLICY_KIOSK, err);
	case OPT_DESKTOP:
		return set_policy(opts, SWL_POLICY_DESKTOP, err);
	case OPT_KEEP_RUNNING:
		opts->keep_running = true;
		return true;
	case OPT_IMAGE_COMPRESSION:
		return parse_choice_string(name, arg, image_compressions, &opts->image_compression, err);
	case OPT_JPEG_WAN_COMPRESSION:
		return parse_choice_string(name, arg, wan_compressions, &opts->jpeg_wan_compression, err);
	case OPT_ZLIB_GLZ_WAN_COMPRESSION:
		return parse_choice_string(
				name, arg, wan_compressions, &opts->zlib_glz_wan_compression, err);
	case OPT_STREAMING_VIDEO:
		return parse_choice_string(name, arg, streaming_videos, &opts->streaming_video, err);
	case OPT_VIDEO_CODECS:
		return parse_video_codecs(arg, &opts->video_codecs, err);
	case OPT_KEYBOARD_LAYOUT:
		return set_string(&opts->keyboard_layout, arg, err);
	case OPT_KEYBOARD_MODEL:
		return set_string(&opts->keyboard_model, arg, err);
	case OPT_KEYBOARD_VARIANT:
		return set_string(&opts->keyboard_variant, arg, err);
	case OPT_KEYBOARD_OPTIONS:
		return set_string(&opts->keyboard_options, arg, err);
	case OPT_REPEAT_RATE:
		return parse_int_option(name, arg, 0, MAX_REPEAT_RATE, &opts->repeat_rate, err);
	case OPT_REPEAT_DELAY:
		return parse_int_option(name, arg, 0, MAX_REPEAT_DELAY, &opts->repeat_delay, err);
	case OPT_HIDE_CURSOR:
		opts->hide_cursor = true;
		return true;
	case OPT_NO_RESIZE:
		opts->no_resize = true;
		return true;
	case OPT_MIN_SIZE:
		return parse_size(name, arg, &opts->min_width, &opts->min_height, err);
	case OPT_MAX_SIZE:
		return parse_size(name, arg, &opts->max_width, &opts->max_height, err);
	case OPT_NO_CLIPBOARD:
		opts->no_clipboard = true;
		return true;
	case OPT_NO_FILE_TRANSFER:
		opts->no_file_transfer = true;
		return true;
	case OPT_NO_AUDIO:
		opts->no_audio = true;
		return true;
	case OPT_NO_COPY_BITS:
		opts->no_copy_bits = true;
		return true;
	case OPT_CONFIG:
		return true; // read before the other options, see swl_options_parse
	case OPT_PASSWORD_LIFETIME:
		return parse_int_option(name, arg, 0, 10 * 365 * 24 * 3600, &opts->password_lifetime, err);
	case OPT_INSECURE_NO_AUTH:
		opts->insecure_no_auth = true;
		return true;
	case OPT_VIEW_ONLY:
		opts->view_only = true;
		return true;
	case OPT_EXIT_ON_DISCONNECT:
		opts->exit_on_disconnect = true;
		return true;
	case OPT_TLS_PORT:
		return parse_int_option(name, arg, MIN_PORT, MAX_PORT, &opts->tls_port, err);
	case OPT_X509_DIR:
		return set_string(&opts->x509_dir, arg, err);
	case OPT_X509_CACERT_FILE:
		return set_string(&opts->x509_cacert_file, arg, err);
	case OPT_X509_CERT_FILE:
		return set_string(&opts->x509_cert_file, arg, err);
	case OPT_X509_KEY_FILE:
		return set_string(&opts->x509_key_file, arg, err);
	case OPT_TLS_CIPHERS:
		return set_string(&opts->tls_ciphers, arg, err);
	case OPT_TLS_ONLY:
		opts->tls_only = true;
		return true;
	case OPT_HTML5:
		opts->html5 = true;
		return true;
	case OPT_WEB:
		return parse_web(arg, opts, err);
	case OPT_SASL:
		opts->sasl = true;
		return true;
	case OPT_SASL_APPNAME:
		// a file name under SASL's configuration directory
		if (arg[0] == '\0' || arg[0] == '.' || strspn(arg, SASL_APPNAME_CHARS) != strlen(arg)) {
			fail(err,
					"invalid value '%s' for --sasl-appname: expected letters, digits, '.', "
					"'_' and '-', not starting with '.'",
					arg);
			return false;
		}
		return set_string(&opts->sasl_appname, arg, err);
	case OPT_MAX_HEADS:
		return parse_int_option(name, arg, 1, 16, &opts->max_heads, err);
	case OPT_SCALE:
		return parse_scale(name, arg, &opts->scale, err);
	case OPT_MAX_AREA:
		return parse_area(name, arg, &opts->max_area, err);
	case OPT_XWAYLAND:
		if (!parse_choice(name, arg, xwayland_modes, &index, err)) {
			return false;
		}
		static const enum swl_xwayland_mode modes[] = {
			SWL_XWAYLAND_LAZY,
			SWL_XWAYLAND_ON,
			SWL_XWAYLAND_OFF,
		};
		opts->xwayland = modes[index];
		return true;
	default:
		fail(err, "internal error: unhandled option %d", c);
		return false;
	}
}

/*
 * Config files: "key = value" lines naming long options, applied through
 * apply_option before the command line, which then overrides them.
 */

/*
 * One source of options: a config file or the command line. A later source
 * overrides the window policy of an earlier one, while --kiosk and --desktop
 * still exclude each other within one source.
 */
struct layer {
	enum swl_window_policy inherited;
};

static void begin_layer(struct swl_options *opts, struct layer *layer) {
	layer->inherited = opts->policy;
	opts->policy = SWL_POLICY_DEFAULT;
}

static void end_layer(struct swl_options *opts, const struct layer *layer) {
	if (opts->policy == SWL_POLICY_DEFAULT) {
		opts->policy = layer->inherited;
	}
}

static const char *const true_words[] = { "true", "yes", "on", "1", NULL };
static const char *const false_words[] = { "false", "no", "off", "0", NULL };
static const char *const bool_words[] = { "true", "false", "yes", "no", "on", "off", "1", "0",
	NULL };

static bool parse_bool(const char *name, const char *value, bool *out, FILE *err) {
	if (find_choice_n(value, strlen(value), true_words) >= 0) {
		*out = true;
		return true;
	}
	if (find_choice_n(value, strlen(value), false_words) >= 0) {
		*out = false;
		return true;
	}
	char expected[128];
	join_choices(expected, sizeof(expected), bool_words);
	fail(err, "invalid value '%s' for --%s: expected %s", value, name, expected);
	return false;
}

/* "key = false": the option as if it had not been given, here or earlier. */
static bool clear_flag(struct swl_options *opts, struct layer *layer, int c, FILE *err) {
	switch (c) {
	case OPT_DISABLE_TICKETING:
		opts->disable_ticketing = false;
		return true;
	case OPT_INSECURE_NO_AUTH:
		opts->insecure_no_auth = false;
		return true;
	case OPT_VIEW_ONLY:
		opts->view_only = false;
		return true;
	case OPT_EXEMPT_LOOPBACK:
		opts->exempt_loopback = false;
		return true;
	case OPT_EXIT_ON_DISCONNECT:
		opts->exit_on_disconnect = false;
		return true;
	case OPT_TLS_ONLY:
		opts->tls_only = false;
		return true;
	case OPT_HTML5:
		opts->html5 = false;
		return true;
	case OPT_SASL:
		opts->sasl = false;
		return true;
	case OPT_KEEP_RUNNING:
		opts->keep_running = false;
		return true;
	case OPT_HIDE_CURSOR:
		opts->hide_cursor = false;
		return true;
	case OPT_NO_RESIZE:
		opts->no_resize = false;
		return true;
	case OPT_NO_CLIPBOARD:
		opts->no_clipboard = false;
		return true;
	case OPT_NO_FILE_TRANSFER:
		opts->no_file_transfer = false;
		return true;
	case OPT_NO_AUDIO:
		opts->no_audio = false;
		return true;
	case OPT_NO_COPY_BITS:
		opts->no_copy_bits = false;
		return true;
	case OPT_KIOSK:
	case OPT_DESKTOP: {
		enum swl_window_policy policy = c == OPT_KIOSK ? SWL_POLICY_KIOSK : SWL_POLICY_DESKTOP;
		if (opts->policy == policy) {
			opts->policy = SWL_POLICY_DEFAULT;
		}
		if (layer->inherited == policy) {
			layer->inherited = SWL_POLICY_DEFAULT;
		}
		return true;
	}
	default:
		fail(err, "internal error: option %d cannot be turned off", c);
		return false;
	}
}

/* Applies one config file entry; a flag takes a boolean, verbose a level. */
static bool apply_config_entry(struct swl_options *opts, struct layer *layer,
		const struct option_doc *doc, const char *value, FILE *err) {
	if (doc->val == 'v') {
		return parse_int_option(doc->name, value, 0, MAX_CONFIG_VERBOSE, &opts->verbose, err);
	}
	if (doc->has_arg == no_argument) {
		bool on;
		if (!parse_bool(doc->name, value, &on, err)) {
			return false;
		}
		return on ? apply_option(opts, doc->val, NULL, err) :
					clear_flag(opts, layer, doc->val, err);
	}
	return apply_option(opts, doc->val, value, err);
}

/*
 * Like apply_config_entry, but an error names the file and line, and the
 * option as it is spelt in the file: "FILE:LINE: invalid value 'x' for port".
 */
static bool apply_config_entry_at(struct swl_options *opts, struct layer *layer,
		const struct option_doc *doc, const char *value, const char *path, size_t lineno,
		FILE *err) {
	char *msg = NULL;
	size_t msg_len = 0;
	FILE *capture = open_memstream(&msg, &msg_len);
	if (capture == NULL) {
		fail(err, "out of memory");
		return false;
	}
	bool ok = apply_config_entry(opts, layer, doc, value, capture);
	if (fclose(capture) != 0 || msg == NULL) {
		free(msg);
		fail(err, "out of memory");
		return false;
	}
	if (!ok) {
		static const char prefix[] = "spice-wl: ";
		const char *text = msg;
		if (strncmp(text, prefix, strlen(prefix)) == 0) {
			text += strlen(prefix);
		}
		int text_len = (int)strcspn(text, "\n");
		// "invalid value 'VALUE' for --NAME: ..." loses the dashes; VALUE may
		// have had control characters replaced, but keeps its length
		static const char invalid[] = "invalid value '";
		size_t at = strlen(invalid) + strlen(value) + 1;
		char option[128];
		snprintf(option, sizeof(option), " for --%s:", doc->name);
		if (strncmp(text, invalid, strlen(invalid)) == 0 && at < (size_t)text_len &&
				strncmp(text + at, option, strlen(option)) == 0) {
			size_t dashes = at + strlen(" for ");
			fail(err, "%s:%zu: %.*s%.*s", path, lineno, (int)dashes, text,
					text_len - (int)dashes - 2, text + dashes + 2);
		} else {
			fail(err, "%s:%zu: %.*s", path, lineno, text_len, text);
		}
	}
	free(msg);
	return ok;
}

static const struct option_doc *find_doc_by_name(const char *name) {
	for (size_t i = 0; i < ARRAY_LEN(option_docs); i++) {
		if (strcmp(option_docs[i].name, name) == 0) {
			return &option_docs[i];
		}
	}
	return NULL;
}

static bool is_space(char c) {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* Applies one line of a config file (len bytes, modified in place). */
static bool apply_config_line(struct swl_options *opts, struct layer *layer, const char *path,
		size_t lineno, char *line, size_t len, FILE *err) {
	if (strlen(line) != len) {
		fail(err, "%s:%zu: line contains a NUL byte", path, lineno);
		return false;
	}
	while (len > 0 && is_space(line[len - 1])) {
		line[--len] = '\0';
	}
	char *key = line;
	while (is_space(*key)) {
		key++;
	}
	if (*key == '\0' || *key == '#') {
		return true;
	}
	char *eq = strchr(key, '=');
	if (eq == NULL) {
		fail(err, "%s:%zu: expected 'key = value'", path, lineno);
		return false;
	}
	char *value = eq + 1;
	while (is_space(*value)) {
		value++;
	}
	*eq = '\0';
	while (eq > key && is_space(eq[-1])) {
		*--eq = '\0';
	}

	const struct option_doc *doc = find_doc_by_name(key);
	if (doc == NULL) {
		fail(err, "%s:%zu: unknown option '%s'", path, lineno, key);
		return false;
	}
	if (doc->val == 'h' || doc->val == 'V' || doc->val == OPT_CONFIG) {
		fail(err, "%s:%zu: option '%s' is not allowed in a config file", path, lineno, key);
		return false;
	}
	return apply_config_entry_at(opts, layer, doc, value, path, lineno, err);
}

/*
 * Applies the config file at path. A missing file is fine unless required
 * (--config); an unreadable one, or any bad line, is an error.
 */
static bool load_config_file(
		struct swl_options *opts, const char *path, bool required, FILE *err) {
	struct stat st;
	const char *reason;
	int fd = open_input(path, &st, &reason);
	if (fd < 0) {
		if (!required && reason == NULL && (errno == ENOENT || errno == ENOTDIR)) {
			return true;
		}
		fail(err, "cannot read config file '%s': %s", path,
				reason != NULL ? reason : strerror(errno));
		return false;
	}
	// Read whole, bounded: a config file is small, and /dev/stdin or a pipe
	// that never ends must not grow memory without end.
	// cap bytes of the file fit in text, one more than it is expected to hold.
	size_t cap = MAX_CONFIG_BYTES + 1;
	if (S_ISREG(st.st_mode) && st.st_size < MAX_CONFIG_BYTES) {
		cap = (size_t)st.st_size + 1;
	}
	char *text = malloc(cap + 1);
	ssize_t len = -1;
	size_t size = 0;
	while (text != NULL) {
		len = read_bounded(fd, text + size, cap - size);
		if (len < 0) {
			break;
		}
		size += (size_t)len;
		if (size < cap || cap > MAX_CONFIG_BYTES) {
			break; // end of file, or too long
		}
		// The file grew since fstat: read on, up to the bound.
		cap = MAX_CONFIG_BYTES + 1;
		char *more = realloc(text, cap + 1);
		if (more == NULL) {
			free(text);
			text = NULL;
			break;
		}
		text = more;
	}
	int read_errno = errno;
	close(fd);
	if (text == NULL) {
		fail(err, "out of memory");
		return false;
	}
	if (len < 0) {
		fail(err, "cannot read config file '%s': %s", path, strerror(read_errno));
		free(text);
		return false;
	}
	if (size > MAX_CONFIG_BYTES) {
		fail(err, "cannot read config file '%s': it is longer than %d bytes", path,
				MAX_CONFIG_BYTES);
		free(text);
		return false;
	}
	text[size] = '\0';

	struct layer layer;
	begin_layer(opts, &layer);
	size_t lineno = 0;
	bool ok = true;
	for (char *line = text; ok && line < text + size;) {
		char *nl = memchr(line, '\n', (size_t)(text + size - line));
		char *end = nl != NULL ? nl : text + size;
		*end = '\0';
		ok = apply_config_line(opts, &layer, path, ++lineno, line, (size_t)(end - line), err);
		line = end + 1;
	}
	free(text);
	if (ok) {
		end_layer(opts, &layer);
	}
	return ok;
}

/* dir + "/" + CONFIG_NAME, or NULL when out of memory. */
static char *config_path(const char *dir, const char *subdir) {
	size_t len = strlen(dir) + strlen(subdir) + strlen(CONFIG_NAME) + 3;
	char *path = malloc(len);
	if (path != NULL) {
		snprintf(path, len, "%s/%s%s%s", dir, subdir, subdir[0] != '\0' ? "/" : "", CONFIG_NAME);
	}
	return path;
}

/*
 * Applies --config FILE if given, else the system config file and then the
 * user's ($XDG_CONFIG_HOME, else ~/.config), both optional.
 */
static bool load_config(struct swl_options *opts, const char *config, FILE *err) {
	if (config != NULL) {
		return load_config_file(opts, config, true, err);
	}

	const char *sysconfdir = getenv(SYSCONFDIR_ENV);
	if (sysconfdir == NULL || sysconfdir[0] == '\0') {
		sysconfdir = DEFAULT_SYSCONFDIR;
	}
	// the XDG base directory spec: a relative XDG_CONFIG_HOME is to be ignored
	const char *user_dir = getenv("XDG_CONFIG_HOME");
	const char *user_subdir = "";
	if (user_dir == NULL || user_dir[0] != '/') {
		user_dir = getenv("HOME");
		user_subdir = ".config";
	}
	if (user_dir != NULL && user_dir[0] == '\0') {
		user_dir = NULL;
	}

	const char *dirs[] = { sysconfdir, user_dir };
	const char *subdirs[] = { "", user_subdir };
	for (size_t i = 0; i < ARRAY_LEN(dirs); i++) {
		if (dirs[i] == NULL) {
			continue;
		}
		char *path = config_path(dirs[i], subdirs[i]);
		if (path == NULL) {
			fail(err, "out of memory");
			return false;
		}
		bool ok = load_config_file(opts, path, false, err);
		free(path);
		if (!ok) {
			return false;
		}
	}
	return true;
}

void swl_options_init(struct swl_options *opts) {
	*opts = (struct swl_options){
		.listen = strdup(DEFAULT_LISTEN), // NULL on OOM; parse retries and reports it
		.port = DEFAULT_PORT,
		.width = DEFAULT_WIDTH,
		.height = DEFAULT_HEIGHT,
		.frame_mode = SWL_FRAME_MODE_AUTO,
		.fps = DEFAULT_FPS,
		.login_grace_time = DEFAULT_LOGIN_GRACE_TIME,
		.policy = SWL_POLICY_DEFAULT,
		.repeat_rate = DEFAULT_REPEAT_RATE,
		.repeat_delay = DEFAULT_REPEAT_DELAY,
		.xwayland = SWL_XWAYLAND_LAZY,
		.min_width = 320,
		.min_height = 200,
		.max_width = 4096,
		.max_height = 4096,
		.max_heads = 4,
		.scale = 1.0,
		.max_area = (long long)DEFAULT_MAX_AREA_W * DEFAULT_MAX_AREA_H,
	};
}

void swl_options_finish(struct swl_options *opts) {
	free(opts->listen);
	wipe_and_free(opts->password);
	free(opts->password_file);
	free(opts->sasl_appname);
	free(opts->image_compression);
	free(opts->jpeg_wan_compression);
	free(opts->zlib_glz_wan_compression);
	free(opts->streaming_video);
	free(opts->video_codecs);
	free(opts->x509_dir);
	free(opts->x509_cacert_file);
	free(opts->x509_cert_file);
	free(opts->x509_key_file);
	free(opts->tls_ciphers);
	free(opts->web_addr);
	free(opts->keyboard_layout);
	free(opts->keyboard_model);
	free(opts->keyboard_variant);
	free(opts->keyboard_options);
	free_command(opts);
	*opts = (struct swl_options){ 0 };
}

enum swl_options_result swl_options_parse(
		struct swl_options *opts, int argc, char *argv[], FILE *out, FILE *err) {
	struct option long_options[ARRAY_LEN(option_docs) + 1];
	for (size_t i = 0; i < ARRAY_LEN(option_docs); i++) {
		long_options[i] = (struct option){
			.name = option_docs[i].name,
			.has_arg = option_docs[i].has_arg,
			.flag = NULL,
			.val = option_docs[i].val,
		};
	}
	long_options[ARRAY_LEN(option_docs)] = (struct option){ 0 };

	// First pass: malformed options, --help, --version and --config, so that
	// the config files are read before the command line is applied over them.
	optind = 0; // glibc: full reset, so parse can run more than once
	opterr = 0;
	const char *config = NULL;
	int c, long_index = -1;
	while ((c = getopt_long(argc, argv, short_options, long_options, &long_index)) != -1) {
		if (long_index >= 0 &&
				!check_long_option(&option_docs[long_index], argc, argv, optarg, err)) {
			return SWL_OPTIONS_ERROR;
		}
		long_index = -1;
		switch (c) {
		case 'h':
			print_help(out);
			return SWL_OPTIONS_EXIT_SUCCESS;
		case 'V':
			fprintf(out, "spice-wl %s\n", SPICE_WL_VERSION);
			return SWL_OPTIONS_EXIT_SUCCESS;
		case ':':
		case '?':
			fail_bad_option(c, argv, err);
			return SWL_OPTIONS_ERROR;
		case OPT_CONFIG:
			if (optarg[0] == '\0') {
				fail(err, "invalid value '' for --config: expected a file name");
				return SWL_OPTIONS_ERROR;
			}
			config = optarg;
			break;
		default:
			break;
		}
	}

	if (!load_config(opts, config, err)) {
		return SWL_OPTIONS_ERROR;
	}

	// Second pass: the command line, over the config files. getopt_long
	// accepted every element in the first pass.
	optind = 0;
	struct layer layer;
	begin_layer(opts, &layer);
	while ((c = getopt_long(argc, argv, short_options, long_options, NULL)) != -1) {
		if (!apply_option(opts, c, optarg, err)) {
			return SWL_OPTIONS_ERROR;
		}
	}
	end_layer(opts, &layer);

	if (optind < argc && !copy_command(opts, argc - optind, argv + optind, err)) {
		return SWL_OPTIONS_ERROR;
	}
	if (opts->listen == NULL && !set_string(&opts->listen, DEFAULT_LISTEN, err)) {
		return SWL_OPTIONS_ERROR;
	}

	if (opts->min_width > opts->max_width || opts->min_height > opts->max_height) {
		fail(err, "--min-size %dx%d is larger than --max-size %dx%d", opts->min_width,
				opts->min_height, opts->max_width, opts->max_height);
		return SWL_OPTIONS_ERROR;
	}
	if ((long long)opts->min_width * opts->min_height > opts->max_area) {
		fail(err, "--min-size %dx%d is larger than --max-area %lld", opts->min_width,
				opts->min_height, opts->max_area);
		return SWL_OPTIONS_ERROR;
	}
	if ((long long)opts->width * opts->height > opts->max_area) {
		fail(err, "--size %dx%d is larger than --max-area %lld", opts->width, opts->height,
				opts->max_area);
		return SWL_OPTIONS_ERROR;
	}

	if (!finish_sasl(opts, err)) {
		return SWL_OPTIONS_ERROR;
	}
	if (opts->password_file != NULL) {
		if (!read_password_file(opts->password_file, &opts->password, err)) {
			return SWL_OPTIONS_ERROR;
		}
	} else if (!opts->sasl) {
		// with --sasl the variable may well hold a client's SASL password
		const char *env = getenv(PASSWORD_ENV);
		if (env != NULL && env[0] != '\0') {
			if (!password_fits(PASSWORD_ENV, NULL, strlen(env), err)) {
				return SWL_OPTIONS_ERROR;
			}
			char *password = strdup(env);
			if (password == NULL) {
				fail(err, "out of memory");
				return SWL_OPTIONS_ERROR;
			}
			wipe_and_free(opts->password);
			opts->password = password;
		}
	}

	// spice-html5 decodes LZ and QUIC but not GLZ or LZ4.
	if (opts->html5 && opts->image_compression == NULL &&
			!set_string(&opts->image_compression, "auto_lz", err)) {
		return SWL_OPTIONS_ERROR;
	}
	// TLS encrypts but does not tell who connects: it is no substitute for a login.
	if (opts->password == NULL && opts->disable_ticketing && !opts->insecure_no_auth &&
			!is_local_address(opts->listen)) {
		fail(err,
				"refusing unauthenticated access on --listen %s: use a password or --sasl, or "
				"--insecure-no-auth if you really mean it",
				opts->listen);
		return SWL_OPTIONS_ERROR;
	}
	if (!finish_tls(opts, err) || !finish_web(opts, err)) {
		return SWL_OPTIONS_ERROR;
	}

	if (opts->password == NULL && !opts->disable_ticketing && !opts->sasl) {
		fail(err,
				"no password: use --password-file FILE or " PASSWORD_ENV
				", --sasl, or --disable-ticketing for unauthenticated access");
		return SWL_OPTIONS_ERROR;
	}
	return SWL_OPTIONS_OK;
}

const char *swl_frame_mode_name(enum swl_frame_mode mode) {
	switch (mode) {
	case SWL_FRAME_MODE_AUTO:
		return "auto";
	case SWL_FRAME_MODE_DFPS:
		return "dfps";
	case SWL_FRAME_MODE_PER_OP:
		return "per-op";
	}
	return "unknown";
}
