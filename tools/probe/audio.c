/*
 * Audio commands: what the playback channel delivers (captured and
 * analysed), a test tone on the record channel, and the volume the server
 * sets on both. The channels are handled here, not by spice-glib's audio
 * backend (no GStreamer or PulseAudio on the probe's side).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "probe.h"

/* Playback samples louder than 1% of full scale are sound. */
#define AUDIO_SOUND_LEVEL 328
#define DEFAULT_AUDIO_SECONDS 1.0
#define MAX_AUDIO_SECONDS 600.0
/* Samples of captured sound kept (left channel): 2 minutes at 48 kHz. */
#define AUDIO_MAX_CAPTURE (120u * 48000u)
#define DEFAULT_TONE_FREQ 440.0
#define DEFAULT_TONE_SECONDS 1.0
#define DEFAULT_TONE_AMPLITUDE 0.5
/* The tone is sent every TONE_TICK_MS, TONE_BURST_MS ahead of real time. */
#define TONE_TICK_MS 10
#define TONE_BURST_MS 20

/*
 * The volume and mute the server told an audio channel to apply
 * (SPICE_MSG_PLAYBACK_VOLUME / _MUTE): volume is the first channel's, -1
 * before any.
 */
static bool channel_volume(gpointer channel, int *volume, int *mute) {
	if (channel == NULL) {
		return false;
	}
	gpointer levels = NULL;
	guint n = 0;
	gboolean muted = FALSE;
	g_object_get(channel, "volume", &levels, "nchannels", &n, "mute", &muted, NULL);
	*volume = levels != NULL && n > 0 ? ((const guint16 *)levels)[0] : -1;
	*mute = muted ? 1 : 0;
	return true;
}

/* "PREFIX playback VOLUME MUTE record VOLUME MUTE" (none for a missing channel). */
char *volume_line(struct probe *p, const char *prefix) {
	GString *line = g_string_new(prefix);
	gpointer channels[] = {p->ch.playback, p->ch.record};
	const char *names[] = {"playback", "record"};
	for (int i = 0; i < 2; i++) {
		int volume, mute;
		if (channel_volume(channels[i], &volume, &mute)) {
			g_string_append_printf(line, " %s %d %d", names[i], volume, mute);
		} else {
			g_string_append_printf(line, " %s none", names[i]);
		}
	}
	return g_string_free(line, FALSE);
}

static bool volume_matches(struct probe *p) {
	int volume, mute;
	gpointer channel = p->audio.wait_playback ? (gpointer)p->ch.playback :
		(gpointer)p->ch.record;
	return channel_volume(channel, &volume, &mute) && mute == p->audio.wait_mute &&
		(p->audio.wait_volume < 0 || volume == p->audio.wait_volume);
}

static void on_volume_notify(GObject *object, GParamSpec *pspec, gpointer data) {
	struct probe *p = data;
	if (p->wait.kind == SESSION_WAIT_VOLUME && volume_matches(p)) {
		session_complete(p, "ok");
	}
}

static enum cmd_result cmd_volume(struct probe *p, int argc, char **argv) {
	if (p->oneshot.dry_run) {
		return CMD_DONE;
	}
	char *line = volume_line(p, "volume");
	cmd_reply(p, "%s", line);
	g_free(line);
	return CMD_DONE;
}

/* wait-volume playback|record MUTE VOLUME|any TIMEOUT_MS */
static enum cmd_result cmd_wait_volume(struct probe *p, int argc, char **argv) {
	long mute = 0, volume = -1;
	guint timeout_ms = 0;
	bool ok = (strcmp(argv[1], "playback") == 0 || strcmp(argv[1], "record") == 0) &&
		parse_long(argv[2], 0, 1, &mute) &&
		(strcmp(argv[3], "any") == 0 || parse_long(argv[3], 0, 65535, &volume)) &&
		parse_ms(argv[4], &timeout_ms);
	if (!ok) {
		cmd_reply(p, "error usage: wait-volume playback|record MUTE(0|1) VOLUME|any "
			"TIMEOUT_MS");
		return CMD_DONE;
	}
	if (p->oneshot.dry_run) {
		return CMD_DONE;
	}
	p->audio.wait_playback = strcmp(argv[1], "playback") == 0;
	p->audio.wait_mute = (int)mute;
	p->audio.wait_volume = (int)volume;
	if (volume_matches(p)) {
		cmd_reply(p, "ok");
		return CMD_DONE;
	}
	session_start_wait(p, SESSION_WAIT_VOLUME, timeout_ms);
	return CMD_PENDING;
}

/* Mono mix not needed: the left channel is analysed. */
static void audio_reset_capture(struct probe *p) {
	if (p->audio.capture == NULL) {
		p->audio.capture = g_array_new(FALSE, FALSE, sizeof(gint16));
	}
	g_array_set_size(p->audio.capture, 0);
	p->audio.frames = 0;
	p->audio.loud_end = 0;
	p->audio.first_sound_us = 0;
	p->audio.starts = p->audio.stops = 0;
	p->audio.stopped_after_sound = false;
	p->audio.capturing = true;
}

static void on_playback_start(SpicePlaybackChannel *channel, gint format, gint channels,
		gint freq, gpointer data) {
	struct probe *p = data;
	probe_log(p, "playback start: format %d, %d channels, %d Hz", format, channels, freq);
	p->audio.play_format = format;
	p->audio.play_channels = channels;
	p->audio.play_rate = freq;
	p->audio.play_active = true;
	if (p->audio.capturing) {
		p->audio.starts++;
	}
}

static void on_playback_data(SpicePlaybackChannel *channel, gpointer audio, gint size,
		gpointer data) {
	struct probe *p = data;
	if (!p->audio.capturing || p->audio.play_channels <= 0 || size <= 0) {
		return;
	}
	const gint16 *s = audio;
	gint frames = size / (2 * p->audio.play_channels);
	p->audio.frames += (guint64)frames;
	gint first = 0;
	if (p->audio.first_sound_us == 0) {
		/* Nothing is kept before the first sound: its arrival is the latency mark. */
		while (first < frames && abs(s[first * p->audio.play_channels]) <= AUDIO_SOUND_LEVEL) {
			first++;
		}
		if (first == frames) {
			return;
		}
		p->audio.first_sound_us = g_get_monotonic_time();
	}
	for (gint i = first; i < frames && p->audio.capture->len < AUDIO_MAX_CAPTURE; i++) {
		gint16 v = s[i * p->audio.play_channels];
		g_array_append_val(p->audio.capture, v);
		if (abs(v) > AUDIO_SOUND_LEVEL) {
			p->audio.loud_end = p->audio.capture->len;
		}
	}
}

static void audio_wait_check(struct probe *p);

static void on_playback_stop(SpicePlaybackChannel *channel, gpointer data) {
	struct probe *p = data;
	probe_log(p, "playback stop");
	p->audio.play_active = false;
	if (p->audio.capturing) {
		p->audio.stops++;
		if (p->audio.first_sound_us != 0) {
			p->audio.stopped_after_sound = true;
		}
	}
	audio_wait_check(p);
}

/*
 * Frequency from the positive-going zero crossings of the captured sound:
 * crossing times interpolated between samples, the median period, and the
 * mean of the periods near it (glitches at stream edges drop out).
 */
static double audio_frequency(const gint16 *s, guint n, int rate) {
	GArray *periods = g_array_new(FALSE, FALSE, sizeof(double));
	double last = -1.0;
	bool armed = false;
	for (guint i = 1; i < n; i++) {
		if (s[i] < -AUDIO_SOUND_LEVEL) {
			armed = true;
		} else if (armed && s[i - 1] < 0 && s[i] >= 0) {
			double t = (double)(i - 1) + (double)(-s[i - 1]) / (double)(s[i] - s[i - 1]);
			if (last >= 0.0) {
				double period = t - last;
				g_array_append_val(periods, period);
			}
			last = t;
			armed = false;
		}
	}
	double freq = 0.0;
	if (periods->len >= 2) {
		g_array_sort(periods, compare_double);
		double median = g_array_index(periods, double, periods->len / 2);
		double sum = 0.0;
		guint count = 0;
		for (guint i = 0; i < periods->len; i++) {
			double v = g_array_index(periods, double, i);
			if (fabs(v - median) <= 0.2 * median) {
				sum += v;
				count++;
			}
		}
		freq = count > 0 ? (double)rate * count / sum : 0.0;
	}
	g_array_free(periods, TRUE);
	return freq;
}

static char *audio_summary(struct probe *p) {
	const gint16 *s = (const gint16 *)(void *)p->audio.capture->data;
	guint n = p->audio.loud_end; /* from the first to the last sound */
	double sum = 0.0;
	int peak = 0;
	for (guint i = 0; i < n; i++) {
		sum += (double)s[i] * s[i];
		peak = MAX(peak, abs(s[i]));
	}
	double rms = n > 0 ? sqrt(sum / n) / 32768.0 : 0.0;
	int rate = p->audio.play_rate > 0 ? p->audio.play_rate : 48000;
	return g_strdup_printf("audio format=%s channels=%d rate=%d starts=%u stops=%u frames=%"
		G_GUINT64_FORMAT " sound_s=%.3f rms=%.4f rms_dbfs=%.1f peak=%.4f freq_hz=%.1f "
		"first_sound_us=%" G_GINT64_FORMAT, p->audio.play_format == SPICE_AUDIO_FMT_S16 ? "s16" :
		"unknown", p->audio.play_channels, rate, p->audio.starts, p->audio.stops, p->audio.frames,
		(double)n / rate, rms, rms > 0.0 ? 20.0 * log10(rms) : -999.0, peak / 32768.0,
		audio_frequency(s, n, rate), p->audio.first_sound_us);
}

static void audio_wait_check(struct probe *p) {
	if (p->wait.kind == SESSION_WAIT_AUDIO_STOP && p->audio.stopped_after_sound) {
		session_complete(p, "ok");
	}
}

static gboolean audio_capture_done(gpointer data) {
	struct probe *p = data;
	p->wait.timeout_source = 0;
	char *line = audio_summary(p);
	p->audio.capturing = false;
	if (p->audio.first_sound_us == 0) {
		char *fail = g_strdup_printf("fail no sound: %s", line);
		session_complete(p, fail);
		g_free(fail);
	} else {
		session_complete(p, line);
	}
	g_free(line);
	return G_SOURCE_REMOVE;
}

static enum cmd_result cmd_audio(struct probe *p, int argc, char **argv) {
	double seconds = DEFAULT_AUDIO_SECONDS;
	bool ok = true;
	int positional = 0;
	for (int i = 1; ok && i < argc; i++) {
		const char *value = NULL;
		if (take_option(argc, argv, &i, "--seconds", &value)) {
			ok = parse_seconds(value, &seconds);
		} else if (positional++ == 0) {
			ok = parse_seconds(argv[i], &seconds);
		} else {
			ok = false;
		}
	}
	if (!ok || seconds <= 0.0 || seconds > MAX_AUDIO_SECONDS) {
		cmd_reply(p, "error usage: audio [SECONDS] [--seconds S]");
		return CMD_DONE;
	}
	if (p->oneshot.dry_run) {
		return CMD_DONE;
	}
	if (p->ch.playback == NULL) {
		cmd_reply(p, "error no playback channel (spice-wl --no-audio?)");
		return CMD_DONE;
	}
	audio_reset_capture(p);
	p->wait.kind = SESSION_WAIT_AUDIO_TIME;
	p->wait.timeout_source = g_timeout_add(seconds_to_ms(seconds), audio_capture_done, p);
	return CMD_PENDING;
}

static enum cmd_result cmd_audio_start(struct probe *p, int argc, char **argv) {
	if (p->ch.playback == NULL) {
		cmd_reply(p, "error no playback channel (spice-wl --no-audio?)");
		return CMD_DONE;
	}
	audio_reset_capture(p);
	cmd_reply(p, "ok");
	return CMD_DONE;
}

static enum cmd_result cmd_audio_wait(struct probe *p, int argc, char **argv) {
	guint timeout_ms;
	if (!parse_ms(argv[1], &timeout_ms)) {
		cmd_reply(p, "error usage: audio-wait TIMEOUT_MS");
		return CMD_DONE;
	}
	if (!p->audio.capturing) {
		cmd_reply(p, "error audio-start first");
		return CMD_DONE;
	}
	if (p->audio.stopped_after_sound) {
		cmd_reply(p, "ok");
		return CMD_DONE;
	}
	session_start_wait(p, SESSION_WAIT_AUDIO_STOP, timeout_ms);
	return CMD_PENDING;
}

static enum cmd_result cmd_audio_stats(struct probe *p, int argc, char **argv) {
	if (!p->audio.capturing) {
		cmd_reply(p, "error audio-start first");
		return CMD_DONE;
	}
	char *line = audio_summary(p);
	cmd_reply(p, "%s", line);
	g_free(line);
	return CMD_DONE;
}

/* Sends the tone frames that are due by now: the tone goes out in real time. */
static gboolean tone_tick(gpointer data) {
	struct probe *p = data;
	if (p->ch.record == NULL) {
		p->tone.source = 0;
		session_complete(p, "fail record channel lost");
		return G_SOURCE_REMOVE;
	}
	gint64 elapsed = g_get_monotonic_time() - p->tone.start_us;
	guint64 due = (guint64)elapsed * (guint64)p->tone.rec_rate / G_USEC_PER_SEC + p->tone.burst;
	due = MIN(due, p->tone.frames);
	if (due > p->tone.sent) {
		guint64 n = due - p->tone.sent;
		int ch = p->tone.rec_channels;
		gint16 *buf = g_new(gint16, n * (guint64)ch);
		for (guint64 i = 0; i < n; i++) {
			double t = (double)(p->tone.sent + i) / p->tone.rec_rate;
			gint16 v = (gint16)lrint(p->tone.amplitude * 32767.0 *
				sin(2.0 * G_PI * p->tone.freq * t));
			for (int c = 0; c < ch; c++) {
				buf[i * (guint64)ch + (guint64)c] = v;
			}
		}
		spice_record_channel_send_data(p->ch.record, buf, n * (guint64)ch * 2,
			(guint32)(g_get_monotonic_time() / 1000));
		g_free(buf);
		p->tone.sent = due;
	}
	if (p->tone.sent < p->tone.frames) {
		return G_SOURCE_CONTINUE;
	}
	p->tone.source = 0;
	char *line = g_strdup_printf("ok sent=%" G_GUINT64_FORMAT " rate=%d", p->tone.sent,
		p->tone.rec_rate);
	session_complete(p, line);
	g_free(line);
	return G_SOURCE_REMOVE;
}

static void tone_begin(struct probe *p) {
	clear_source(&p->wait.timeout_source);
	p->wait.kind = SESSION_WAIT_TONE_SEND;
	p->tone.frames = (guint64)llround(p->tone.seconds * p->tone.rec_rate);
	p->tone.sent = 0;
	p->tone.burst = (guint64)p->tone.rec_rate * TONE_BURST_MS / 1000;
	p->tone.start_us = g_get_monotonic_time();
	tone_tick(p);
	if (p->wait.kind == SESSION_WAIT_TONE_SEND) {
		p->tone.source = g_timeout_add(TONE_TICK_MS, tone_tick, p);
	}
}

static void on_record_start(SpiceRecordChannel *channel, gint format, gint channels, gint freq,
		gpointer data) {
	struct probe *p = data;
	probe_log(p, "record start: format %d, %d channels, %d Hz", format, channels, freq);
	p->tone.rec_format = format;
	p->tone.rec_channels = channels;
	p->tone.rec_rate = freq;
	p->tone.rec_started = format == SPICE_AUDIO_FMT_S16 && channels > 0 && freq > 0;
	if (p->wait.kind == SESSION_WAIT_TONE_START && p->tone.rec_started) {
		tone_begin(p);
	}
}

static void on_record_stop(SpiceRecordChannel *channel, gpointer data) {
	struct probe *p = data;
	probe_log(p, "record stop");
	p->tone.rec_started = false;
}

static enum cmd_result cmd_tone(struct probe *p, int argc, char **argv) {
	double freq = DEFAULT_TONE_FREQ, seconds = DEFAULT_TONE_SECONDS;
	double amplitude = DEFAULT_TONE_AMPLITUDE;
	guint timeout_ms = DEFAULT_TONE_TIMEOUT_MS;
	bool ok = true;
	int positional = 0;
	for (int i = 1; ok && i < argc; i++) {
		const char *value = NULL;
		if (take_option(argc, argv, &i, "--freq", &value)) {
			ok = parse_seconds(value, &freq);
		} else if (take_option(argc, argv, &i, "--seconds", &value)) {
			ok = parse_seconds(value, &seconds);
		} else if (take_option(argc, argv, &i, "--amplitude", &value)) {
			ok = parse_seconds(value, &amplitude);
		} else if (take_option(argc, argv, &i, "--timeout-ms", &value)) {
			ok = parse_ms(value, &timeout_ms);
		} else if (positional == 0) {
			ok = parse_seconds(argv[i], &freq);
			positional++;
		} else if (positional == 1) {
			ok = parse_seconds(argv[i], &seconds);
			positional++;
		} else if (positional == 2) {
			ok = parse_seconds(argv[i], &amplitude);
			positional++;
		} else {
			ok = false;
		}
	}
	if (!ok || freq < 1.0 || freq > 20000.0 || seconds <= 0.0 || seconds > MAX_AUDIO_SECONDS ||
			amplitude <= 0.0 || amplitude > 1.0) {
		cmd_reply(p, "error usage: tone [FREQ [SECONDS [AMPLITUDE]]] [--freq HZ] "
			"[--seconds S] [--amplitude 0..1] [--timeout-ms MS]");
		return CMD_DONE;
	}
	if (p->oneshot.dry_run) {
		return CMD_DONE;
	}
	if (p->ch.record == NULL) {
		cmd_reply(p, "error no record channel (spice-wl --no-audio?)");
		return CMD_DONE;
	}
	p->tone.freq = freq;
	p->tone.seconds = seconds;
	p->tone.amplitude = amplitude;
	if (p->tone.rec_started) {
		tone_begin(p);
		return p->wait.kind == SESSION_WAIT_TONE_SEND ? CMD_PENDING : CMD_DONE;
	}
	/* The timeout covers the wait for the server to start recording. */
	session_start_wait(p, SESSION_WAIT_TONE_START, timeout_ms);
	return CMD_PENDING;
}

static const struct session_cmd cmds[] = {
	{"volume", "", 0, 0, false, cmd_volume, 0},
	{"wait-volume", "playback|record MUTE VOLUME|any TIMEOUT_MS", 4, 4, false, cmd_wait_volume,
		0},
	{"audio", "[SECONDS] [--seconds S]", 0, 2, false, cmd_audio, CMD_CLI | CMD_AUDIO},
	{"audio-start", "", 0, 0, false, cmd_audio_start, 0},
	{"audio-wait", "TIMEOUT_MS", 1, 1, false, cmd_audio_wait, 0},
	{"audio-stats", "", 0, 0, false, cmd_audio_stats, 0},
	{"tone", "[FREQ [SECONDS [AMPLITUDE]]] [--freq HZ] [--seconds S] [--amplitude A] "
		"[--timeout-ms MS]", 0, 8, false, cmd_tone, CMD_CLI | CMD_AUDIO | CMD_SENDS},
};

const struct probe_cmd_table probe_audio_cmds = {cmds, G_N_ELEMENTS(cmds)};

/* Connected here, before spice-glib's audio backend could take it. */
void playback_channel_new(struct probe *p, SpiceChannel *channel) {
	p->ch.playback = SPICE_PLAYBACK_CHANNEL(channel);
	g_signal_connect(channel, "playback-start", G_CALLBACK(on_playback_start), p);
	g_signal_connect(channel, "playback-data", G_CALLBACK(on_playback_data), p);
	g_signal_connect(channel, "playback-stop", G_CALLBACK(on_playback_stop), p);
	g_signal_connect(channel, "notify::volume", G_CALLBACK(on_volume_notify), p);
	g_signal_connect(channel, "notify::mute", G_CALLBACK(on_volume_notify), p);
}

void record_channel_new(struct probe *p, SpiceChannel *channel) {
	p->ch.record = SPICE_RECORD_CHANNEL(channel);
	g_signal_connect(channel, "record-start", G_CALLBACK(on_record_start), p);
	g_signal_connect(channel, "record-stop", G_CALLBACK(on_record_stop), p);
	g_signal_connect(channel, "notify::volume", G_CALLBACK(on_volume_notify), p);
	g_signal_connect(channel, "notify::mute", G_CALLBACK(on_volume_notify), p);
}
