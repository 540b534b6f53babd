/*
 * The session's side of audio: names the FIFOs the backend plays from and
 * records into (in $XDG_RUNTIME_DIR, told to COMMAND as SPICE_WL_PLAYBACK and
 * SPICE_WL_RECORD), and, when a PulseAudio-compatible sound server (PulseAudio
 * or pipewire-pulse) runs in the session, attaches them to it as a pipe sink
 * and a pipe source made the defaults, removed again at exit.
 *
 * The sound server is driven with pactl, one child at a time, so the event
 * loop never waits for it; a sound server that is missing or refuses is
 * logged and the FIFOs work on their own.
 *
 * pactl's output is read until pactl exits, not until end-of-file: a process
 * it started (a sound server it autospawned) may keep the pipe open for good,
 * and must hold up neither a step nor the exit.
 *
 * Once attached, the sound server applies the volume, once: the client's
 * volume and mute (VD_AGENT_AUDIO_VOLUME_SYNC, reported when it connects)
 * are set on the sink and source, and every client is told to play and
 * record at full volume, muted as the sink and source are. spice-gtk applies
 * the volume spice-wl tells it to its own stream, so forwarding the sink's
 * volume as well would apply it twice; the mute is forwarded (muting twice
 * changes nothing) so the client's mixer shows it. A long-running `pactl
 * subscribe` reports the session's own changes.
 */
#define _GNU_SOURCE // pipe2
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <wlr/util/log.h>
#include "clock.h"
#include "server.h"
#include "wlr_spice.h"

/* Other spice-wl sessions in the same runtime directory get a suffix. */
#define MAX_INSTANCES 10
/* pactl's output kept for messages and module numbers. */
#define MAX_OUTPUT 512
/* A pactl that takes longer is killed; at exit, each is waited for this long. */
#define STEP_TIMEOUT_MS 5000
#define EXIT_TIMEOUT_MS 2000

enum step {
	STEP_LOAD_SINK,
	STEP_DEFAULT_SINK,
	STEP_LOAD_SOURCE,
	STEP_DEFAULT_SOURCE,
	STEP_DONE,
	STEP_CONTROL, // one of the control commands below, once attached
};

/* Control commands pending, run one at a time in this order. */
enum control {
	CONTROL_SINK_VOLUME = 1 << 0,
	CONTROL_SINK_MUTE = 1 << 1,
	CONTROL_SOURCE_VOLUME = 1 << 2,
	CONTROL_SOURCE_MUTE = 1 << 3,
	CONTROL_QUERY_SINK = 1 << 4, // the sink's mute goes to the client
	CONTROL_QUERY_SOURCE = 1 << 5,
	CONTROL_ALL = (1 << 6) - 1,
};

struct swl_audio {
	struct swl_server *server;
	char playback_path[PATH_MAX], record_path[PATH_MAX];
	// The sound server's pipe source makes its own FIFO (PulseAudio refuses
	// an existing one); the microphone goes there while it is attached.
	char source_path[PATH_MAX];
	char sink_name[32], source_name[32];
	int lock_fd; // flock'ed while this session owns the names
	uint32_t rate;

	// The pactl child running, if any.
	enum step step;
	pid_t pid;
	int out_fd;
	struct wl_event_source *out_source, *timeout;
	char out[MAX_OUTPUT];
	size_t out_len;
	bool exited;
	int status;

	int sink_module, source_module; // -1 while not loaded

	// The client's volume and mute, for the sink and source (control below).
	struct wl_listener volume;
	bool volume_listening;
	uint32_t pending; // enum control bits
	enum control control; // the one running (STEP_CONTROL)
	char sink_volume[16], source_volume[16]; // pactl's linear factors, "0.5000"
	bool sink_mute, source_mute;

	// `pactl subscribe`: the session's own volume changes.
	pid_t sub_pid;
	int sub_fd;
	struct wl_event_source *sub_source;
	char sub_line[256];
	size_t sub_len;
};

/*
 * Whether the file at path, if any, is ours: our effective uid (root passes
 * every permission check, so the owner is compared) and, unless it may be
 * made private, no access for others. A name with a file of another user
 * (it could hear the microphone or inject sound) is not taken.
 */
static bool file_is_ours(const char *path, bool fifo) {
	struct stat st;
	if (lstat(path, &st) != 0) {
		return errno == ENOENT;
	}
	if (fifo ? !S_ISFIFO(st.st_mode) : !S_ISREG(st.st_mode)) {
		wlr_log(WLR_ERROR, "audio: %s is not a %s; trying the next name", path,
				fifo ? "FIFO" : "regular file");
		return false;
	}
	if (st.st_uid != geteuid()) {
		wlr_log(WLR_ERROR, "audio: %s belongs to uid %u, not to us; trying the next name", path,
				(unsigned)st.st_uid);
		return false;
	}
	return true;
}

/*
 * Opens (creating it) the lock file of an instance name, refusing one that
 * another user made or can change.
 */
static int open_lock(const char *path) {
	int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0600);
	if (fd < 0) {
		wlr_log_errno(WLR_ERROR, "audio: cannot open %s; trying the next name", path);
		return -1;
	}
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
		wlr_log(WLR_ERROR, "audio: %s is not a file of ours; trying the next name", path);
		close(fd);
		return -1;
	}
	if ((st.st_mode & 077) != 0 && fchmod(fd, 0600) != 0) {
		wlr_log_errno(WLR_ERROR, "audio: cannot make %s private", path);
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Takes the first free instance name: spice-wl, spice-wl-1, ... A name is
 * free when its lock is not held (the FIFOs of a session of ours that was
 * killed are replaced by the backend) and nothing of another user is there.
 */
static bool pick_names(struct swl_audio *audio, const char *dir) {
	for (int i = 0; i < MAX_INSTANCES; i++) {
		char suffix[8] = "";
		if (i > 0) {
			snprintf(suffix, sizeof(suffix), "-%d", i);
		}
		char lock_path[PATH_MAX];
		int n = snprintf(lock_path, sizeof(lock_path), "%s/spice-wl%s-audio.lock", dir, suffix);
		if (n < 0 || (size_t)n >= sizeof(lock_path)) {
			return false;
		}
		int fd = open_lock(lock_path);
		if (fd < 0) {
			continue;
		}
		if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
			close(fd);
			continue;
		}
		snprintf(audio->playback_path, sizeof(audio->playback_path), "%s/spice-wl%s-playback", dir,
				suffix);
		snprintf(audio->record_path, sizeof(audio->record_path), "%s/spice-wl%s-record", dir,
				suffix);
		snprintf(audio->source_path, sizeof(audio->source_path), "%s/spice-wl%s-mic", dir, suffix);
		if (!file_is_ours(audio->playback_path, true) || !file_is_ours(audio->record_path, true) ||
				!file_is_ours(audio->source_path, true)) {
			close(fd);
			continue;
		}
		audio->lock_fd = fd;
		snprintf(audio->sink_name, sizeof(audio->sink_name), "spice-wl%s", suffix);
		snprintf(audio->source_name, sizeof(audio->source_name), "spice-wl%s-mic", suffix);
		return true;
	}
	wlr_log(WLR_ERROR, "audio: no free name for the FIFOs in %s among %d", dir, MAX_INSTANCES);
	return false;
}

struct swl_audio *swl_audio_create(struct swl_server *server) {
	const char *dir = getenv("XDG_RUNTIME_DIR");
	if (dir == NULL) {
		return NULL;
	}
	struct swl_audio *audio = calloc(1, sizeof(*audio));
	if (audio == NULL) {
		return NULL;
	}
	audio->server = server;
	audio->lock_fd = -1;
	audio->out_fd = -1;
	audio->sink_module = audio->source_module = -1;
	audio->sub_fd = -1;
	audio->step = STEP_DONE;
	if (!pick_names(audio, dir)) {
		free(audio);
		return NULL;
	}
	// For COMMAND and its children: where to write sound and read the microphone.
	setenv("SPICE_WL_PLAYBACK", audio->playback_path, true);
	setenv("SPICE_WL_RECORD", audio->record_path, true);
	return audio;
}

const char *swl_audio_playback_path(struct swl_audio *audio) {
	return audio != NULL ? audio->playback_path : NULL;
}

const char *swl_audio_record_path(struct swl_audio *audio) {
	return audio != NULL ? audio->record_path : NULL;
}

/* Whether a PulseAudio-compatible server is there to attach to. */
static bool sound_server_present(void) {
	const char *server = getenv("PULSE_SERVER");
	if (server != NULL && server[0] != '\0') {
		return true;
	}
	const char *dir = getenv("XDG_RUNTIME_DIR");
	char path[PATH_MAX];
	struct stat st;
	int n = snprintf(path, sizeof(path), "%s/pulse/native", dir != NULL ? dir : "");
	return dir != NULL && n > 0 && (size_t)n < sizeof(path) && stat(path, &st) == 0 &&
			S_ISSOCK(st.st_mode);
}

/* Makes fd become `to` in a child about to exec, keeping it open across the exec. */
static void redirect(int fd, int to) {
	if (fd == to) {
		fcntl(fd, F_SETFD, 0); // dup2 would leave close-on-exec set
	} else {
		dup2(fd, to);
	}
}

/* Starts pactl with args; its stdout and stderr come back on *out_fd, non-blocking. */
static pid_t spawn_pactl(char *const args[], int *out_fd) {
	int pipe_fds[2];
	if (pipe2(pipe_fds, O_CLOEXEC | O_NONBLOCK) != 0) {
		wlr_log_errno(WLR_ERROR, "audio: pipe");
		return -1;
	}
	// Only our end is non-blocking: pactl's writes must not fail on a full pipe.
	fcntl(pipe_fds[1], F_SETFL, 0);
	pid_t pid = fork();
	if (pid < 0) {
		wlr_log_errno(WLR_ERROR, "audio: fork");
		close(pipe_fds[0]);
		close(pipe_fds[1]);
		return -1;
	}
	if (pid == 0) {
		// The parent has threads (spice-server's): only async-signal-safe
		// calls until exec, so no stdio, no strerror, no malloc.
		// The event loop blocks signals for its signalfd; pactl needs them.
		sigset_t set;
		sigemptyset(&set);
		sigprocmask(SIG_SETMASK, &set, NULL);
		signal(SIGPIPE, SIG_DFL);
		int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (null_fd >= 0) {
			redirect(null_fd, STDIN_FILENO);
		}
		redirect(pipe_fds[1], STDOUT_FILENO);
		redirect(pipe_fds[1], STDERR_FILENO);
		char *argv[12] = { "pactl" };
		for (int i = 0; args[i] != NULL && i < 10; i++) {
			argv[i + 1] = args[i];
		}
		// Only the three streams reach pactl; it dies with spice-wl.
		if (!swl_children_exec_prepare(SIGKILL)) {
			_exit(127);
		}
		execvp("pactl", argv);
		static const char msg[] = "cannot run pactl\n";
		ssize_t written = write(STDERR_FILENO, msg, sizeof(msg) - 1);
		(void)written;
		_exit(127);
	}
	close(pipe_fds[1]);
	*out_fd = pipe_fds[0];
	return pid;
}

/*
 * Reads what the non-blocking fd holds into buf (of cap bytes, *len used, one
 * kept for a NUL). Once pactl has exited, all it wrote is there; what comes
 * later is not its output.
 */
static void drain_output(int fd, char *buf, size_t *len, size_t cap) {
	while (fd >= 0 && *len < cap - 1) {
		ssize_t n = read(fd, buf + *len, cap - 1 - *len);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n <= 0) {
			return;
		}
		*len += (size_t)n;
	}
}

static void run_step(struct swl_audio *audio);
static void run_control(struct swl_audio *audio);
static void spawn_step(struct swl_audio *audio, char *const args[]);
static void start_subscribe(struct swl_audio *audio);

static void end_child_io(struct swl_audio *audio) {
	if (audio->out_source != NULL) {
		wl_event_source_remove(audio->out_source);
		audio->out_source = NULL;
	}
	if (audio->timeout != NULL) {
		wl_event_source_remove(audio->timeout);
		audio->timeout = NULL;
	}
	if (audio->out_fd >= 0) {
		close(audio->out_fd);
		audio->out_fd = -1;
	}
}

/* pactl's output as one line for the log. */
static const char *output_line(struct swl_audio *audio) {
	audio->out[audio->out_len] = '\0';
	for (size_t i = 0; i < audio->out_len; i++) {
		if (audio->out[i] == '\n') {
			audio->out[i] = i + 1 == audio->out_len ? '\0' : ' ';
		}
	}
	return audio->out;
}

/* A control command ended: a query's answer goes to the client. */
static void finish_control(struct swl_audio *audio, bool ok, const char *out) {
	enum control control = audio->control;
	if (ok && (control == CONTROL_QUERY_SINK || control == CONTROL_QUERY_SOURCE)) {
		// "Mute: yes" or "Mute: no"
		const char *answer = strstr(out, "Mute: ");
		ok = answer != NULL;
		if (ok) {
			bool mute = strncmp(answer + 6, "yes", 3) == 0;
			wlr_spice_backend_set_client_volume(
					audio->server->backend, control == CONTROL_QUERY_SINK, mute);
		}
	}
	if (!ok) {
		wlr_log(WLR_ERROR, "audio: the sound server refused a volume control: %s",
				out[0] != '\0' ? out : "pactl failed");
	}
}

/* The child of the current step is gone and its output read: act on it. */
static void finish_step(struct swl_audio *audio, bool at_exit) {
	end_child_io(audio);
	audio->pid = 0;
	bool ok = WIFEXITED(audio->status) && WEXITSTATUS(audio->status) == 0;
	const char *out = output_line(audio);
	enum step step = audio->step;
	if (step == STEP_CONTROL) {
		finish_control(audio, ok, out);
		audio->out_len = 0;
		audio->step = STEP_DONE;
		if (!at_exit) {
			run_control(audio);
		}
		return;
	}
	if (step == STEP_LOAD_SINK || step == STEP_LOAD_SOURCE) {
		char *end = NULL;
		long module = strtol(out, &end, 10);
		ok = ok && end != out && module >= 0 && module <= INT_MAX;
		if (ok && step == STEP_LOAD_SINK) {
			audio->sink_module = (int)module;
		} else if (ok) {
			audio->source_module = (int)module;
			wlr_spice_backend_set_record_fifo(audio->server->backend, audio->source_path);
		}
	}
	if (!ok) {
		wlr_log(WLR_ERROR, "audio: the sound server refused %s: %s",
				step == STEP_LOAD_SINK           ? "the pipe sink" :
						step == STEP_LOAD_SOURCE ? "the pipe source" :
												   "a new default",
				out[0] != '\0' ? out : "pactl failed");
	}
	audio->out_len = 0;
	if (at_exit) {
		audio->step = STEP_DONE;
		return;
	}
	// A sink that did not load is not made the default; the source is tried anyway.
	audio->step = step == STEP_LOAD_SINK && !ok ? STEP_LOAD_SOURCE :
			step == STEP_LOAD_SOURCE && !ok     ? STEP_DONE :
												  step + 1;
	if (audio->step == STEP_DONE) {
		if (audio->sink_module >= 0 || audio->source_module >= 0) {
			wlr_log(WLR_INFO, "audio: sound server attached: sink %s, source %s",
					audio->sink_module >= 0 ? audio->sink_name : "(none)",
					audio->source_module >= 0 ? audio->source_name : "(none)");
			start_subscribe(audio);
			// Clients play at full volume from now on, muted as the session is.
			audio->pending |= CONTROL_QUERY_SINK | CONTROL_QUERY_SOURCE;
		}
		run_control(audio);
		return;
	}
	run_step(audio);
}

static int handle_output(int fd, uint32_t mask, void *data) {
	struct swl_audio *audio = data;
	char buf[256];
	ssize_t n = read(fd, buf, sizeof(buf));
	if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
		return 0;
	}
	if (n <= 0) {
		// pactl's exit finishes the step, end-of-file or not.
		wl_event_source_remove(audio->out_source);
		audio->out_source = NULL;
		return 0;
	}
	size_t room = MAX_OUTPUT - 1 - audio->out_len;
	size_t k = (size_t)n < room ? (size_t)n : room;
	memcpy(audio->out + audio->out_len, buf, k);
	audio->out_len += k;
	return 0;
}

static int handle_timeout(void *data) {
	struct swl_audio *audio = data;
	if (audio->pid <= 0) {
		return 0;
	}
	if (audio->exited) {
		// Reaped (its pid may be another process's by now): nothing to
		// kill. Not expected, as its exit finishes the step; finish it.
		drain_output(audio->out_fd, audio->out, &audio->out_len, MAX_OUTPUT);
		finish_step(audio, false);
		return 0;
	}
	// Not reaped yet, so the pid is still pactl's; its exit finishes the step.
	wlr_log(WLR_ERROR, "audio: pactl did not answer in %d ms; killing it", STEP_TIMEOUT_MS);
	kill(audio->pid, SIGKILL);
	return 0;
}

static void run_step(struct swl_audio *audio) {
	char *args[10] = { NULL };
	// The two load steps differ only in these.
	const char *module = NULL, *path = NULL, *name_key = NULL, *name = NULL, *props = NULL;
	switch (audio->step) {
	case STEP_LOAD_SINK:
		module = "module-pipe-sink";
		path = audio->playback_path;
		name_key = "sink_name";
		name = audio->sink_name;
		props = "sink_properties=device.description=SPICE";
		break;
	case STEP_DEFAULT_SINK:
		args[0] = "set-default-sink";
		args[1] = audio->sink_name;
		break;
	case STEP_LOAD_SOURCE:
		// A leftover of a session that was killed would make it fail.
		unlink(audio->source_path);
		module = "module-pipe-source";
		path = audio->source_path;
		name_key = "source_name";
		name = audio->source_name;
		props = "source_properties=device.description=SPICE-microphone";
		break;
	case STEP_DEFAULT_SOURCE:
		args[0] = "set-default-source";
		args[1] = audio->source_name;
		break;
	case STEP_DONE:
	case STEP_CONTROL:
		return;
	}
	char file_arg[PATH_MAX + 8], name_arg[64], rate_arg[32];
	if (module != NULL) {
		snprintf(file_arg, sizeof(file_arg), "file=%s", path);
		snprintf(name_arg, sizeof(name_arg), "%s=%s", name_key, name);
		snprintf(rate_arg, sizeof(rate_arg), "rate=%u", audio->rate);
		char *load[] = { "load-module", (char *)module, file_arg, "format=s16le", rate_arg,
			"channels=2", name_arg, (char *)props };
		memcpy(args, load, sizeof(load));
	}
	spawn_step(audio, args);
}

/* Starts pactl with args as the current step's child. */
static void spawn_step(struct swl_audio *audio, char *const args[]) {
	audio->out_len = 0;
	audio->exited = false;
	audio->pid = spawn_pactl(args, &audio->out_fd);
	if (audio->pid < 0) {
		audio->pid = 0;
		audio->step = STEP_DONE;
		return;
	}
	struct wl_event_loop *loop = audio->server->loop;
	audio->out_source =
			wl_event_loop_add_fd(loop, audio->out_fd, WL_EVENT_READABLE, handle_output, audio);
	audio->timeout = wl_event_loop_add_timer(loop, handle_timeout, audio);
	if (audio->timeout != NULL) {
		wl_event_source_timer_update(audio->timeout, STEP_TIMEOUT_MS);
	}
}

/* Runs the next pending control command, unless a step is running. */
static void run_control(struct swl_audio *audio) {
	if (audio->pid > 0 || audio->step != STEP_DONE) {
		return; // its end runs this again
	}
	// Commands for a sink or source that is not there are dropped.
	if (audio->sink_module < 0) {
		audio->pending &= ~(uint32_t)(CONTROL_SINK_VOLUME | CONTROL_SINK_MUTE |
				CONTROL_QUERY_SINK);
	}
	if (audio->source_module < 0) {
		audio->pending &= ~(uint32_t)(CONTROL_SOURCE_VOLUME | CONTROL_SOURCE_MUTE |
				CONTROL_QUERY_SOURCE);
	}
	if (audio->pending == 0) {
		return;
	}
	enum control control = audio->pending & -audio->pending; // the lowest bit
	audio->pending &= ~(uint32_t)control;
	char *args[4] = { NULL };
	bool sink = control == CONTROL_SINK_VOLUME || control == CONTROL_SINK_MUTE ||
			control == CONTROL_QUERY_SINK;
	char *name = sink ? audio->sink_name : audio->source_name;
	switch (control) {
	case CONTROL_SINK_VOLUME:
	case CONTROL_SOURCE_VOLUME:
		args[0] = sink ? "set-sink-volume" : "set-source-volume";
		args[2] = sink ? audio->sink_volume : audio->source_volume;
		break;
	case CONTROL_SINK_MUTE:
	case CONTROL_SOURCE_MUTE:
		args[0] = sink ? "set-sink-mute" : "set-source-mute";
		args[2] = (sink ? audio->sink_mute : audio->source_mute) ? "1" : "0";
		break;
	default:
		args[0] = sink ? "get-sink-mute" : "get-source-mute";
		break;
	}
	args[1] = name;
	audio->step = STEP_CONTROL;
	audio->control = control;
	spawn_step(audio, args);
}

/* The client's volume and mute: the sound server applies them from now on. */
static void handle_volume(struct wl_listener *listener, void *data) {
	struct swl_audio *audio = wl_container_of(listener, audio, volume);
	struct wlr_spice_volume_event *event = data;
	if ((event->playback ? audio->sink_module : audio->source_module) < 0) {
		return; // not attached: the backend honours the mute itself
	}
	uint64_t sum = 0;
	for (size_t i = 0; i < event->nchannels; i++) {
		sum += event->volume[i];
	}
	double factor = event->nchannels > 0 ? (double)sum / event->nchannels / 65535.0 : 1.0;
	char *volume = event->playback ? audio->sink_volume : audio->source_volume;
	snprintf(volume, sizeof(audio->sink_volume), "%.4f", factor);
	wlr_log(WLR_INFO, "audio: client %s volume %.0f%% (linear)%s: set on %s", event->playback ?
			"playback" : "record", factor * 100, event->mute ? ", muted" : "",
			event->playback ? audio->sink_name : audio->source_name);
	if (event->playback) {
		audio->sink_mute = event->mute;
		audio->pending |= CONTROL_SINK_VOLUME | CONTROL_SINK_MUTE | CONTROL_QUERY_SINK;
	} else {
		audio->source_mute = event->mute;
		audio->pending |= CONTROL_SOURCE_VOLUME | CONTROL_SOURCE_MUTE | CONTROL_QUERY_SOURCE;
	}
	event->handled = true;
	run_control(audio);
}

static void end_subscribe(struct swl_audio *audio) {
	if (audio->sub_source != NULL) {
		wl_event_source_remove(audio->sub_source);
		audio->sub_source = NULL;
	}
	if (audio->sub_fd >= 0) {
		close(audio->sub_fd);
		audio->sub_fd = -1;
	}
}

/* A line of `pactl subscribe`, e.g. "Event 'change' on sink #3". */
static void handle_sub_line(struct swl_audio *audio, const char *line) {
	if (strstr(line, "'change'") == NULL) {
		return;
	}
	if (strstr(line, " on sink #") != NULL) {
		audio->pending |= CONTROL_QUERY_SINK;
	} else if (strstr(line, " on source #") != NULL) {
		audio->pending |= CONTROL_QUERY_SOURCE;
	}
}

static int handle_sub_output(int fd, uint32_t mask, void *data) {
	struct swl_audio *audio = data;
	ssize_t n = read(fd, audio->sub_line + audio->sub_len,
			sizeof(audio->sub_line) - 1 - audio->sub_len);
	if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
		return 0;
	}
	if (n <= 0) {
		end_subscribe(audio);
		return 0;
	}
	audio->sub_len += (size_t)n;
	audio->sub_line[audio->sub_len] = '\0';
	char *start = audio->sub_line, *end;
	while ((end = strchr(start, '\n')) != NULL) {
		*end = '\0';
		handle_sub_line(audio, start);
		start = end + 1;
	}
	// A line too long for the buffer is not one of ours: dropped.
	size_t rest = strlen(start);
	rest = rest >= sizeof(audio->sub_line) - 1 ? 0 : rest;
	memmove(audio->sub_line, start, rest);
	audio->sub_len = rest;
	run_control(audio);
	return 0;
}

static void start_subscribe(struct swl_audio *audio) {
	char *args[] = { "subscribe", NULL };
	audio->sub_pid = spawn_pactl(args, &audio->sub_fd);
	if (audio->sub_pid < 0) {
		audio->sub_pid = 0;
		return;
	}
	audio->sub_source = wl_event_loop_add_fd(audio->server->loop, audio->sub_fd,
			WL_EVENT_READABLE, handle_sub_output, audio);
}

void swl_audio_attach(struct swl_audio *audio) {
	if (audio == NULL) {
		return;
	}
	audio->rate = wlr_spice_backend_get_audio_rate(audio->server->backend);
	if (!sound_server_present()) {
		wlr_log(WLR_INFO, "audio: no sound server in the session; FIFOs only");
		return;
	}
	struct wlr_spice_agent_events *events =
			wlr_spice_backend_get_agent_events(audio->server->backend);
	if (events != NULL) {
		audio->volume.notify = handle_volume;
		wl_signal_add(&events->volume, &audio->volume);
		audio->volume_listening = true;
	}
	audio->step = STEP_LOAD_SINK;
	run_step(audio);
}

bool swl_audio_child_exited(struct swl_audio *audio, pid_t pid, int status) {
	if (audio != NULL && audio->sub_pid > 0 && pid == audio->sub_pid) {
		// Not restarted: the session's own volume changes are no longer seen.
		wlr_log(WLR_INFO, "audio: pactl subscribe ended");
		audio->sub_pid = 0;
		end_subscribe(audio);
		return true;
	}
	if (audio == NULL || audio->pid <= 0 || pid != audio->pid) {
		return false;
	}
	audio->exited = true;
	audio->status = status;
	// What it wrote and the event loop has not read yet is in the pipe.
	drain_output(audio->out_fd, audio->out, &audio->out_len, MAX_OUTPUT);
	finish_step(audio, false);
	return true;
}

/*
 * Waits for pid until deadline_ms (CLOCK_MONOTONIC), then kills it: at exit
 * the event loop no longer runs, and a pactl that hangs must not keep
 * COMMAND's exit status from being returned.
 */
static void wait_or_kill(pid_t pid, int64_t deadline_ms, int *status) {
	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG);
		if (r == pid || (r < 0 && errno != EINTR)) {
			return;
		}
		if (swl_clock_now(SWL_CLOCK_MS) >= deadline_ms) {
			break;
		}
		struct timespec ms = { .tv_nsec = 1000000 };
		nanosleep(&ms, NULL);
	}
	kill(pid, SIGKILL);
	while (waitpid(pid, status, 0) < 0 && errno == EINTR) {
	}
}

/* Runs one pactl to the end, bounded by EXIT_TIMEOUT_MS. */
static void run_sync(struct swl_audio *audio, char *const args[]) {
	int fd = -1;
	pid_t pid = spawn_pactl(args, &fd);
	if (pid < 0) {
		return;
	}
	int status = 0;
	wait_or_kill(pid, swl_clock_now(SWL_CLOCK_MS) + EXIT_TIMEOUT_MS, &status);
	char out[MAX_OUTPUT];
	size_t len = 0;
	drain_output(fd, out, &len, sizeof(out));
	close(fd);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		out[len] = '\0';
		out[strcspn(out, "\n")] = '\0';
		wlr_log(WLR_ERROR, "audio: pactl %s %s failed: %s", args[0], args[1],
				out[0] != '\0' ? out : "no answer");
	}
}

static void unload(struct swl_audio *audio, int *module) {
	if (*module < 0) {
		return;
	}
	char number[16];
	snprintf(number, sizeof(number), "%d", *module);
	char *args[] = { "unload-module", number, NULL };
	run_sync(audio, args);
	*module = -1;
}

void swl_audio_destroy(struct swl_audio *audio) {
	if (audio == NULL) {
		return;
	}
	if (audio->pid > 0) {
		// A step still running: its module must be known to be unloaded.
		if (!audio->exited) {
			wait_or_kill(
					audio->pid, swl_clock_now(SWL_CLOCK_MS) + EXIT_TIMEOUT_MS, &audio->status);
		}
		drain_output(audio->out_fd, audio->out, &audio->out_len, MAX_OUTPUT);
		finish_step(audio, true);
	}
	end_child_io(audio);
	if (audio->volume_listening) {
		wl_list_remove(&audio->volume.link);
	}
	end_subscribe(audio);
	if (audio->sub_pid > 0) {
		int status;
		wait_or_kill(audio->sub_pid, swl_clock_now(SWL_CLOCK_MS), &status);
	}
	bool attached = audio->sink_module >= 0 || audio->source_module >= 0;
	unload(audio, &audio->source_module);
	unload(audio, &audio->sink_module);
	if (attached) {
		wlr_log(WLR_INFO, "audio: sound server detached");
	}
	if (audio->lock_fd >= 0) {
		close(audio->lock_fd);
	}
	free(audio);
}
