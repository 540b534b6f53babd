/*
 * Public interface of the wlroots SPICE backend: a wlr_backend whose output
 * is a SPICE display and whose input devices are SPICE input channels. Any
 * wlroots 0.15 compositor can create it the way it creates the headless
 * backend.
 */
#ifndef WLR_SPICE_H
#define WLR_SPICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <wayland-server-core.h>
#include <wlr/backend.h>

/*
 * The backend is built with -fvisibility=hidden; what this header declares
 * is its API, and the only symbols libwlr-spice.a exports.
 */
#pragma GCC visibility push(default)

struct wlr_box;
struct wlr_output;

enum wlr_spice_frame_mode {
	// Commits update a pending region that is sent at most `fps` times a second.
	WLR_SPICE_FRAME_MODE_DFPS,
	// Every commit's damage is sent at once.
	WLR_SPICE_FRAME_MODE_PER_OP,
	// dfps at `fps`, but a small change within the period still goes out at
	// once while a burst allowance lasts, and the rate halves while the client
	// falls behind.
	WLR_SPICE_FRAME_MODE_AUTO,
};

struct wlr_spice_backend_options {
	const char *listen_addr; // NULL means 127.0.0.1; "unix:PATH" for a unix socket
	// A listening socket handed over (systemd socket activation), or -1: the
	// backend accepts its connections instead of opening a port.
	int listen_fd;
	int port;
	unsigned listen_mode; // permissions of a unix socket; 0 means WLR_SPICE_DEFAULT_LISTEN_MODE
	// Failed logins from loopback and unix socket peers are not penalized.
	bool exempt_loopback;
	// Seconds a connection may take to authenticate; 0 means the default (30).
	int login_grace_time;
	// One of password, disable_ticketing and sasl must be set, else the
	// backend refuses to start; sasl wins over the others, then
	// disable_ticketing.
	const char *password;
	int password_lifetime; // seconds from start the password is valid; 0 forever
	bool disable_ticketing;
	// Cyrus SASL authentication (user names and passwords from SASL's
	// configuration, sasl_appname.conf) in place of the password.
	bool sasl;
	const char *sasl_appname; // NULL means WLR_SPICE_DEFAULT_SASL_APPNAME
	bool view_only; // input and clipboard from clients are ignored

	// TLS: a port (0 for none) and the PEM files; tls_only drops the plain port.
	int tls_port;
	const char *tls_cacert_file, *tls_cert_file, *tls_key_file;
	const char *tls_ciphers; // NULL for forward-secret AEAD suites only
	bool tls_only;

	int width, height; // initial output size
	enum wlr_spice_frame_mode frame_mode;
	int fps; // dfps rate, WLR_SPICE_MIN_FPS..WLR_SPICE_MAX_FPS

	// Encoder settings; NULL leaves spice-server's default. Values are the
	// ones XSpice accepted (see wlr_spice_encoder_check).
	const char *image_compression;
	const char *jpeg_wan_compression;
	const char *zlib_glz_wan_compression;
	const char *streaming_video;
	const char *video_codecs;

	// Moved and scrolled content is sent as images, not QXL_COPY_BITS; for
	// measuring what copies save.
	bool no_copy_bits;
	// Large changes are not paced to a slow client's link.
	bool no_link_pacing;

	// The client draws no pointer (kiosks); the cursor channel only hides.
	bool hide_cursor;

	// The built-in agent: a client's monitors config resizes the output within
	// these bounds (0: WLR_SPICE_DEFAULT_MIN_WIDTH...) unless no_resize;
	// clipboard sharing unless no_clipboard.
	bool no_resize;
	int min_width, min_height, max_width, max_height;
	// Most monitors mirrored as outputs, 1..WLR_SPICE_MAX_HEADS (0: the default).
	int max_heads;
	// Most pixels of the layout a client may ask for (heads side by side:
	// widths summed times the tallest); more is scaled down. 0: the default.
	long long max_area;
	bool no_clipboard;
	// Files the client sends are saved in this directory (created, mode
	// 0700, if missing; its parent must exist). NULL: file transfer is off.
	const char *download_dir;

	// Audio, S16LE stereo at wlr_spice_backend_get_audio_rate(): PCM written
	// into the FIFO at playback_fifo plays on the client, and the client's
	// microphone is written into the FIFO at record_fifo. Each is created if
	// missing (and then removed at destroy). NULL or no_audio: no channel.
	bool no_audio;
	const char *playback_fifo, *record_fifo;
};

/* What NULL or 0 in the options below means. */
#define WLR_SPICE_DEFAULT_LISTEN_ADDR "127.0.0.1"
#define WLR_SPICE_DEFAULT_LISTEN_MODE 0600
#define WLR_SPICE_DEFAULT_LOGIN_GRACE_TIME 30 // seconds
#define WLR_SPICE_DEFAULT_SASL_APPNAME "spice-wl"
/* The frame rates the dfps and auto modes take. */
#define WLR_SPICE_MIN_FPS 1
#define WLR_SPICE_MAX_FPS 120
/* What options left 0 mean: the bounds of a client's resize requests. */
#define WLR_SPICE_DEFAULT_MIN_WIDTH 320
#define WLR_SPICE_DEFAULT_MIN_HEIGHT 200
#define WLR_SPICE_DEFAULT_MAX_WIDTH 4096
#define WLR_SPICE_DEFAULT_MAX_HEIGHT 4096
#define WLR_SPICE_DEFAULT_MAX_HEADS 4
/* Most heads a client can ask for. */
#define WLR_SPICE_MAX_HEADS 16
/* The area of four 3840x2160 monitors side by side (or one 7680x4320). */
#define WLR_SPICE_DEFAULT_MAX_AREA_WIDTH 15360
#define WLR_SPICE_DEFAULT_MAX_AREA_HEIGHT 2160
#define WLR_SPICE_DEFAULT_MAX_AREA \
	((long long)WLR_SPICE_DEFAULT_MAX_AREA_WIDTH * WLR_SPICE_DEFAULT_MAX_AREA_HEIGHT)

enum wlr_spice_selection {
	WLR_SPICE_SELECTION_CLIPBOARD = 0,
	WLR_SPICE_SELECTION_PRIMARY = 1,
};

/* The SPICE client now owns a selection and offers it in these formats. */
struct wlr_spice_clipboard_offer_event {
	enum wlr_spice_selection selection;
	const char *const *mime_types;
	size_t n_mime_types;
};

/*
 * The SPICE client asks for the session's selection: write it as mime_type
 * to fd and close fd. The handler owns fd; an unhandled request is closed.
 */
struct wlr_spice_clipboard_request_event {
	enum wlr_spice_selection selection;
	const char *mime_type;
	int fd; // set to -1 by a handler that took it
};

/* The client's volume and mute for its playback or microphone (VD_AGENT_AUDIO_VOLUME_SYNC). */
struct wlr_spice_volume_event {
	bool playback; // else the microphone
	bool mute;
	const uint16_t *volume; // per channel, linear: 65535 is full volume
	size_t nchannels;
	// Set by a handler that hands them to the session's sound server; the
	// backend then does not mute by itself.
	bool handled;
};

struct wlr_spice_agent_events {
	struct wl_signal clipboard_offer; // struct wlr_spice_clipboard_offer_event
	struct wl_signal clipboard_release; // enum wlr_spice_selection *
	struct wl_signal clipboard_request; // struct wlr_spice_clipboard_request_event
	struct wl_signal volume; // struct wlr_spice_volume_event
};

/* A SPICE client's main channel came up, or went away. */
struct wlr_spice_client_event {
	const char *peer; // "ADDR:PORT", "[ADDR]:PORT", "unix socket" or "unknown peer"
};

struct wlr_spice_backend_events {
	// What a session does when its client leaves (end, lock...) is the
	// compositor's to decide.
	struct wl_signal client_connected; // struct wlr_spice_client_event
	struct wl_signal client_disconnected; // struct wlr_spice_client_event
};

struct wlr_spice_stats {
	uint64_t commits; // output commits carrying a buffer
	uint64_t flushes; // times pending damage was turned into commands
	uint64_t draw_commands; // QXL_DRAW_COPY commands (images) queued
	uint64_t pixels_sent; // pixels copied into images
	uint64_t cacheable; // of those images, the ones offered to the client's image cache
	uint64_t fills; // QXL_DRAW_FILL commands queued (solid areas)
	uint64_t copies; // QXL_COPY_BITS commands queued
	uint64_t pixels_copied; // pixels those moved on the client
	uint64_t coalesced; // flushes deferred because the worker was behind
	uint64_t released; // draw commands released by spice-server
	// The slowest client's link (TCP only; zero while unknown), and what
	// pacing to it did.
	uint64_t link_rate; // bytes a second delivered while data waited
	uint32_t link_rtt_us; // the kernel's round trip (a proxy hides the rest)
	uint32_t link_queued; // bytes in the client's sockets not acked yet
	uint32_t link_waiting; // bytes written and not through the link yet (estimate)
	uint64_t held; // flushes that held part of a large region for the link
};

struct wlr_backend *wlr_spice_backend_create(
		struct wl_display *display, const struct wlr_spice_backend_options *options);
bool wlr_backend_is_spice(struct wlr_backend *backend);
bool wlr_output_is_spice(struct wlr_output *output);

/*
 * Tells a SPICE output that content now at box (output coordinates) moved
 * there by (dx, dy) since the last frame, e.g. a window the user dragged: the
 * next frame may send it as a copy on the client. Ignored for other outputs;
 * the pixels are checked, so a wrong hint costs nothing but time.
 */
void wlr_spice_output_hint_move(
		struct wlr_output *output, const struct wlr_box *box, int dx, int dy);

/*
 * Checks the value of an encoder option, named as spice-wl spells it:
 * "image-compression", "jpeg-wan-compression", "zlib-glz-wan-compression",
 * "streaming-video" or "video-codecs" ("ENCODER:CODEC;..."). On failure,
 * returns false and writes why into reason, e.g. "expected auto, never or
 * always" (strlen(value) + 128 bytes always hold it whole).
 */
bool wlr_spice_encoder_check(const char *option, const char *value, char *reason, size_t size);
/*
 * The values an encoder option with a fixed set takes, NULL-terminated; also
 * "video-encoder" and "video-codec", the parts of a video-codecs entry. NULL
 * for other names.
 */
const char *const *wlr_spice_encoder_values(const char *option);

/* The sample rate of both audio FIFOs (spice-server's choice, 48000 with Opus). */
uint32_t wlr_spice_backend_get_audio_rate(struct wlr_backend *backend);
/*
 * From now on the client's microphone goes into the FIFO at path (which must
 * exist), e.g. one a sound server created for its pipe source, as well as
 * into the record FIFO.
 */
bool wlr_spice_backend_set_record_fifo(struct wlr_backend *backend, const char *path);
/*
 * The session's sound server applies the volume: tells every client, now and
 * later, to play (or record) at full volume, muted as the session's sink (or
 * source) is, so that nothing is applied twice and its mixer shows the mute.
 */
void wlr_spice_backend_set_client_volume(struct wlr_backend *backend, bool playback, bool mute);

/* What clients connect to, e.g. "spice://127.0.0.1:5900" or "spice+unix:///run/s". */
const char *wlr_spice_backend_get_uri(struct wlr_backend *backend);
void wlr_spice_backend_get_stats(struct wlr_backend *backend, struct wlr_spice_stats *stats);

struct wlr_spice_backend_events *wlr_spice_backend_get_events(struct wlr_backend *backend);
struct wlr_spice_agent_events *wlr_spice_backend_get_agent_events(struct wlr_backend *backend);
/*
 * The session's selection changed: offer it to the SPICE client in these
 * formats (n_mime_types 0: the session has none any more).
 */
void wlr_spice_backend_clipboard_set(struct wlr_backend *backend,
		enum wlr_spice_selection selection, const char *const *mime_types, size_t n_mime_types);
/* Fetches the client's selection as mime_type into fd, then closes fd. */
void wlr_spice_backend_clipboard_receive(struct wlr_backend *backend,
		enum wlr_spice_selection selection, const char *mime_type, int fd);

#pragma GCC visibility pop

#endif
