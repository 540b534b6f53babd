/*
 * Command-line options of spice-wl: the parsed form, its defaults, and the
 * parser. Kept free of wlroots and SPICE so it can be unit-tested alone.
 */
#ifndef SWL_OPTIONS_H
#define SWL_OPTIONS_H

#include <stdbool.h>
#include <stdio.h>

enum swl_frame_mode {
	SWL_FRAME_MODE_AUTO,
	SWL_FRAME_MODE_DFPS,
	SWL_FRAME_MODE_PER_OP,
};

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

struct swl_options {
	char *listen; // address to listen on, default "127.0.0.1"
	int port; // default 5900
	unsigned listen_mode; // permissions of a unix socket, 0 (default) for 0600
	bool exempt_loopback; // failed logins from loopback are not penalized
	int login_grace_time; // seconds a connection may take to log in
	char *password; // read from --password-file or SPICE_WL_PASSWORD; NULL if none
	char *password_file;
	bool disable_ticketing;
	bool sasl; // authenticate with Cyrus SASL instead of a password
	char *sasl_appname; // selects NAME.conf of SASL; NULL for "spice-wl"
	int password_lifetime; // seconds a password stays valid, 0 forever
	bool insecure_no_auth; // allow unauthenticated access beyond loopback
	bool view_only; // input and clipboard from clients ignored
	bool exit_on_disconnect; // end the session when the client leaves
	int tls_port; // 0: no TLS
	char *x509_dir; // holds cacert.pem, server-cert.pem, server-key.pem
	char *x509_cacert_file, *x509_cert_file, *x509_key_file; // override x509_dir's
	char *tls_ciphers; // OpenSSL cipher list, NULL for forward-secret AEAD suites
	bool tls_only; // no plain port
	bool html5; // choose encoders spice-html5 can decode
	int web_port; // --web: serve spice-html5 over HTTP(S) on this port; 0: off
	char *web_addr; // its address (IPv6 without brackets); the --listen address by default
	int width, height; // default 1280x800
	double scale; // output scale, 1..4 in quarters; default 1
	enum swl_frame_mode frame_mode; // default auto
	int fps; // 1..120, default 30
	enum swl_window_policy policy;
	bool keep_running;
	// SPICE encoder choices, NULL means spice-server's default; validated
	// against the values XSpice accepted
	char *image_compression; // off auto_glz auto_lz quic glz lz lz4
	char *jpeg_wan_compression; // auto never always
	char *zlib_glz_wan_compression; // auto never always
	char *streaming_video; // off all filter
	char *video_codecs; // e.g. "gstreamer:mjpeg;gstreamer:vp8"
	// XKB rule names; NULL means XKB_DEFAULT_* from the environment, then xkb's default
	char *keyboard_layout;
	char *keyboard_model;
	char *keyboard_variant;
	char *keyboard_options;
	int repeat_rate; // repeats per second, 0 disables; default 25
	int repeat_delay; // ms; default 600
	bool hide_cursor;
	enum swl_xwayland_mode xwayland; // default lazy
	bool no_resize; // ignore the client's monitors config
	int min_width, min_height; // bounds for client resizes, default 320x200
	int max_width, max_height; // default 4096x4096
	int max_heads; // client monitors mirrored as outputs, default 4
	long long max_area; // pixels of the client's whole layout, default 4 x 3840x2160
	bool no_clipboard;
	bool no_file_transfer; // files from the client are refused
	bool no_audio; // no playback or record channel
	bool no_copy_bits; // moved content as images, for measurements
	int verbose; // count of -v
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

const char *swl_frame_mode_name(enum swl_frame_mode mode);

#endif
