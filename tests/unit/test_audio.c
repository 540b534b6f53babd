/*
 * Unit tests for backend/audio.c against stand-ins for spice-server's audio
 * calls, on real FIFOs and a real event loop: the client's volume is not
 * applied to playback or record (the client applies it itself), its mute is,
 * and is lifted when the client goes; the microphone goes into the record
 * FIFO and a sound server's FIFO both; a full record FIFO keeps the newest
 * samples; a playback FIFO that fails to read is dropped, not polled again
 * and again.
 *
 * audio.c is included rather than linked so that the tests can reach its
 * static event handlers.
 */
#include "../../backend/audio.c"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include <cmocka.h>

#define RATE 48000
#define SPICE_BUFFER_FRAMES 480
#define MAX_CAPTURE (RATE * 2)
#define TONE_FRAMES 4800 // 0.1 s

/* What the stand-in spice-server saw. */
static struct {
	int playback_starts, playback_stops;
	uint32_t buffer[SPICE_BUFFER_FRAMES];
	uint32_t captured[MAX_CAPTURE];
	size_t n_captured;
	// The client's microphone, handed out by record_get_samples.
	const uint32_t *mic;
	size_t mic_len, mic_off;
	int errors_logged;
	// What the client was told to apply (set_volume/set_mute); -1: nothing.
	int play_volume, play_mute, rec_volume, rec_mute;
} spice;

void spice_server_playback_set_volume(
		SpicePlaybackInstance *sin, uint8_t nchannels, uint16_t *volume) {
	assert_int_equal(nchannels, 2);
	assert_int_equal(volume[0], volume[1]);
	spice.play_volume = volume[0];
}

void spice_server_playback_set_mute(SpicePlaybackInstance *sin, uint8_t mute) {
	spice.play_mute = mute;
}

void spice_server_record_set_volume(
		SpiceRecordInstance *sin, uint8_t nchannels, uint16_t *volume) {
	assert_int_equal(nchannels, 2);
	assert_int_equal(volume[0], volume[1]);
	spice.rec_volume = volume[0];
}

void spice_server_record_set_mute(SpiceRecordInstance *sin, uint8_t mute) {
	spice.rec_mute = mute;
}

uint32_t spice_server_get_best_playback_rate(SpicePlaybackInstance *sin) {
	return RATE;
}

int spice_server_add_interface(SpiceServer *s, SpiceBaseInstance *sin) {
	return 0;
}

int spice_server_remove_interface(SpiceBaseInstance *sin) {
	return 0;
}

void spice_server_set_playback_rate(SpicePlaybackInstance *sin, uint32_t frequency) {
}

void spice_server_set_record_rate(SpiceRecordInstance *sin, uint32_t frequency) {
}

void spice_server_record_start(SpiceRecordInstance *sin) {
}

void spice_server_record_stop(SpiceRecordInstance *sin) {
}

void spice_server_playback_start(SpicePlaybackInstance *sin) {
	spice.playback_starts++;
}

void spice_server_playback_stop(SpicePlaybackInstance *sin) {
	spice.playback_stops++;
}

void spice_server_playback_get_buffer(
		SpicePlaybackInstance *sin, uint32_t **samples, uint32_t *nsamples) {
	*samples = spice.buffer;
	*nsamples = SPICE_BUFFER_FRAMES;
}

void spice_server_playback_put_samples(SpicePlaybackInstance *sin, uint32_t *samples) {
	assert_ptr_equal(samples, spice.buffer);
	assert_true(spice.n_captured + SPICE_BUFFER_FRAMES <= MAX_CAPTURE);
	memcpy(spice.captured + spice.n_captured, samples, sizeof(spice.buffer));
	spice.n_captured += SPICE_BUFFER_FRAMES;
}

uint32_t spice_server_record_get_samples(
		SpiceRecordInstance *sin, uint32_t *samples, uint32_t bufsize) {
	size_t n = spice.mic_len - spice.mic_off;
	n = n < bufsize ? n : bufsize;
	memcpy(samples, spice.mic + spice.mic_off, n * 4);
	spice.mic_off += n;
	return (uint32_t)n;
}

/* wlroots' logger, counting errors; the tests link no wlroots. */
void _wlr_log(enum wlr_log_importance verbosity, const char *format, ...) {
	if (verbosity == WLR_ERROR) {
		spice.errors_logged++;
	}
}

struct fixture {
	char dir[64];
	char playback[128], record[128], source[128];
	struct spb_backend *backend;
	struct spb_audio audio;
	int rec_reader, source_reader;
};

/* A stereo frame of both channels at v, native order as spice-server has it. */
static uint32_t frame(int16_t v) {
	uint32_t u = (uint16_t)v;
	return u | u << 16;
}

static void make_tone(uint32_t *frames, size_t n, int16_t amplitude) {
	for (size_t i = 0; i < n; i++) {
		// A square-ish wave: loud throughout, so no chunk counts as silence.
		frames[i] = frame((i / 24) % 2 == 0 ? amplitude : (int16_t)-amplitude);
	}
}

static int setup(void **state) {
	struct fixture *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	strcpy(f->dir, "/tmp/swl-test-audio-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->playback, sizeof(f->playback), "%s/playback", f->dir);
	snprintf(f->record, sizeof(f->record), "%s/record", f->dir);
	snprintf(f->source, sizeof(f->source), "%s/source", f->dir);
	f->backend = calloc(1, sizeof(*f->backend));
	assert_non_null(f->backend);
	f->backend->loop = wl_event_loop_create();
	assert_non_null(f->backend->loop);
	memset(&spice, 0, sizeof(spice));
	spice.play_volume = spice.play_mute = spice.rec_volume = spice.rec_mute = -1;
	spb_audio_init(&f->audio, f->backend, f->playback, f->record);
	assert_true(spb_audio_add(&f->audio, NULL));
	f->rec_reader = open(f->record, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	assert_true(f->rec_reader >= 0);
	f->source_reader = -1;
	*state = f;
	return 0;
}

static int teardown(void **state) {
	struct fixture *f = *state;
	spb_audio_remove(&f->audio);
	spb_audio_finish(&f->audio);
	close(f->rec_reader);
	if (f->source_reader >= 0) {
		close(f->source_reader);
	}
	unlink(f->source);
	rmdir(f->dir);
	wl_event_loop_destroy(f->backend->loop);
	free(f->backend);
	free(f);
	return 0;
}

static void run_loop(struct fixture *f, int ms) {
	int64_t end = swl_clock_now(SWL_CLOCK_US) + (int64_t)ms * 1000;
	for (int64_t now = swl_clock_now(SWL_CLOCK_US); now < end; now = swl_clock_now(SWL_CLOCK_US)) {
		wl_event_loop_dispatch(f->backend->loop, (int)((end - now + 999) / 1000));
	}
}

/* Writes frames into the playback FIFO as the backend takes them, then lets the stream end. */
static void play(struct fixture *f, const uint32_t *frames, size_t n) {
	int fd = open(f->playback, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	assert_true(fd >= 0);
	const uint8_t *p = (const uint8_t *)frames;
	size_t left = n * 4;
	int64_t deadline = swl_clock_now(SWL_CLOCK_US) + 5000000;
	while (left > 0) {
		ssize_t k = write(fd, p, left);
		if (k > 0) {
			p += k;
			left -= (size_t)k;
		} else {
			assert_true(k < 0 && errno == EAGAIN);
		}
		assert_true(swl_clock_now(SWL_CLOCK_US) < deadline);
		wl_event_loop_dispatch(f->backend->loop, 5);
	}
	close(fd);
	run_loop(f, IDLE_MS + 300);
}

/* Reads what the FIFO holds now. */
static size_t drain(int fd, uint32_t *frames, size_t max) {
	size_t got = 0;
	for (;;) {
		ssize_t k = read(fd, (uint8_t *)frames + got, max * 4 - got);
		if (k <= 0) {
			break;
		}
		got += (size_t)k;
	}
	assert_int_equal(got % 4, 0);
	return got / 4;
}

static void record(struct fixture *f, const uint32_t *frames, size_t n) {
	spice.mic = frames;
	spice.mic_len = n;
	spice.mic_off = 0;
	spb_audio_pump_record(&f->audio);
	assert_int_equal(spice.mic_off, n);
}

static const uint16_t half_volume[2] = { 32768, 32768 };

static void test_playback_volume_not_applied(void **state) {
	struct fixture *f = *state;
	static uint32_t tone[TONE_FRAMES];
	make_tone(tone, TONE_FRAMES, 8000);
	// The client plays at half volume: it scales the sound itself.
	spb_audio_set_volume(&f->audio, true, false, half_volume, 2);
	play(f, tone, TONE_FRAMES);
	assert_int_equal(spice.playback_starts, 1);
	assert_int_equal(spice.playback_stops, 1);
	assert_true(spice.n_captured >= TONE_FRAMES);
	assert_memory_equal(spice.captured, tone, sizeof(tone));
}

static void test_playback_mute(void **state) {
	struct fixture *f = *state;
	static uint32_t tone[TONE_FRAMES];
	make_tone(tone, TONE_FRAMES, 8000);
	spb_audio_set_volume(&f->audio, true, true, half_volume, 2);
	play(f, tone, TONE_FRAMES);
	// Muted: not a frame sent.
	assert_int_equal(spice.playback_starts, 0);
	assert_int_equal(spice.n_captured, 0);

	// Unmuted, the record mute left alone.
	spb_audio_set_volume(&f->audio, false, true, half_volume, 2);
	spb_audio_set_volume(&f->audio, true, false, half_volume, 2);
	play(f, tone, TONE_FRAMES);
	assert_int_equal(spice.playback_starts, 1);
	assert_memory_equal(spice.captured, tone, sizeof(tone));
	assert_true(f->audio.rec_muted);
}

/*
 * With a sound server, the client plays and records at full volume, muted as
 * the session's sink and source are; the backend's own mute is lifted, as
 * unmuting the sink must be heard.
 */
static void test_client_volume_handed_to_sound_server(void **state) {
	struct fixture *f = *state;
	static uint32_t tone[TONE_FRAMES];
	make_tone(tone, TONE_FRAMES, 8000);
	spb_audio_set_volume(&f->audio, true, true, half_volume, 2);
	spb_audio_set_volume(&f->audio, false, true, half_volume, 2);
	assert_int_equal(spice.play_volume, -1); // the client's volume stays its own
	spb_audio_set_client_volume(&f->audio, true, true);
	assert_int_equal(spice.play_volume, 65535);
	assert_int_equal(spice.play_mute, 1);
	assert_int_equal(spice.rec_volume, -1);
	assert_true(f->audio.rec_muted);
	spb_audio_set_client_volume(&f->audio, false, false);
	assert_int_equal(spice.rec_volume, 65535);
	assert_int_equal(spice.rec_mute, 0);
	play(f, tone, TONE_FRAMES);
	assert_int_equal(spice.playback_starts, 1);
	assert_memory_equal(spice.captured, tone, sizeof(tone));
	static uint32_t got[TONE_FRAMES];
	record(f, tone, 1000);
	assert_int_equal(drain(f->rec_reader, got, TONE_FRAMES), 1000);
	assert_memory_equal(got, tone, 1000 * 4);
}

static void test_mute_lifted_when_client_goes(void **state) {
	struct fixture *f = *state;
	static uint32_t tone[TONE_FRAMES];
	make_tone(tone, TONE_FRAMES, 8000);
	spb_audio_set_volume(&f->audio, true, true, half_volume, 2);
	spb_audio_set_volume(&f->audio, false, true, half_volume, 2);
	spb_audio_client_gone(&f->audio);
	play(f, tone, TONE_FRAMES);
	assert_int_equal(spice.playback_starts, 1);
	assert_memory_equal(spice.captured, tone, sizeof(tone));
	static uint32_t got[TONE_FRAMES];
	record(f, tone, 1000);
	assert_int_equal(drain(f->rec_reader, got, TONE_FRAMES), 1000);
	assert_memory_equal(got, tone, 1000 * 4);
}

static void test_record_volume_and_mute(void **state) {
	struct fixture *f = *state;
	static uint32_t mic[2000], got[4000];
	make_tone(mic, 2000, 12000);
	spb_audio_set_volume(&f->audio, false, false, half_volume, 2);
	record(f, mic, 2000);
	assert_int_equal(drain(f->rec_reader, got, 4000), 2000);
	assert_memory_equal(got, mic, sizeof(mic));

	// Muted: silence, as long as the microphone sends.
	spb_audio_set_volume(&f->audio, false, true, half_volume, 2);
	record(f, mic, 2000);
	assert_int_equal(drain(f->rec_reader, got, 4000), 2000);
	for (size_t i = 0; i < 2000; i++) {
		assert_int_equal(got[i], 0);
	}
}

static void test_record_into_both_fifos(void **state) {
	struct fixture *f = *state;
	// A sound server's pipe source makes its FIFO and reads it.
	assert_int_equal(mkfifo(f->source, 0600), 0);
	f->source_reader = open(f->source, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	assert_true(f->source_reader >= 0);
	assert_true(spb_audio_set_record_fifo(&f->audio, f->source));
	static uint32_t mic[3000], got[6000];
	make_tone(mic, 3000, 5000);
	record(f, mic, 3000);
	assert_int_equal(drain(f->source_reader, got, 6000), 3000);
	assert_memory_equal(got, mic, sizeof(mic));
	// The FIFO COMMAND was told about still gets it.
	assert_int_equal(drain(f->rec_reader, got, 6000), 3000);
	assert_memory_equal(got, mic, sizeof(mic));
	assert_int_equal(f->audio.record_dropped, 0);
}

static void test_record_full_keeps_newest(void **state) {
	struct fixture *f = *state;
	// Four times what the FIFO holds, nobody reading; frames numbered.
	size_t capacity = (size_t)fcntl(f->audio.rec_fd, F_GETPIPE_SZ) / 4;
	size_t n = capacity * 4;
	uint32_t *mic = calloc(n, 4), *got = calloc(n, 4);
	assert_non_null(mic);
	assert_non_null(got);
	for (size_t i = 0; i < n; i++) {
		mic[i] = (uint32_t)i;
	}
	record(f, mic, n);
	size_t kept = drain(f->rec_reader, got, n);
	// The newest frames, in order; nothing beyond the room made was thrown away.
	assert_int_equal(kept, capacity);
	assert_memory_equal(got, mic + n - kept, kept * 4);
	assert_int_equal(f->audio.record_dropped, 0);
	free(mic);
	free(got);
}

static void test_playback_read_error(void **state) {
	struct fixture *f = *state;
	// A pty master whose other side is closed: readable, and every read
	// fails with EIO, a stand-in for a FIFO that cannot be read.
	int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	assert_true(master >= 0);
	assert_int_equal(grantpt(master), 0);
	assert_int_equal(unlockpt(master), 0);
	int slave = open(ptsname(master), O_RDWR | O_NOCTTY | O_CLOEXEC);
	assert_true(slave >= 0);
	close(slave);
	struct spb_audio *audio = &f->audio;
	wl_event_source_remove(audio->play_readable);
	close(audio->play_fd);
	audio->play_fd = master;
	audio->play_readable = wl_event_loop_add_fd(
			f->backend->loop, master, WL_EVENT_READABLE, handle_play_readable, audio);
	assert_non_null(audio->play_readable);

	int errors = spice.errors_logged;
	for (int i = 0; i < 20; i++) {
		wl_event_loop_dispatch(f->backend->loop, 10);
	}
	// Logged once, and no longer watched.
	assert_int_equal(spice.errors_logged, errors + 1);
	assert_null(audio->play_readable);
	assert_false(audio->streaming);
}

int main(void) {
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_playback_volume_not_applied, setup, teardown),
		cmocka_unit_test_setup_teardown(test_playback_mute, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mute_lifted_when_client_goes, setup, teardown),
		cmocka_unit_test_setup_teardown(
				test_client_volume_handed_to_sound_server, setup, teardown),
		cmocka_unit_test_setup_teardown(test_record_volume_and_mute, setup, teardown),
		cmocka_unit_test_setup_teardown(test_record_into_both_fifos, setup, teardown),
		cmocka_unit_test_setup_teardown(test_record_full_keeps_newest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_playback_read_error, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
