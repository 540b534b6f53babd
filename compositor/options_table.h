/*
 * Every option of spice-wl, once: SWL_OPTIONS lists them in --help order, and
 * each consumer expands the list with its own macros. options.h declares the
 * fields of struct swl_options from it, options.c builds the parser's table
 * (getopt, config keys, --help, defaults), and the unit tests check that each
 * name is in --help, the man page and the example config.
 *
 * One entry per option, in one of five shapes:
 *   FLAG(field, name, help)                    a bool, false unless given;
 *                                              "key = false" in a file clears it
 *   INT(field, name, arg, def, min, max, help) an int in min..max; a default
 *                                              outside the range shows as "none"
 *   SIZE(wfield, hfield, name, def, help)      WIDTHxHEIGHT into two ints
 *   OPT(kind, field, name, arg, def, help)     a field of type SWL_TYPE_<kind>,
 *                                              parsed by the kind (option_kinds.c)
 *   ACT(kind, name, arg, def, help)            acts on fields declared by hand in
 *                                              struct swl_options, or on none
 * name is the long option and the config key, arg the placeholder --help
 * shows (NULL: no argument), def the default --help shows (NULL: none);
 * for SIZE and kinds with a value default, def is also parsed into the field
 * at start. A NULL help for an encoder option lists the backend's values.
 */
#ifndef SWL_OPTIONS_TABLE_H
#define SWL_OPTIONS_TABLE_H

#include "wlr_spice.h"

#define SWL_STRINGIFY_(x) #x
#define SWL_STRINGIFY(x) SWL_STRINGIFY_(x)

#define SWL_PASSWORD_ENV "SPICE_WL_PASSWORD"
#define SWL_MIN_PORT 1
#define SWL_MAX_PORT 65535
#define SWL_MAX_REPEAT_RATE 1000
#define SWL_MAX_REPEAT_DELAY 10000
#define SWL_MAX_PASSWORD_LIFETIME (10 * 365 * 24 * 3600)
#define SWL_SIZE_TEXT(w, h) SWL_STRINGIFY(w) "x" SWL_STRINGIFY(h)

/* The field types of the OPT kinds. */
#define SWL_TYPE_string char *
#define SWL_TYPE_listen char *
#define SWL_TYPE_password_file char *
#define SWL_TYPE_sasl_appname char *
#define SWL_TYPE_encoder char *
#define SWL_TYPE_listen_mode unsigned
#define SWL_TYPE_scale double
#define SWL_TYPE_area long long
#define SWL_TYPE_frame_mode enum wlr_spice_frame_mode
#define SWL_TYPE_xwayland enum swl_xwayland_mode
#define SWL_TYPE_verbose int

// clang-format off
#define SWL_OPTIONS(FLAG, INT, SIZE, OPT, ACT) \
	OPT(listen, listen, "listen", "ADDR", WLR_SPICE_DEFAULT_LISTEN_ADDR, \
		"network address to listen on") \
	OPT(listen_mode, listen_mode, "listen-mode", "OCTAL", \
		SWL_STRINGIFY(WLR_SPICE_DEFAULT_LISTEN_MODE), \
		"permissions of a unix:PATH socket, e.g. 0660") \
	INT(port, "port", "N", 5900, SWL_MIN_PORT, SWL_MAX_PORT, \
		"TCP port to listen on, " SWL_STRINGIFY(SWL_MIN_PORT) ".." SWL_STRINGIFY(SWL_MAX_PORT)) \
	OPT(password_file, password_file, "password-file", "FILE", "$" SWL_PASSWORD_ENV, \
		"password from FILE's first line") \
	FLAG(disable_ticketing, "disable-ticketing", "let clients connect without a password") \
	INT(password_lifetime, "password-lifetime", "SECONDS", 0, 0, SWL_MAX_PASSWORD_LIFETIME, \
		"the password expires this long after start, 0 never") \
	FLAG(sasl, "sasl", "authenticate with SASL instead of a password") \
	OPT(sasl_appname, sasl_appname, "sasl-appname", "NAME", WLR_SPICE_DEFAULT_SASL_APPNAME, \
		"SASL's config file, /etc/sasl2/NAME.conf") \
	FLAG(exempt_loopback, "exempt-loopback", "no penalty for failed logins from loopback") \
	INT(login_grace_time, "login-grace-time", "SECONDS", WLR_SPICE_DEFAULT_LOGIN_GRACE_TIME, \
		1, 600, \
		"close connections not logged in by then, 1..600") \
	FLAG(insecure_no_auth, "insecure-no-auth", "allow --disable-ticketing beyond loopback") \
	FLAG(view_only, "view-only", "ignore input and clipboard from clients") \
	FLAG(exit_on_disconnect, "exit-on-disconnect", "end the session when the client disconnects") \
	INT(tls_port, "tls-port", "N", 0, SWL_MIN_PORT, SWL_MAX_PORT, "TLS port, 1..65535") \
	OPT(string, x509_dir, "x509-dir", "DIR", NULL, \
		"cacert.pem, server-cert.pem, server-key.pem for TLS") \
	OPT(string, x509_cacert_file, "x509-cacert-file", "FILE", "DIR/cacert.pem", \
		"CA certificate for TLS") \
	OPT(string, x509_cert_file, "x509-cert-file", "FILE", "DIR/server-cert.pem", \
		"server certificate for TLS") \
	OPT(string, x509_key_file, "x509-key-file", "FILE", "DIR/server-key.pem", \
		"server key for TLS") \
	OPT(string, tls_ciphers, "tls-ciphers", "LIST", "forward-secret AEAD", \
		"OpenSSL cipher list") \
	FLAG(tls_only, "tls-only", "no plain port: TLS connections only") \
	FLAG(html5, "html5", "use encoders spice-html5 decodes (auto_lz)") \
	ACT(web, "web", "[ADDR:]PORT", "off", "serve spice-html5 (HTTPS with --tls-port)") \
	SIZE(width, height, "size", "1280x800", "screen size, each side " \
		SWL_STRINGIFY(SWL_MIN_SIZE) ".." SWL_STRINGIFY(SWL_MAX_SIZE)) \
	OPT(scale, scale, "scale", "S", "1", "output scale, 1 to 4 in steps of 0.25") \
	OPT(frame_mode, frame_mode, "frame-mode", "MODE", "auto", \
		"frame pacing: auto, dfps or per-op") \
	INT(fps, "fps", "N", 30, WLR_SPICE_MIN_FPS, WLR_SPICE_MAX_FPS, \
		"frames per second in dfps and auto mode, " \
		SWL_STRINGIFY(WLR_SPICE_MIN_FPS) ".." SWL_STRINGIFY(WLR_SPICE_MAX_FPS)) \
	ACT(kiosk, "kiosk", NULL, "if COMMAND is given", "use the kiosk window policy") \
	ACT(desktop, "desktop", NULL, "if no COMMAND", "use the desktop window policy") \
	FLAG(keep_running, "keep-running", "keep running after COMMAND exits") \
	OPT(encoder, image_compression, "image-compression", "MODE", "spice-server's", NULL) \
	OPT(encoder, jpeg_wan_compression, "jpeg-wan-compression", "MODE", "spice-server's", NULL) \
	OPT(encoder, zlib_glz_wan_compression, "zlib-glz-wan-compression", "MODE", "always", NULL) \
	OPT(encoder, streaming_video, "streaming-video", "MODE", "spice-server's", NULL) \
	OPT(encoder, video_codecs, "video-codecs", "LIST", "spice-server's", \
		"ENCODER:CODEC;... e.g. gstreamer:vp8") \
	OPT(string, keyboard_layout, "keyboard-layout", "LAYOUT", "$XKB_DEFAULT_LAYOUT, us", \
		"XKB layout(s), e.g. de") \
	OPT(string, keyboard_model, "keyboard-model", "MODEL", "$XKB_DEFAULT_MODEL, pc105", \
		"XKB model") \
	OPT(string, keyboard_variant, "keyboard-variant", "VARIANT", "$XKB_DEFAULT_VARIANT", \
		"XKB variant(s), e.g. nodeadkeys") \
	OPT(string, keyboard_options, "keyboard-options", "OPTIONS", "$XKB_DEFAULT_OPTIONS", \
		"XKB options, e.g. ctrl:nocaps") \
	INT(repeat_rate, "repeat-rate", "N", 25, 0, SWL_MAX_REPEAT_RATE, \
		"key repeats per second, 0 disables, up to " SWL_STRINGIFY(SWL_MAX_REPEAT_RATE)) \
	INT(repeat_delay, "repeat-delay", "MS", 600, 0, SWL_MAX_REPEAT_DELAY, \
		"delay before a held key repeats, up to " SWL_STRINGIFY(SWL_MAX_REPEAT_DELAY)) \
	FLAG(hide_cursor, "hide-cursor", "show no pointer on the client (kiosks)") \
	OPT(xwayland, xwayland, "xwayland", "MODE", "lazy", \
		"Xwayland: lazy (start on first use), on or off") \
	FLAG(no_resize, "no-resize", "keep --size when the client window is resized") \
	SIZE(min_width, min_height, "min-size", \
		SWL_SIZE_TEXT(WLR_SPICE_DEFAULT_MIN_WIDTH, WLR_SPICE_DEFAULT_MIN_HEIGHT), \
		"smallest size a client may ask for") \
	SIZE(max_width, max_height, "max-size", \
		SWL_SIZE_TEXT(WLR_SPICE_DEFAULT_MAX_WIDTH, WLR_SPICE_DEFAULT_MAX_HEIGHT), \
		"largest size a client may ask for") \
	INT(max_heads, "max-heads", "N", WLR_SPICE_DEFAULT_MAX_HEADS, 1, WLR_SPICE_MAX_HEADS, \
		"client monitors shown as outputs, 1.." SWL_STRINGIFY(WLR_SPICE_MAX_HEADS)) \
	OPT(area, max_area, "max-area", "PIXELS", \
		SWL_SIZE_TEXT(WLR_SPICE_DEFAULT_MAX_AREA_WIDTH, WLR_SPICE_DEFAULT_MAX_AREA_HEIGHT), \
		"most pixels of all client monitors") \
	FLAG(no_clipboard, "no-clipboard", "no clipboard sharing with the client (kiosks)") \
	FLAG(no_file_transfer, "no-file-transfer", "refuse files the client sends") \
	FLAG(no_audio, "no-audio", "no sound to or from the client") \
	FLAG(no_copy_bits, "no-copy-bits", "send moved and scrolled content as images") \
	FLAG(no_link_pacing, "no-link-pacing", \
		"no pacing of large changes to a slow link") \
	ACT(config, "config", "FILE", NULL, \
		"read options from FILE instead of the config files (below)") \
	OPT(verbose, verbose, "verbose", NULL, "off", "also log debug messages") \
	ACT(help, "help", NULL, NULL, "show this help and exit") \
	ACT(version, "version", NULL, NULL, "show the version and exit")
// clang-format on

/* Sides of --size, --min-size and --max-size. */
#define SWL_MIN_SIZE 64
#define SWL_MAX_SIZE 8192

#endif
