/*
 * spice-wl-probe: a headless SPICE client for testing spice-wl.
 *
 * It connects to a SPICE server with spice-client-glib (no GTK), tracks the
 * primary surface of display channel 0 and answers questions about it:
 * screenshots, pixel expectations, traffic statistics, and an interactive
 * line-based "session" mode that test harnesses drive over a pipe. It also
 * sends keyboard and mouse input on the inputs channel and reports what the
 * server sends back (keyboard LEDs, mouse mode, cursor shape), both as session
 * commands and as one-shot commands (`spice-wl-probe key 1e`). Agent commands
 * talk to the SPICE agent (spice-wl is its own) over the main channel: they
 * change the monitors configuration (`resize`) and read or set the clipboard.
 *
 * Exit codes: 0 success, 1 failure (connection, authentication, disconnect,
 * unmet expectation, I/O), 2 bad usage, 3 timeout.
 *
 * "Connected" means the primary surface exists and the server has marked
 * the display ready (SPICE_MSG_DISPLAY_MARK, sent after the initial image),
 * so a fresh all-black surface is never mistaken for content.
 *
 * Timing: --timeout bounds the time from start until connected; for
 * `screenshot` it bounds the whole run (including settling). Command timers
 * (expect --timeout-ms, stats --seconds and all session command timeouts)
 * start once connected. One-shot input commands also wait (within --timeout)
 * for the inputs channel to be initialised.
 *
 * The files, one per concern (probe.h holds the state, grouped the same way):
 *   main.c        the command line and --help
 *   connection.c  the session, its channels, connection errors, spice-glib's log
 *   display.c     the primary surface, display updates, statistics
 *   modes.c       the screenshot, expect and stats modes
 *   session.c     the session mode's line protocol
 *   oneshot.c     one session command from the command line
 *   input.c       keyboard, mouse and LEDs; cursor.c the cursor channel;
 *   latency.c     key press to display update
 *   agent.c       the agent, monitors; clipboard.c and files.c its other commands
 *   audio.c       playback capture, the test tone, volume
 *   util.c        logging, ending the run, parsing arguments
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "probe.h"

#define DEFAULT_TIMEOUT_S 20.0

static const char usage_text[] =
	"Usage: " PROBE_NAME " [OPTIONS] COMMAND [ARGS]\n"
	"\n"
	"Headless SPICE client for testing spice-wl.\n"
	"\n"
	"Options:\n"
	"  --host H            server host (default " DEFAULT_HOST ")\n"
	"  --port N            server port (default " DEFAULT_PORT ")\n"
	"  --uri spice://H:P   server URI (overrides --host/--port)\n"
	"  --unix PATH         connect to a unix socket instead\n"
	"  --tls-port N        connect with TLS to port N (plain --port only if given)\n"
	"  --ca-file FILE      CA certificate the server's must be signed by\n"
	"  --password-file F   password is the first line of F\n"
	"                      (default: $SPICE_WL_PASSWORD, else no password)\n"
	"  --username USER     user name, for a server with SASL (spice-wl --sasl);\n"
	"                      the password as above\n"
	"  --timeout S         seconds allowed until the display is ready (primary\n"
	"                      surface and initial image received; default 20;\n"
	"                      for screenshot: the whole run)\n"
	"  --hold MS           one-shot clipboard set: stay connected MS (default\n"
	"                      " G_STRINGIFY(DEFAULT_HOLD_MS) ", at least "
		G_STRINGIFY(INPUT_SETTLE_MS) ") serving the agent's requests\n"
	"  -v, --verbose       log progress to stderr (twice: spice-glib debug too)\n"
	"  -h, --help          show this help\n"
	"\n"
	"Commands:\n"
	"  screenshot --out FILE [--settle MS]\n"
	"      wait until no display update arrived for MS (default 300), write FILE\n"
	"      (PNG if it ends in .png, else binary PPM), print WxH\n"
	"  expect [--timeout-ms MS] X,Y=RRGGBB [X,Y=RRGGBB ...]\n"
	"      wait until every listed pixel has its colour and print ok; after MS\n"
	"      (default 5000, from connect) print 'fail X,Y got RRGGBB want RRGGBB'\n"
	"      for each mismatch and exit 1\n"
	"  stats [--seconds S]\n"
	"      stay connected S seconds (default 1) and print JSON statistics\n"
	"  session\n"
	"      line commands on stdin, one result line each on stdout:\n"
	"        wait-pixel X Y RRGGBB TIMEOUT_MS  -> ok | fail got RRGGBB\n"
	"        wait-update TIMEOUT_MS            -> ok | fail\n"
	"        quiet MS TIMEOUT_MS               -> ok | fail\n"
	"        pixel X Y                         -> RRGGBB\n"
	"        watch X Y [X Y ...]               -> ok; count the updates that change\n"
	"                                          each pixel (at most "
		G_STRINGIFY(MAX_WATCH) "); stats\n"
	"                                          gives them as \"watch\":[N,...]\n"
	"        size                              -> W H\n"
	"        screenshot FILE                   -> ok\n"
	"        stats                             -> JSON\n"
	"        quit                              -> ok, exit 0\n"
	"      and the input and agent commands below (-> ok unless shown otherwise).\n"
	"      asynchronous lines: 'connected WxH' (first line, then commands run;\n"
	"      earlier input is queued), 'primary W H' (primary re-created),\n"
	"      'disconnected' (connection lost or failed; exit 1, or 3 on timeout).\n"
	"      Results come in command order; EOF on stdin acts like quit. After\n"
	"      input was sent, quit exits " G_STRINGIFY(INPUT_SETTLE_MS) " ms later, so the server\n"
	"      reads it all.\n"
	"\n"
	"Input commands (session commands, and one-shot: '" PROBE_NAME " key 1e'):\n"
	"  key SC [SC ...]         press and release each key in order; SC is a\n"
	"                          hex PC XT (set 1) scancode: 1e, e048 (E0 key) or\n"
	"                          e11d45 (Pause)\n"
	"  keydown SC [SC ...]     press keys (hold, e.g. shift: keydown 2a)\n"
	"  keyup SC [SC ...]       release keys\n"
	"  type TEXT               type TEXT on a US layout (shift added as needed;\n"
	"                          newline -> Enter, tab -> Tab); in a session TEXT\n"
	"                          is the rest of the line (use key 1c for Enter);\n"
	"                          nothing is sent if a character has no key:\n"
	"                          error unsupported character 'X'\n"
	"  move X Y [DISPLAY]      absolute pointer position on a display (default\n"
	"                          0; client mouse mode), relative to that display\n"
	"  rmove DX DY             relative motion (server mouse mode)\n"
	"  click [BUTTON]          press and release BUTTON (default left) where the\n"
	"                          pointer is; BUTTON: left, middle, right, side,\n"
	"                          extra, up, down or SPICE_MOUSE_BUTTON_* 1-7\n"
	"  buttondown BUTTON       hold a button (later pointer input keeps it held)\n"
	"  buttonup BUTTON         release a button\n"
	"  wheel N                 N wheel steps, negative up, positive down (SPICE\n"
	"                          has no horizontal wheel)\n"
	"  mouse-mode              -> client | server\n"
	"  leds                    -> caps=0|1 num=0|1 scroll=0|1 (server LED state)\n"
	"  volume                  -> volume playback VOLUME MUTE record VOLUME MUTE: what\n"
	"                          the server told the audio channels to apply (VOLUME\n"
	"                          of the first channel, 0..65535, -1 if never told)\n"
	"  wait-volume playback|record MUTE VOLUME|any TIMEOUT_MS\n"
	"                          -> ok once the channel has that mute (0|1) and volume,\n"
	"                          else fail playback ... (as volume) after TIMEOUT_MS\n"
	"  wait-leds caps=0|1 [num=0|1] [scroll=0|1] TIMEOUT_MS\n"
	"                          -> ok once the LEDs match | fail caps=.. num=.. ..\n"
	"  cursor                  -> cursor W H HOTX HOTY visible=0|1 | none\n"
	"  wait-cursor TIMEOUT_MS [W H]\n"
	"                          -> ok once a cursor shape (of size WxH) was\n"
	"                          received | fail\n"
	"  latency [N [TIMEOUT_MS]] [--count N] [--timeout-ms MS] [--key SC]\n"
	"                          N times (default 10): wait until the display was\n"
	"                          quiet for 200 ms, press and release SC (default 1e,\n"
	"                          'a'), time the next display update; -> latency n=N\n"
	"                          median_ms=X p90_ms=X min_ms=X max_ms=X, or error\n"
	"                          timeout after K samples when a sample waits longer\n"
	"                          than TIMEOUT_MS (default 2000)\n"
	"  Input is sent in order and 'ok' means it was written to the socket. Input\n"
	"  commands need the inputs channel (else 'error inputs channel not ready').\n"
	"  One-shot: wait for the display and inputs channel (within --timeout), run\n"
	"  the command, print its result line (errors go to stderr), and after sending\n"
	"  input stay connected " G_STRINGIFY(INPUT_SETTLE_MS) " ms so the server reads it all.\n"
	"\n"
	"Agent commands (in a session, and one-shot: '" PROBE_NAME " resize 1024 768'):\n"
	"  agent [TIMEOUT_MS]      -> ok once the SPICE agent is connected and has sent\n"
	"                          its capabilities, fail after TIMEOUT_MS (default\n"
	"                          " G_STRINGIFY(DEFAULT_AGENT_TIMEOUT_MS) ")\n"
	"  display-mm ID WIDTH_MM HEIGHT_MM  -> ok (sent with the next resize)\n"
	"  resize W H [W H ...] [TIMEOUT_MS]\n"
	"                          send a monitors config with one display per W H,\n"
	"                          side by side; -> ok W H (the primary surface's size)\n"
	"                          once it is W1+W2+... x max(H) or was re-created\n"
	"                          with another size than before (the server's\n"
	"                          choice, e.g. clamped), else fail W H after\n"
	"                          TIMEOUT_MS (default " G_STRINGIFY(DEFAULT_RESIZE_TIMEOUT_MS) ")\n"
	"  monitors                -> monitors N ID:X,Y,WxH ... (the server's config)\n"
	"  clipboard get [primary] [TIMEOUT_MS]\n"
	"                          wait for the agent to grab the clipboard (or the\n"
	"                          primary selection; an earlier grab counts), request\n"
	"                          its text; -> text ESCAPED (backslash and control\n"
	"                          characters as \\xNN), or after TIMEOUT_MS (default\n"
	"                          " G_STRINGIFY(DEFAULT_CLIPBOARD_TIMEOUT_MS)
		"): fail no agent | fail no grab | fail timeout;\n"
	"                          fail no text (no UTF-8 type offered), fail no data\n"
	"  clipboard set [primary] TEXT\n"
	"                          grab the clipboard with TEXT (a session takes the\n"
	"                          rest of the line and unescapes \\n \\t \\r \\\\ \\xNN;\n"
	"                          one-shot takes the arguments literally); -> ok once\n"
	"                          the grab is sent (fail no agent after "
		G_STRINGIFY(DEFAULT_CLIPBOARD_TIMEOUT_MS) " ms).\n"
	"                          The agent's requests for TEXT are answered (silently)\n"
	"                          while connected, one-shot for --hold MS\n"
	"  clipboard get-file [primary] TYPE FILE [TIMEOUT_MS]\n"
	"                          as get, for TYPE (text png bmp tiff jpeg): the data\n"
	"                          goes to FILE; -> file SIZE | fail no such type | ...\n"
	"  clipboard set-file [primary] TYPE FILE\n"
	"                          as set, grabbing with TYPE and FILE's contents\n"
	"  clipboard types [primary]\n"
	"                          -> types N ... (VD_AGENT_CLIPBOARD_* of the agent's\n"
	"                          last grab) | none\n"
	"  clipboard served        -> served N (requests answered with our text)\n"
	"  send-file PATH [TIMEOUT_MS] [--cancel-after BYTES] [--exit-after BYTES]\n"
	"                          copy the file to the agent (as a file dropped on\n"
	"                          remote-viewer); -> ok once the agent saved it, fail\n"
	"                          MESSAGE when it refused it or the copy was cancelled,\n"
	"                          fail timeout after TIMEOUT_MS (default "
		G_STRINGIFY(DEFAULT_SEND_FILE_TIMEOUT_MS) ").\n"
	"                          --cancel-after: cancel once BYTES are sent;\n"
	"                          --exit-after: exit abruptly (status 1) once BYTES\n"
	"                          are sent, as a client that dies mid-way\n"
	"  Agent commands wait for the agent within their timeout; 'error agent lacks\n"
	"  ...' if it does not support them.\n"
	"\n"
	"Audio commands (in a session, and one-shot: '" PROBE_NAME " audio --seconds 3'):\n"
	"  audio [SECONDS] [--seconds S]\n"
	"                          record what the playback channel delivers for S\n"
	"                          seconds (default 1); -> audio format=s16 channels=2\n"
	"                          rate=R starts=N stops=N frames=N sound_s=X rms=X\n"
	"                          rms_dbfs=X peak=X freq_hz=X first_sound_us=T, where\n"
	"                          sound_s, rms, peak and freq_hz (zero crossings of\n"
	"                          the left channel) cover the first to the last sample\n"
	"                          above 1% of full scale and T is its arrival\n"
	"                          (CLOCK_MONOTONIC, us); 'fail no sound: ...' if none\n"
	"  audio-start             (session) start such a capture -> ok\n"
	"  audio-wait TIMEOUT_MS   (session) -> ok once playback stopped after sound\n"
	"                          since audio-start, else fail no sound | fail still\n"
	"                          playing\n"
	"  audio-stats             (session) -> audio ... of the capture so far\n"
	"  tone [FREQ [SECONDS [AMPLITUDE]]] [--freq HZ] [--seconds S]\n"
	"       [--amplitude 0..1] [--timeout-ms MS]\n"
	"                          once the server started recording (within MS,\n"
	"                          default " G_STRINGIFY(DEFAULT_TONE_TIMEOUT_MS) "), send a sine\n"
	"                          (default 440 Hz, 1 s, 0.5) on the record channel\n"
	"                          in real time; -> ok sent=FRAMES rate=R\n"
	"  The probe handles the audio channels itself: nothing plays or records on\n"
	"  its machine.\n"
	"\n"
	"Exit status: 0 ok, 1 failure, 2 usage, 3 timeout.\n";

/* Options that name the server or the credentials, and what their value must be. */
enum value_check {
	VALUE_GIVEN,
	VALUE_NONEMPTY,
	VALUE_PORT,
	VALUE_URI,
};

static const struct target_option {
	const char *name;
	size_t offset; /* of its const char * in struct probe_target */
	enum value_check check;
	const char *error;
} target_options[] = {
	{"--host", offsetof(struct probe_target, host), VALUE_NONEMPTY, "--host needs a value"},
	{"--port", offsetof(struct probe_target, port), VALUE_PORT,
		"--port needs a number in 1..65535"},
	{"--tls-port", offsetof(struct probe_target, tls_port), VALUE_PORT,
		"--tls-port needs a number in 1..65535"},
	{"--ca-file", offsetof(struct probe_target, ca_file), VALUE_NONEMPTY,
		"--ca-file needs a file"},
	{"--unix", offsetof(struct probe_target, unix_path), VALUE_NONEMPTY,
		"--unix needs a socket path"},
	{"--uri", offsetof(struct probe_target, uri), VALUE_URI,
		"--uri needs a spice://HOST:PORT URI"},
	{"--password-file", offsetof(struct probe_target, password_file), VALUE_GIVEN,
		"--password-file needs a file"},
	{"--username", offsetof(struct probe_target, username), VALUE_NONEMPTY,
		"--username needs a user name"},
};

static bool value_ok(const char *value, enum value_check check) {
	long port;
	switch (check) {
	case VALUE_GIVEN:
		return value != NULL;
	case VALUE_NONEMPTY:
		return value != NULL && *value != '\0';
	case VALUE_PORT:
		return parse_long(value, 1, 65535, &port);
	case VALUE_URI:
		return value != NULL && g_str_has_prefix(value, "spice://");
	}
	return false;
}

/* One of target_options at argv[*i]: false if it is none; *status set on a bad value. */
static bool target_option(struct probe_target *t, int argc, char **argv, int *i, int *status) {
	for (size_t k = 0; k < G_N_ELEMENTS(target_options); k++) {
		const struct target_option *o = &target_options[k];
		const char *value = NULL;
		if (!take_option(argc, argv, i, o->name, &value)) {
			continue;
		}
		if (value_ok(value, o->check)) {
			*(const char **)(void *)((char *)t + o->offset) = value;
		} else {
			*status = usage_error("%s", o->error);
		}
		return true;
	}
	return false;
}

/*
 * A global option at argv[*i] (they are accepted anywhere): false if it is
 * none. *status is set when the run ends here (--help, a bad value).
 */
static bool global_option(struct probe *p, struct probe_target *t, int argc, char **argv,
		int *i, int *status) {
	const char *a = argv[*i];
	const char *value = NULL;
	if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
		fputs(usage_text, stdout);
		*status = PROBE_EXIT_OK;
	} else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
		p->verbose++;
	} else if (strcmp(a, "-vv") == 0) {
		p->verbose += 2;
	} else if (take_option(argc, argv, i, "--timeout", &value)) {
		if (!parse_seconds(value, &p->timeout_s) || p->timeout_s <= 0.0) {
			*status = usage_error("--timeout needs a positive number of seconds");
		}
	} else if (take_option(argc, argv, i, "--hold", &value)) {
		if (!parse_ms(value, &p->oneshot.hold_ms)) {
			*status = usage_error("--hold needs a number of milliseconds");
		}
	} else {
		return target_option(t, argc, argv, i, status);
	}
	return true;
}

/* Picks the mode for COMMAND and lets it parse args; returns -1, or the exit status. */
static int select_mode(struct probe *p, const char *command, GPtrArray *args) {
	static const struct probe_mode *const modes[] = {
		&probe_screenshot_mode, &probe_expect_mode, &probe_stats_mode, &probe_session_mode,
	};
	if (command == NULL) {
		return usage_error("missing COMMAND");
	}
	for (size_t i = 0; i < G_N_ELEMENTS(modes); i++) {
		if (strcmp(command, modes[i]->name) == 0) {
			p->mode = modes[i];
		}
	}
	if (p->mode == NULL) {
		p->oneshot.cmd = find_cli_cmd(command);
		if (p->oneshot.cmd != NULL) {
			p->mode = &probe_oneshot_mode;
		}
	}
	if (p->mode == NULL) {
		return usage_error("unknown command %s", command);
	}
	if (!p->mode->parse(p, (int)args->len, (char **)args->pdata)) {
		return usage_error("bad arguments for %s", command);
	}
	return -1;
}

/* Reads the command line into p and t; returns -1 to go on, else the exit status. */
static int parse_command_line(struct probe *p, struct probe_target *t, int argc, char **argv) {
	const char *command = NULL;
	GPtrArray *args = g_ptr_array_new();
	int status = -1;
	/* Global options are accepted anywhere; the rest belongs to COMMAND. */
	for (int i = 1; i < argc && status < 0; i++) {
		if (global_option(p, t, argc, argv, &i, &status)) {
			continue;
		}
		if (command != NULL) {
			g_ptr_array_add(args, argv[i]);
		} else if (argv[i][0] == '-') {
			status = usage_error("unknown option %s", argv[i]);
		} else {
			command = argv[i];
		}
	}
	if (status < 0) {
		status = select_mode(p, command, args);
	}
	g_ptr_array_free(args, TRUE);
	return status;
}

static char *read_password_file(const char *path, char **err) {
	char *contents = NULL;
	GError *error = NULL;
	if (!g_file_get_contents(path, &contents, NULL, &error)) {
		*err = g_strdup(error->message);
		g_error_free(error);
		return NULL;
	}
	contents[strcspn(contents, "\r\n")] = '\0';
	return contents;
}

/* The password: --password-file's first line, else $SPICE_WL_PASSWORD, else none. */
static int read_password(const struct probe_target *t, char **password) {
	if (t->password_file != NULL) {
		char *err = NULL;
		*password = read_password_file(t->password_file, &err);
		if (*password == NULL) {
			fprintf(stderr, PROBE_NAME ": cannot read password file: %s\n", err);
			g_free(err);
			return PROBE_EXIT_USAGE;
		}
	} else if (g_getenv("SPICE_WL_PASSWORD") != NULL) {
		*password = g_strdup(g_getenv("SPICE_WL_PASSWORD"));
	}
	return -1;
}

static void probe_cleanup(struct probe *p) {
	fflush(stdout);
	clear_source(&p->deadline_source);
	clear_source(&p->mark_fallback_source);
	clear_source(&p->settle_source);
	clear_source(&p->expect.source);
	clear_source(&p->stats.source);
	clear_source(&p->wait.timeout_source);
	clear_source(&p->wait.quiet_source);
	clear_source(&p->queue.stdin_source);
	clear_source(&p->lock_sync_source);
	clear_source(&p->tone.source);
	spice_session_disconnect(p->session);
	g_object_unref(p->session);
	g_ptr_array_free(p->ch.seen, TRUE);
	if (p->queue.stdin_channel != NULL) {
		g_io_channel_unref(p->queue.stdin_channel);
		g_string_free(p->queue.stdin_buf, TRUE);
		g_queue_free_full(p->queue.lines, g_free);
	}
	if (p->expect.pixels != NULL) {
		g_array_free(p->expect.pixels, TRUE);
	}
	if (p->latency.samples != NULL) {
		g_array_free(p->latency.samples, TRUE);
	}
	if (p->audio.capture != NULL) {
		g_array_free(p->audio.capture, TRUE);
	}
	for (guint i = 0; i < CLIP_SELECTIONS; i++) {
		if (p->clip.grab[i].types != NULL) {
			g_array_free(p->clip.grab[i].types, TRUE);
		}
		g_free(p->clip.text[i]);
	}
	if (p->clip.deferred != NULL) {
		g_array_free(p->clip.deferred, TRUE);
	}
	g_free(p->agent.text);
	g_free(p->oneshot.argv);
	g_free(p->oneshot.error);
	g_free(p->oneshot.line);
	g_main_loop_unref(p->loop);
	g_free(p->host);
	g_free(p->port);
}

int main(int argc, char **argv) {
	struct probe probe = {0};
	struct probe *p = &probe;
	struct probe_target target = {0};
	char *password = NULL;
	p->timeout_s = DEFAULT_TIMEOUT_S;
	p->oneshot.hold_ms = DEFAULT_HOLD_MS;

	int status = parse_command_line(p, &target, argc, argv);
	if (status < 0) {
		status = read_password(&target, &password);
	}
	if (status >= 0) {
		return status;
	}
	probe_log_handlers_install(p);
	status = probe_connect(p, &target, password);
	if (status < 0) {
		g_main_loop_run(p->loop);
		status = p->exit_code;
		probe_cleanup(p);
	}
	g_free(password);
	return status;
}
