/*
 * spice-wl-probe's internal header: the probe's state, grouped by concern,
 * and what its files (one per concern, see tools/probe/main.c) call in one
 * another. Not an API: the tool is one program.
 */
#ifndef SPICE_WL_PROBE_H
#define SPICE_WL_PROBE_H

#include <glib.h>
#include <spice-client.h>
#include <spice/vd_agent.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PROBE_NAME "spice-wl-probe"

enum probe_exit {
	PROBE_EXIT_OK = 0,
	PROBE_EXIT_FAIL = 1,
	PROBE_EXIT_USAGE = 2,
	PROBE_EXIT_TIMEOUT = 3,
};

/* Defaults that --help quotes. */
#define DEFAULT_HOST "127.0.0.1"
#define DEFAULT_PORT "5900"
#define DEFAULT_AGENT_TIMEOUT_MS 10000
#define DEFAULT_RESIZE_TIMEOUT_MS 10000
#define DEFAULT_CLIPBOARD_TIMEOUT_MS 5000
/* One-shot `clipboard set` stays connected this long, serving requests. */
#define DEFAULT_HOLD_MS 3000
#define DEFAULT_SEND_FILE_TIMEOUT_MS 60000
#define DEFAULT_TONE_TIMEOUT_MS 10000
/* After sending input, stay connected this long so the server reads it all. */
#define INPUT_SETTLE_MS 200

#define MAX_TIMEOUT_MS (24 * 3600 * 1000)
#define MAX_KEY_ARGS 256
#define MAX_WATCH 8
/* spice-gtk's MAX_DISPLAY: displays a monitors config can describe. */
#define MAX_MONITORS 16
/* VD_AGENT_CLIPBOARD_SELECTION_CLIPBOARD and _PRIMARY (no SECONDARY). */
#define CLIP_SELECTIONS 2

/*
 * Keys are spice-gtk scancodes: PC XT (set 1) make codes, with 0x100 | code
 * for E0-prefixed keys. Pause has no such code; KEY_PAUSE stands for it.
 */
#define KEY_PAUSE 0xe11d45u
#define KEY_LEFT_SHIFT 0x2au
#define KEY_A 0x1eu

struct probe;

/* Hooks a command mode installs to react to connection and display events. */
struct probe_mode {
	const char *name;
	/* Parses the command's own arguments; returns false on bad usage. */
	bool (*parse)(struct probe *p, int argc, char **argv);
	/* First time the primary surface exists and holds the initial image. */
	void (*connected)(struct probe *p);
	/* The display changed: invalidate or primary (re)created. */
	void (*update)(struct probe *p, bool primary_changed);
	/* Whether --timeout stays armed after connecting. */
	bool deadline_after_connect;
	/* Speaks the session line protocol (async lines on stdout). */
	bool line_protocol;
};

/* A channel seen on the session, kept for per-channel byte statistics. */
struct probe_channel {
	SpiceChannel *channel; /* NULL once spice-glib destroyed it */
	char *key;             /* "main", "display", "display1", ... */
	gulong last_bytes;     /* total-read-bytes when last seen */
};

struct expect_pixel {
	int x, y;
	uint32_t want;
};

enum session_wait {
	SESSION_WAIT_NONE,
	SESSION_WAIT_PIXEL,
	SESSION_WAIT_UPDATE,
	SESSION_WAIT_QUIET,
	SESSION_WAIT_FLUSH,   /* input written to the inputs channel socket */
	SESSION_WAIT_LEDS,    /* keyboard LEDs match input.wait_leds_want */
	SESSION_WAIT_VOLUME,  /* an audio channel's volume and mute match audio.wait_* */
	SESSION_WAIT_CURSOR,  /* a cursor shape has been received */
	SESSION_WAIT_LATENCY, /* latency measurement in progress */
	SESSION_WAIT_AGENT,   /* agent connected with capabilities, then agent.op */
	SESSION_WAIT_RESIZE,  /* primary surface has the size resize asked for */
	SESSION_WAIT_CLIP_GRAB, /* the agent grabs agent.selection */
	SESSION_WAIT_CLIP_DATA, /* the agent sends the text we requested */
	SESSION_WAIT_AUDIO_TIME, /* audio SECONDS: capturing playback */
	SESSION_WAIT_AUDIO_STOP, /* audio-wait: playback stops after sound */
	SESSION_WAIT_TONE_START, /* tone: the server has not started recording yet */
	SESSION_WAIT_TONE_SEND,  /* tone: sending in real time */
	SESSION_WAIT_FILE,       /* send-file: the transfer is under way */
};

/* What an agent command does once the agent is ready (SESSION_WAIT_AGENT). */
enum agent_op {
	AGENT_OP_NONE,
	AGENT_OP_WAIT,     /* agent: nothing more */
	AGENT_OP_RESIZE,   /* resize: send the monitors config */
	AGENT_OP_CLIP_GET, /* clipboard get: request the text of the agent's grab */
	AGENT_OP_CLIP_SET, /* clipboard set: grab with agent.text */
	AGENT_OP_SEND_FILE, /* send-file: copy agent.text (a path) to the agent */
};

/* The last clipboard grab the agent sent for one selection. */
struct agent_grab {
	bool grabbed;
	GArray *types; /* guint32 VD_AGENT_CLIPBOARD_* */
};

/* A clipboard request from the agent held back while the session is read-only. */
struct clip_request {
	guint selection, type;
};

/* Session commands (session.c): also run one-shot when they have CMD_CLI. */
enum cmd_result {
	CMD_DONE,    /* the command printed its result line */
	CMD_PENDING, /* session_complete() prints it later; the queue waits */
};

enum session_cmd_flags {
	CMD_INPUTS = 1 << 0, /* needs the inputs channel initialised */
	CMD_CLI = 1 << 1,    /* also a one-shot command: spice-wl-probe NAME ARGS */
	CMD_RAW = 1 << 2,    /* in a session, takes the rest of the line as one argument */
	CMD_SENDS = 1 << 3,  /* sends input: one-shot runs let it settle before exiting */
	CMD_AUDIO = 1 << 4,  /* one-shot: connect the audio channels */
};

struct session_cmd {
	const char *name;
	const char *args; /* usage, for "error usage: ..." */
	int min_args, max_args;
	bool needs_primary;
	enum cmd_result (*run)(struct probe *p, int argc, char **argv);
	unsigned flags; /* enum session_cmd_flags */
};

/* The channels of the session; the pointers are NULL until created and once destroyed. */
struct probe_channels {
	SpiceMainChannel *main;
	SpiceDisplayChannel *display; /* display channel 0 */
	SpiceInputsChannel *inputs;
	SpiceCursorChannel *cursor;
	SpicePlaybackChannel *playback; /* audio channels: handled here (audio.c) */
	SpiceRecordChannel *record;
	GPtrArray *seen; /* struct probe_channel *, every channel, for statistics */
};

/* Primary surface of display channel 0, owned by spice-glib. */
struct probe_primary {
	bool exists;
	enum SpiceSurfaceFmt format;
	int width, height, stride;
	const guint8 *data;
	guint64 updates; /* display invalidations */
};

/* A pixel whose colour changes are counted: frames of a video delivered to it. */
struct watch_pixel {
	int x, y;
	uint32_t rgb;
	bool known; /* rgb holds its colour on the current primary */
	guint64 changes;
};

/* Session command watch. */
struct probe_watch {
	struct watch_pixel pixels[MAX_WATCH];
	int count;
};

/* Mode screenshot: where and how long to settle first. */
struct probe_shot {
	const char *out_path;
	guint settle_ms;
};

/* Mode expect. */
struct probe_expect {
	GArray *pixels; /* struct expect_pixel */
	guint timeout_ms;
	guint source;
};

/* Mode stats. */
struct probe_stats {
	double seconds;
	guint source;
};

/* Mode session: the command lines from stdin and the state of the queue. */
struct probe_queue {
	GIOChannel *stdin_channel;
	guint stdin_source;
	GString *stdin_buf;
	GQueue *lines; /* char *, commands not yet run */
	bool stdin_eof;
	bool running;
	bool pending; /* a command returned CMD_PENDING and has not completed */
	bool quitting; /* quit or EOF: no more commands, exiting after settle_source */
	bool awaiting_inputs; /* "connected" waits for the inputs channel */
	guint inputs_grace_source;
};

/* What the pending command waits for, and its timers. */
struct probe_wait {
	enum session_wait kind;
	struct expect_pixel pixel;
	guint quiet_ms;
	guint timeout_source;
	guint quiet_source;
};

/* The inputs channel. */
struct probe_input {
	bool opened;     /* linked; SPICE_CHANNEL_OPENED seen */
	bool leds_known; /* SPICE_MSG_INPUTS_INIT (first LED state) received */
	int buttons;     /* SPICE_MOUSE_BUTTON_MASK_* of the buttons we hold */
	guint flush_serial; /* identifies the flush a session command waits for */
	guint wait_leds_mask, wait_leds_want; /* SPICE_INPUTS_*_LOCK bits */
};

/* The cursor channel: the last shape and whether it is shown. */
struct probe_cursor {
	bool known;
	bool visible;
	int width, height, hot_x, hot_y;
	int want_width, want_height; /* wait-cursor W H; 0 for any */
};

/* The latency command. */
struct probe_latency {
	guint count;
	guint timeout_ms;
	guint key;
	gint64 sent_at; /* 0 while waiting for the display to be quiet */
	GArray *samples; /* double, milliseconds */
};

/* The pending agent command (SESSION_WAIT_AGENT and after). */
struct probe_agent {
	enum agent_op op;
	guint selection; /* VD_AGENT_CLIPBOARD_SELECTION_* of a clipboard command */
	char *text;      /* clipboard set: the text until it is grabbed; send-file: the path */
	gsize text_len;
	guint32 type;    /* VD_AGENT_CLIPBOARD_* of a clipboard command */
	char *file;      /* get-file: where the data goes */
	int resize_n;    /* monitors the pending resize asks for */
	int resize_w[MAX_MONITORS], resize_h[MAX_MONITORS];
	int resize_from_w, resize_from_h; /* primary size when the config was sent */
};

/* Both sides of the clipboard, per selection. */
struct probe_clipboard {
	struct agent_grab grab[CLIP_SELECTIONS];
	/* Clipboard text we grabbed, served on request while we own the selection. */
	char *text[CLIP_SELECTIONS];
	gsize len[CLIP_SELECTIONS];
	guint32 type[CLIP_SELECTIONS]; /* VD_AGENT_CLIPBOARD_* of text */
	bool owned[CLIP_SELECTIONS];
	guint served;     /* requests answered with our text */
	GArray *deferred; /* struct clip_request */
};

/* send-file. */
struct probe_file {
	GCancellable *cancel; /* a transfer in progress */
	goffset cancel_after; /* --cancel-after BYTES, or -1 */
	goffset exit_after;   /* --exit-after BYTES, or -1 */
	char *error;          /* why the file failed (the agent's words) */
	int waits;            /* callbacks still to come */
};

/* The playback channel and what it delivered since audio-start. */
struct probe_audio {
	int play_format, play_channels, play_rate;
	bool play_active;
	bool capturing;          /* since audio-start (or audio SECONDS) */
	GArray *capture;         /* gint16, left channel, from the first sound on */
	guint loud_end;          /* samples in capture up to the last sound */
	guint64 frames;          /* frames received while capturing */
	gint64 first_sound_us;   /* g_get_monotonic_time() when sound arrived, 0 if none */
	guint starts, stops;
	bool stopped_after_sound;
	/* wait-volume: the channel (playback or record), its mute and first volume (-1: any) */
	bool wait_playback;
	int wait_mute, wait_volume;
};

/* The record channel and the tone sent on it. */
struct probe_tone {
	int rec_format, rec_channels, rec_rate;
	bool rec_started;
	double freq, seconds, amplitude;
	guint64 frames, sent, burst;
	gint64 start_us;
	guint source;
};

/* One session command run from the command line. */
struct probe_oneshot {
	bool active;
	const struct session_cmd *cmd;
	int argc;
	char **argv;
	bool started;
	bool dry_run; /* checking the arguments only; see oneshot_parse() */
	char *error;  /* first error line from the dry run */
	char *line;   /* result line printed once the input has settled */
	bool hold;    /* clipboard set: stay connected hold_ms after the result */
	guint hold_ms;
};

struct probe {
	GMainLoop *loop;
	SpiceSession *session;
	int verbose;
	char *host, *port; /* for messages */
	const struct probe_mode *mode;
	int exit_code;
	bool finished;
	guint deadline_source;
	double timeout_s;

	guint mark_fallback_source;
	bool connected;
	gint64 connected_at; /* g_get_monotonic_time() */
	guint settle_source; /* screenshot, and the wait before exiting after input */
	bool sent_input;     /* some input was sent on this connection */
	bool lock_sync_off;  /* session read-only while the inputs channel comes up */
	guint lock_sync_source;
	bool gst_audio_missing; /* spice-glib could not build a GStreamer audio pipeline */

	struct probe_channels ch;
	struct probe_primary primary;
	struct probe_watch watch;
	struct probe_shot shot;
	struct probe_expect expect;
	struct probe_stats stats;
	struct probe_queue queue;
	struct probe_wait wait;
	struct probe_input input;
	struct probe_cursor cursor;
	struct probe_latency latency;
	struct probe_agent agent;
	struct probe_clipboard clip;
	struct probe_file file;
	struct probe_audio audio;
	struct probe_tone tone;
	struct probe_oneshot oneshot;
};

/* A module's session commands (see session_cmds in session.c). */
struct probe_cmd_table {
	const struct session_cmd *cmds;
	size_t count;
};

extern const struct probe_cmd_table probe_display_cmds, probe_input_cmds, probe_cursor_cmds,
	probe_latency_cmds, probe_audio_cmds, probe_agent_cmds, probe_clipboard_cmds,
	probe_file_cmds, probe_session_cmds;

extern const struct probe_mode probe_screenshot_mode, probe_expect_mode, probe_stats_mode,
	probe_session_mode, probe_oneshot_mode;

/* What the command line says about the server and how to log in (main.c). */
struct probe_target {
	const char *host, *port, *uri, *unix_path, *tls_port, *ca_file, *username;
	const char *password_file;
};

/* util.c: logging, the probe's end, argument parsing */
void probe_log(struct probe *p, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
void out_line(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
int usage_error(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
void clear_source(guint *source);
void probe_finish(struct probe *p, int code);
bool parse_long(const char *s, long min, long max, long *out);
bool parse_ms(const char *s, guint *out);
bool parse_seconds(const char *s, double *out);
bool parse_rgb(const char *s, uint32_t *out);
bool parse_pixel_spec(const char *s, struct expect_pixel *px);
bool parse_xy(const char *xs, const char *ys, int *x, int *y);
bool take_option(int argc, char **argv, int *i, const char *name, const char **value);
guint seconds_to_ms(double s);
int compare_double(const void *a, const void *b);

/* connection.c: the SPICE session and its channels */
int probe_connect(struct probe *p, const struct probe_target *t, const char *password);
void probe_log_handlers_install(struct probe *p);
void probe_channel_free(gpointer data);

/* display.c: the primary surface, display updates, traffic statistics */
void display_channel_new(struct probe *p, SpiceChannel *channel);
void format_pixel(struct probe *p, int x, int y, char buf[static 8]);
bool pixel_matches(struct probe *p, const struct expect_pixel *px);
bool save_screenshot(struct probe *p, const char *path, char **err);
void channel_snapshot(struct probe_channel *pc);
char *stats_json(struct probe *p, double seconds);

/* session.c: the line protocol */
void cmd_reply(struct probe *p, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
void session_complete(struct probe *p, const char *result);
void session_end_wait(struct probe *p);
void session_start_wait(struct probe *p, enum session_wait wait, guint timeout_ms);
void session_arm_quiet(struct probe *p);
gboolean session_wait_timeout(gpointer data);
void session_announce(struct probe *p);
const struct session_cmd *find_cli_cmd(const char *name);
void session_update(struct probe *p, bool primary_changed);

/* oneshot.c: one session command from the command line */
void oneshot_result(struct probe *p, const char *line);
void oneshot_try_start(struct probe *p);

/* input.c: keyboard and mouse, the LED state */
void input_channel_new(struct probe *p, SpiceChannel *channel);
void inputs_opened(struct probe *p);
void inputs_lost(struct probe *p);
bool inputs_ready(struct probe *p);
guint current_leds(struct probe *p);
char *format_leds(guint leds);
bool parse_scancode(const char *s, guint *key);
void key_down(struct probe *p, guint key);
void key_up(struct probe *p, guint key);

/* cursor.c: the cursor channel */
void cursor_channel_new(struct probe *p, SpiceChannel *channel);

/* latency.c: key press to display update */
void latency_send(struct probe *p);
void latency_update(struct probe *p);

/* audio.c: playback capture, the test tone, volume */
void playback_channel_new(struct probe *p, SpiceChannel *channel);
void record_channel_new(struct probe *p, SpiceChannel *channel);
char *volume_line(struct probe *p, const char *prefix);

/* agent.c: the agent's readiness, agent commands, monitors */
void main_channel_new(struct probe *p, SpiceChannel *channel);
bool agent_has_cap(struct probe *p, guint32 cap);
char *agent_timeout_line(struct probe *p);
enum cmd_result agent_op_begin(struct probe *p, enum agent_op op, guint timeout_ms);
void agent_check(struct probe *p);
bool resize_answered(struct probe *p);

/* clipboard.c: both directions of the clipboard */
void clipboard_main_channel_new(struct probe *p, SpiceChannel *channel);
void clip_forget_all(struct probe *p);
char *clip_op_start(struct probe *p);
void clip_serve_deferred(struct probe *p);

/* files.c: send-file */
void files_main_channel_new(struct probe *p, SpiceChannel *channel);
char *file_send(struct probe *p);
char *file_timeout_line(struct probe *p);

#endif
