/*
 * Pure helpers of the audio path, kept apart from SPICE and the event loop so
 * they can be unit-tested: silence detection and the pacer that reads
 * playback PCM no faster than real time.
 */
#ifndef SPB_AUDIO_PCM_H
#define SPB_AUDIO_PCM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Samples within +-threshold count as silence (dither and rounding noise). */
bool spb_pcm_is_silent(const int16_t *samples, size_t n, int threshold);

/*
 * A token bucket in frames: credit grows with time at `rate` frames per
 * second up to `cap` frames, and reading consumes it. Credit is kept in
 * frame-microseconds so no fraction of a frame is lost between refills.
 */
struct spb_pacer {
	uint32_t rate;
	uint64_t cap; // frame-microseconds
	uint64_t credit;
	int64_t last_us;
};

void spb_pacer_init(struct spb_pacer *pacer, uint32_t rate, uint32_t cap_frames);
/* Starts full at now_us: a stream may begin with a burst of cap frames. */
void spb_pacer_start(struct spb_pacer *pacer, int64_t now_us);
void spb_pacer_refill(struct spb_pacer *pacer, int64_t now_us);
uint64_t spb_pacer_available(const struct spb_pacer *pacer);
void spb_pacer_consume(struct spb_pacer *pacer, uint64_t frames);
/* Microseconds until `frames` frames are available (0 if they are). */
int64_t spb_pacer_wait_us(const struct spb_pacer *pacer, uint64_t frames);

#endif
