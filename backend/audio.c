/*
 * SPICE audio: the playback interface plays PCM that the session writes into
 * a FIFO (directly, or through a sound server's pipe sink), and the record
 * interface's samples, the client's microphone, go into another FIFO that the
 * session reads (directly, or through a pipe source).
 *
 * Playback is paced: a writer may dump PCM as fast as the pipe takes it (a
 * sound server's pipe sink does), so the FIFO is read no faster than real
 * time, which also makes the pipe's back-pressure the writer's clock.
 * Silence is not sent: the SPICE stream starts with the first audible chunk
 * and stops after QUIET_MS of silence or IDLE_MS without data.
 *
 * The volume a client reports is not applied: spice-gtk reports its local
 * stream volume and applies it itself, so scaling here would apply it twice.
 * Mute is honoured (muted playback is not sent at all). With a sound server
 * in the session, the compositor hands both to it instead and the client is
 * told full volume (spb_audio_set_client_volume).
 */
#define _GNU_SOURCE // F_SETPIPE_SZ
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wlr/util/log.h>
#include "audio.h"
#include "backend.h"
#include "clock.h"

/* Pipe capacities: what a writer can queue ahead is latency. */
#define PLAYBACK_PIPE_BYTES 4096 // 21 ms at 48 kHz
#define RECORD_PIPE_BYTES 16384 // 85 ms
/* The pacer lets this much through at once, absorbing timer jitter. */
#define BURST_FRAMES (4 * SPB_AUDIO_CHUNK_FRAMES)
/* Ends the SPICE stream: no data for IDLE_MS, or QUIET_MS of silence. */
#define IDLE_MS 200
#define QUIET_MS 500
/* Samples within this of zero are silence (rounding and dither noise). */
#define SILENCE_THRESHOLD 8
/* Samples pulled from spice-server's record buffer at a time (one atomic pipe write). */
#define RECORD_PULL_FRAMES 1024

static const SpicePlaybackInterface playback_interface = {
	.base = {
		.type = SPICE_INTERFACE_PLAYBACK,
		.description = "spice-wl playback",
		.major_version = SPICE_INTERFACE_PLAYBACK_MAJOR,
		.minor_version = SPICE_INTERFACE_PLAYBACK_MINOR,
	},
};

static const SpiceRecordInterface record_interface = {
	.base = {
		.type = SPICE_INTERFACE_RECORD,
		.description = "spice-wl record",
		.major_version = SPICE_INTERFACE_RECORD_MAJOR,
		.minor_version = SPICE_INTERFACE_RECORD_MINOR,
	},
};

/* The FIFO formats are little-endian; spice-server's samples are native. */
static void le_to_native(int16_t *samples, size_t n) {
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	for (size_t i = 0; i < n; i++) {
		uint16_t v = (uint16_t)samples[i];
		samples[i] = (int16_t)(uint16_t)((v >> 8) | (v << 8));
	}
#else
	(void)samples;
	(void)n;
#endif
}

void spb_audio_init(struct spb_audio *audio, struct spb_backend *backend,
		const char *playback_path, const char *record_path) {
	*audio = (struct spb_audio){
		.backend = backend,
		.play_fd = -1,
		.play_keep_fd = -1,
		.rec_fd = -1,
		.rec_source_fd = -1,
	};
	audio->playback_path = playback_path != NULL ? strdup(playback_path) : NULL;
	audio->record_path = record_path != NULL ? strdup(record_path) : NULL;
	// The same for every instance: Opus's 48 kHz when spice-server has Opus.
	audio->rate = spice_server_get_best_playback_rate(NULL);
	spb_pacer_init(&audio->pacer, audio->rate, BURST_FRAMES);
}

/*
 * Whether the open fd is a FIFO only we can use: owned by our effective uid
 * (root passes every permission check, so the owner is compared) and with no
 * access for group or others. Checked on the descriptor, not the path, so
 * nothing can be swapped in between the check and the use.
 */
static bool fifo_is_private(int fd, const char *path) {
	struct stat st;
	if (fstat(fd, &st) != 0) {
		wlr_log_errno(WLR_ERROR, "audio: cannot check %s", path);
		return false;
	}
	if (!S_ISFIFO(st.st_mode)) {
		wlr_log(WLR_ERROR, "audio: %s is not a FIFO; not used", path);
		return false;
	}
	if (st.st_uid != geteuid()) {
		wlr_log(WLR_ERROR, "audio: %s belongs to uid %u, not to us; not used", path,
				(unsigned)st.st_uid);
		return false;
	}
	if ((st.st_mode & 077) != 0) {
		wlr_log(WLR_ERROR, "audio: %s has mode %04o, open to other users; not used", path,
				(unsigned)(st.st_mode & 07777));
		return false;
	}
	return true;
}

/*
 * Makes a new FIFO at path, mode 0600, and opens it with flags. Whoever can
 * open our FIFOs hears the microphone or plays into the session, so no FIFO
 * already there is used: one of ours (a session of ours was killed, and we
 * hold the name's lock now) is replaced, which also cuts off any process
 * still holding it open; anything else is refused. The session picked a name
 * with nothing foreign at it (swl_audio); this is the check that counts.
 */
static int create_fifo(const char *path, int flags) {
	struct stat st;
	if (lstat(path, &st) == 0) {
		if (!S_ISFIFO(st.st_mode) || st.st_uid != geteuid()) {
			wlr_log(WLR_ERROR, "audio: %s exists and is not a FIFO of ours; not used", path);
			return -1;
		}
		wlr_log(WLR_DEBUG, "audio: replacing the leftover FIFO %s", path);
		if (unlink(path) != 0 && errno != ENOENT) {
			wlr_log_errno(WLR_ERROR, "audio: cannot remove the leftover FIFO %s", path);
			return -1;
		}
	} else if (errno != ENOENT) {
		wlr_log_errno(WLR_ERROR, "audio: cannot check %s", path);
		return -1;
	}
	// Fails if anything appeared at path meanwhile: it is not ours.
	if (mkfifo(path, 0600) != 0) {
		wlr_log_errno(WLR_ERROR, "audio: cannot create the FIFO %s", path);
		return -1;
	}
	int fd = open(path, flags | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		wlr_log_errno(WLR_ERROR, "audio: cannot open %s", path);
		return -1;
	}
	if (!fifo_is_private(fd, path)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Opens path again with flags, if it still is the FIFO open as fd. */
static int reopen_fifo(int fd, const char *path, int flags) {
	int again = open(path, flags | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
	if (again < 0) {
		wlr_log_errno(WLR_ERROR, "audio: cannot open %s", path);
		return -1;
	}
	struct stat a, b;
	if (fstat(fd, &a) != 0 || fstat(again, &b) != 0 || a.st_dev != b.st_dev ||
			a.st_ino != b.st_ino) {
		wlr_log(WLR_ERROR, "audio: %s was replaced while being opened; not used", path);
		close(again);
		return -1;
	}
	return again;
}

static void send_frames(struct spb_audio *audio, const uint32_t *frames, uint32_t n) {
	while (n > 0) {
		if (audio->out == NULL) {
			uint32_t size = 0;
			spice_server_playback_get_buffer(&audio->playback, &audio->out, &size);
			if (audio->out == NULL || size == 0) {
				// No client, or it has not taken the frames we sent yet.
				audio->out = NULL;
				audio->frames_dropped += n;
				return;
			}
			audio->out_frames = size;
			audio->out_fill = 0;
		}
		uint32_t k = audio->out_frames - audio->out_fill;
		k = n < k ? n : k;
		memcpy(audio->out + audio->out_fill, frames, (size_t)k * 4);
		audio->out_fill += k;
		frames += k;
		n -= k;
		audio->frames_sent += k;
		if (audio->out_fill == audio->out_frames) {
			spice_server_playback_put_samples(&audio->playback, audio->out);
			audio->out = NULL;
		}
	}
}

static void start_playing(struct spb_audio *audio) {
	wlr_log(WLR_DEBUG, "audio: playback starts");
	spice_server_playback_start(&audio->playback);
	audio->playing = true;
}

static void stop_playing(struct spb_audio *audio) {
	if (audio->out != NULL) {
		// The tail of the stream: pad the frame with silence and send it.
		memset(audio->out + audio->out_fill, 0, (size_t)(audio->out_frames - audio->out_fill) * 4);
		spice_server_playback_put_samples(&audio->playback, audio->out);
		audio->out = NULL;
	}
	spice_server_playback_stop(&audio->playback);
	audio->playing = false;
	wlr_log(WLR_DEBUG, "audio: playback stops (%" PRIu64 " frames sent, %" PRIu64 " dropped)",
			audio->frames_sent, audio->frames_dropped);
}

static void process_chunk(struct spb_audio *audio) {
	int16_t *samples = (int16_t *)audio->chunk;
	size_t n = SPB_AUDIO_CHUNK_FRAMES * 2;
	if (audio->play_muted) {
		// As silence: a stream going on ends after QUIET_MS, none starts.
		memset(samples, 0, n * sizeof(*samples));
	}
	le_to_native(samples, n);
	if (spb_pcm_is_silent(samples, n, SILENCE_THRESHOLD)) {
		audio->quiet_frames += SPB_AUDIO_CHUNK_FRAMES;
		if (!audio->playing) {
			return;
		}
		if (audio->quiet_frames >= audio->rate * QUIET_MS / 1000) {
			stop_playing(audio);
			return;
		}
	} else {
		audio->quiet_frames = 0;
		if (!audio->playing) {
			start_playing(audio);
		}
	}
	send_frames(audio, audio->chunk, SPB_AUDIO_CHUNK_FRAMES);
}

/* The writer stopped: send what is left and end the SPICE stream. */
static void end_stream(struct spb_audio *audio) {
	if (audio->chunk_len > 0) {
		memset((uint8_t *)audio->chunk + audio->chunk_len, 0,
				sizeof(audio->chunk) - audio->chunk_len);
		audio->chunk_len = 0;
		process_chunk(audio);
	}
	if (audio->playing) {
		stop_playing(audio);
	}
	audio->streaming = false;
	audio->quiet_frames = 0;
}

/*
 * The FIFO cannot be read (our own write end rules out end-of-file, so this
 * is not expected): stop watching it, or a readable error would spin the
 * event loop, and end the stream.
 */
static void playback_failed(struct spb_audio *audio, bool eof) {
	if (eof) {
		wlr_log(WLR_ERROR, "audio: unexpected end of %s; playback stops", audio->playback_path);
	} else {
		wlr_log_errno(WLR_ERROR, "audio: reading %s failed; playback stops", audio->playback_path);
	}
	wl_event_source_remove(audio->play_readable);
	audio->play_readable = NULL;
	wl_event_source_timer_update(audio->play_timer, 0);
	audio->throttled = false;
	end_stream(audio);
}

static void playback_pump(struct spb_audio *audio) {
	if (audio->play_readable == NULL) {
		return; // failed
	}
	int64_t now = swl_clock_now(SWL_CLOCK_US);
	if (!audio->streaming) {
		spb_pacer_start(&audio->pacer, now);
		audio->streaming = true;
	}
	spb_pacer_refill(&audio->pacer, now);
	for (;;) {
		uint64_t avail = spb_pacer_available(&audio->pacer);
		if (avail == 0) {
			// Ahead of real time: stop reading until a chunk's worth is due.
			int64_t wait = spb_pacer_wait_us(&audio->pacer, SPB_AUDIO_CHUNK_FRAMES);
			int ms = (int)((wait + 999) / 1000);
			audio->throttled = true;
			wl_event_source_fd_update(audio->play_readable, 0);
			wl_event_source_timer_update(audio->play_timer, ms > 0 ? ms : 1);
			return;
		}
		size_t room = sizeof(audio->chunk) - audio->chunk_len;
		size_t want = avail * 4 < room ? (size_t)avail * 4 : room;
		ssize_t n = read(audio->play_fd, (uint8_t *)audio->chunk + audio->chunk_len, want);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0 && errno == EAGAIN) {
			// Drained: more may come; if not, the timer ends the stream.
			wl_event_source_timer_update(audio->play_timer, IDLE_MS);
			return;
		}
		if (n <= 0) {
			playback_failed(audio, n == 0);
			return;
		}
		size_t frames_before = audio->chunk_len / 4;
		audio->chunk_len += (size_t)n;
		spb_pacer_consume(&audio->pacer, audio->chunk_len / 4 - frames_before);
		audio->last_data_us = now;
		if (audio->chunk_len == sizeof(audio->chunk)) {
			audio->chunk_len = 0;
			process_chunk(audio);
		}
	}
}

static int handle_play_readable(int fd, uint32_t mask, void *data) {
	struct spb_audio *audio = data;
	playback_pump(audio);
	return 0;
}

static int handle_play_timer(void *data) {
	struct spb_audio *audio = data;
	if (audio->throttled) {
		audio->throttled = false;
		wl_event_source_fd_update(audio->play_readable, WL_EVENT_READABLE);
		playback_pump(audio);
		return 0;
	}
	int64_t idle_ms = (swl_clock_now(SWL_CLOCK_US) - audio->last_data_us) / 1000;
	if (idle_ms >= IDLE_MS) {
		end_stream(audio);
	} else {
		wl_event_source_timer_update(audio->play_timer, (int)(IDLE_MS - idle_ms));
	}
	return 0;
}

static bool open_playback(struct spb_audio *audio) {
	audio->play_fd = create_fifo(audio->playback_path, O_RDONLY);
	if (audio->play_fd < 0) {
		return false;
	}
	audio->playback_created = true;
	// With a reader there, this open does not block; holding it means the
	// FIFO never reports end-of-file when a writer closes.
	audio->play_keep_fd = reopen_fifo(audio->play_fd, audio->playback_path, O_WRONLY);
	if (audio->play_keep_fd < 0) {
		return false;
	}
	if (fcntl(audio->play_fd, F_SETPIPE_SZ, PLAYBACK_PIPE_BYTES) < 0) {
		wlr_log_errno(WLR_DEBUG, "audio: cannot resize the playback pipe");
	}
	struct wl_event_loop *loop = audio->backend->loop;
	audio->play_readable = wl_event_loop_add_fd(
			loop, audio->play_fd, WL_EVENT_READABLE, handle_play_readable, audio);
	audio->play_timer = wl_event_loop_add_timer(loop, handle_play_timer, audio);
	return audio->play_readable != NULL && audio->play_timer != NULL;
}

static bool open_record(struct spb_audio *audio) {
	// Read-write: never blocks, lets readers open it at any time without
	// waiting for us, and lets us drop stale data nobody read (write_record).
	audio->rec_fd = create_fifo(audio->record_path, O_RDWR);
	if (audio->rec_fd < 0) {
		return false;
	}
	audio->record_created = true;
	if (fcntl(audio->rec_fd, F_SETPIPE_SZ, RECORD_PIPE_BYTES) < 0) {
		wlr_log_errno(WLR_DEBUG, "audio: cannot resize the record pipe");
	}
	return true;
}

bool spb_audio_add(struct spb_audio *audio, SpiceServer *server) {
	if (audio->playback_path != NULL) {
		if (!open_playback(audio)) {
			return false;
		}
		audio->playback.base.sif = &playback_interface.base;
		if (spice_server_add_interface(server, &audio->playback.base) != 0) {
			wlr_log(WLR_ERROR, "spice-server refused the playback interface");
			return false;
		}
		audio->playback_added = true;
		spice_server_set_playback_rate(&audio->playback, audio->rate);
	}
	if (audio->record_path != NULL) {
		if (!open_record(audio)) {
			return false;
		}
		audio->record.base.sif = &record_interface.base;
		if (spice_server_add_interface(server, &audio->record.base) != 0) {
			wlr_log(WLR_ERROR, "spice-server refused the record interface");
			return false;
		}
		audio->record_added = true;
		spice_server_set_record_rate(&audio->record, audio->rate);
		// Every client that connects records: its samples are pulled as they
		// arrive (spb_audio_pump_record), so nothing polls.
		spice_server_record_start(&audio->record);
	}
	if (audio->playback_added || audio->record_added) {
		wlr_log(WLR_INFO, "audio: S16LE stereo %u Hz; playback from %s, record into %s",
				audio->rate, audio->playback_path ? audio->playback_path : "(none)",
				audio->record_path ? audio->record_path : "(none)");
	}
	return true;
}

/* Writes len bytes (at most PIPE_BUF, so all or nothing) into the FIFO fd. */
static void write_record(struct spb_audio *audio, int fd, const void *buf, size_t len) {
	ssize_t n = write(fd, buf, len);
	if (n < 0 && errno == EAGAIN) {
		// Full: nobody reads, or too slowly. Drop the oldest data rather
		// than the newest, so a reader that starts gets what is current;
		// as much as is written, so the retry fits.
		char discard[RECORD_PULL_FRAMES * 4];
		if (read(fd, discard, len < sizeof(discard) ? len : sizeof(discard)) > 0) {
			n = write(fd, buf, len);
		}
	}
	if (n < 0) {
		audio->record_dropped += len / 4;
	}
}

void spb_audio_pump_record(struct spb_audio *audio) {
	if (!audio->record_added) {
		return;
	}
	uint32_t buf[RECORD_PULL_FRAMES];
	for (;;) {
		uint32_t n = spice_server_record_get_samples(&audio->record, buf, RECORD_PULL_FRAMES);
		if (n == 0) {
			return;
		}
		audio->frames_recorded += n;
		if (audio->rec_muted) {
			memset(buf, 0, (size_t)n * 4);
		}
		le_to_native((int16_t *)buf, (size_t)n * 2);
		write_record(audio, audio->rec_fd, buf, (size_t)n * 4);
		if (audio->rec_source_fd >= 0) {
			write_record(audio, audio->rec_source_fd, buf, (size_t)n * 4);
		}
		if (n < RECORD_PULL_FRAMES) {
			return;
		}
	}
}

bool spb_audio_set_record_fifo(struct spb_audio *audio, const char *path) {
	if (!audio->record_added) {
		return false;
	}
	// The sound server made this one (PulseAudio refuses an existing FIFO),
	// with its umask: ours, it is made private; another user's is refused.
	int fd = open(path, O_RDWR | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		wlr_log_errno(WLR_ERROR, "audio: cannot open %s", path);
		return false;
	}
	struct stat st;
	if (fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode) && st.st_uid == geteuid() &&
			(st.st_mode & 077) != 0 && fchmod(fd, 0600) != 0) {
		wlr_log_errno(WLR_ERROR, "audio: cannot make %s private", path);
	}
	if (!fifo_is_private(fd, path)) {
		close(fd);
		return false;
	}
	if (fcntl(fd, F_SETPIPE_SZ, RECORD_PIPE_BYTES) < 0) {
		wlr_log_errno(WLR_DEBUG, "audio: cannot resize the record pipe");
	}
	// The record FIFO keeps being written: COMMAND got its name before the
	// sound server was attached, and readers of either get the microphone.
	if (audio->rec_source_fd >= 0) {
		close(audio->rec_source_fd);
	}
	audio->rec_source_fd = fd;
	wlr_log(WLR_INFO, "audio: recording into %s too", path);
	return true;
}

void spb_audio_set_volume(struct spb_audio *audio, bool playback, bool mute,
		const uint16_t *volume, size_t nchannels) {
	// Logged as the client's slider shows it, for whoever wonders why sound is quiet.
	uint64_t sum = 0;
	for (size_t i = 0; i < nchannels; i++) {
		sum += volume[i];
	}
	unsigned percent = nchannels > 0 ? (unsigned)(sum * 100 / (nchannels * 65535u)) : 100;
	wlr_log(WLR_INFO, "audio: client %s volume %u%%%s (applied by the client)",
			playback ? "playback" : "record", percent, mute ? ", muted" : "");
	if (playback) {
		audio->play_muted = mute;
	} else {
		audio->rec_muted = mute;
	}
}

void spb_audio_set_client_volume(struct spb_audio *audio, bool playback, bool mute) {
	uint16_t full[2] = { UINT16_MAX, UINT16_MAX };
	// spice-server keeps them and sends them to each client that connects.
	if (playback && audio->playback_added) {
		spice_server_playback_set_volume(&audio->playback, 2, full);
		spice_server_playback_set_mute(&audio->playback, mute);
		// The sound server mutes now: unmuting there must be heard.
		audio->play_muted = false;
	} else if (!playback && audio->record_added) {
		spice_server_record_set_volume(&audio->record, 2, full);
		spice_server_record_set_mute(&audio->record, mute);
		audio->rec_muted = false;
	}
}

void spb_audio_client_gone(struct spb_audio *audio) {
	if (audio->play_muted || audio->rec_muted) {
		wlr_log(WLR_DEBUG, "audio: the client left; its mute is lifted");
	}
	audio->play_muted = false;
	audio->rec_muted = false;
}

void spb_audio_remove(struct spb_audio *audio) {
	if (audio->playback_added) {
		if (audio->playing) {
			stop_playing(audio);
		}
		spice_server_remove_interface(&audio->playback.base);
		audio->playback_added = false;
	}
	if (audio->record_added) {
		spice_server_record_stop(&audio->record);
		spice_server_remove_interface(&audio->record.base);
		audio->record_added = false;
	}
}

static void close_fd(int *fd) {
	if (*fd >= 0) {
		close(*fd);
		*fd = -1;
	}
}

void spb_audio_finish(struct spb_audio *audio) {
	if (audio->play_readable != NULL) {
		wl_event_source_remove(audio->play_readable);
		audio->play_readable = NULL;
	}
	if (audio->play_timer != NULL) {
		wl_event_source_remove(audio->play_timer);
		audio->play_timer = NULL;
	}
	close_fd(&audio->play_fd);
	close_fd(&audio->play_keep_fd);
	close_fd(&audio->rec_fd);
	close_fd(&audio->rec_source_fd);
	if (audio->playback_created) {
		unlink(audio->playback_path);
	}
	if (audio->record_created) {
		unlink(audio->record_path);
	}
	free(audio->playback_path);
	free(audio->record_path);
	audio->playback_path = audio->record_path = NULL;
}
