/*
 * SPICE audio of the backend: the playback interface fed with PCM read from
 * a FIFO, and the record interface whose samples (the client's microphone)
 * are written to another FIFO. Both FIFOs carry S16LE stereo at the rate
 * spice-server prefers (wlr_spice_backend_get_audio_rate).
 */
#ifndef SPB_AUDIO_H
#define SPB_AUDIO_H

#include <stdbool.h>
#include <stdint.h>
#include <spice.h>
#include <wayland-server-core.h>
#include "audio_pcm.h"

/* Frames examined at a time for silence: 10 ms at 48 kHz, an Opus frame. */
#define SPB_AUDIO_CHUNK_FRAMES 480

struct spb_backend;

struct spb_audio {
	struct spb_backend *backend;
	SpicePlaybackInstance playback;
	SpiceRecordInstance record;
	bool playback_added, record_added;
	uint32_t rate;

	// Playback: PCM from the FIFO, paced to real time.
	char *playback_path; // NULL: no playback
	bool playback_created; // we made the FIFO, so we remove it
	int play_fd; // read end
	int play_keep_fd; // a write end of our own: readers never see EOF
	struct wl_event_source *play_readable, *play_timer;
	bool throttled; // the pacer ran dry; the timer re-enables reading
	bool streaming; // data arrived lately; the pacer runs
	bool playing; // spice_server_playback_start was called
	struct spb_pacer pacer;
	uint32_t chunk[SPB_AUDIO_CHUNK_FRAMES]; // stereo frames being gathered
	size_t chunk_len; // bytes, a frame may be incomplete
	uint32_t *out; // spice-server's buffer being filled, NULL if none
	uint32_t out_frames, out_fill;
	uint32_t quiet_frames; // silent frames in a row
	int64_t last_data_us;
	// The client muted its playback: silence is sent, which ends the stream.
	// Its volume is not applied here: the client applies it itself.
	bool play_muted;

	// Record: the client's samples into the FIFO.
	char *record_path; // NULL: no record
	bool record_created;
	int rec_fd; // opened read-write so it never blocks and readers never see EOF
	int rec_source_fd; // a sound server's pipe source FIFO, written as well; -1 if none
	bool rec_muted; // the client muted its microphone: silence is recorded

	uint64_t frames_sent, frames_dropped, frames_recorded, record_dropped;
};

void spb_audio_init(struct spb_audio *audio, struct spb_backend *backend,
		const char *playback_path, const char *record_path);
/* Creates the FIFOs and registers the interfaces; false on a hard failure. */
bool spb_audio_add(struct spb_audio *audio, SpiceServer *server);
/* Pulls what the client recorded; cheap, called after spice-server's I/O. */
void spb_audio_pump_record(struct spb_audio *audio);
/*
 * The client's volume and mute for playback or record (VD_AGENT_AUDIO_VOLUME_SYNC).
 * Only mute is acted on: the volume is the client's local one, applied there.
 */
void spb_audio_set_volume(struct spb_audio *audio, bool playback, bool mute,
		const uint16_t *volume, size_t nchannels);
/* Full volume and mute for the client's playback or record stream. */
void spb_audio_set_client_volume(struct spb_audio *audio, bool playback, bool mute);
/* The client left: its mute does not apply to the next one. */
void spb_audio_client_gone(struct spb_audio *audio);
/*
 * Writes the client's microphone into the existing FIFO at path too (the
 * record FIFO keeps getting it).
 */
bool spb_audio_set_record_fifo(struct spb_audio *audio, const char *path);
/* Stops the streams and unregisters the interfaces; before spice_server_destroy. */
void spb_audio_remove(struct spb_audio *audio);
void spb_audio_finish(struct spb_audio *audio);

#endif
