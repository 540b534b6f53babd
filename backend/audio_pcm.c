/*
 * Pure PCM helpers of the audio path: silence and pacing. No SPICE, no
 * event loop; see audio_pcm.h.
 */
#include "audio_pcm.h"

#define US_PER_S 1000000ull

bool spb_pcm_is_silent(const int16_t *samples, size_t n, int threshold) {
	for (size_t i = 0; i < n; i++) {
		if (samples[i] > threshold || samples[i] < -threshold) {
			return false;
		}
	}
	return true;
}

void spb_pacer_init(struct spb_pacer *pacer, uint32_t rate, uint32_t cap_frames) {
	*pacer = (struct spb_pacer){
		.rate = rate,
		.cap = (uint64_t)cap_frames * US_PER_S,
	};
}

void spb_pacer_start(struct spb_pacer *pacer, int64_t now_us) {
	pacer->credit = pacer->cap;
	pacer->last_us = now_us;
}

void spb_pacer_refill(struct spb_pacer *pacer, int64_t now_us) {
	if (now_us <= pacer->last_us) {
		return;
	}
	uint64_t gained = (uint64_t)(now_us - pacer->last_us) * pacer->rate;
	pacer->last_us = now_us;
	pacer->credit = gained >= pacer->cap - pacer->credit ? pacer->cap : pacer->credit + gained;
}

uint64_t spb_pacer_available(const struct spb_pacer *pacer) {
	return pacer->credit / US_PER_S;
}

void spb_pacer_consume(struct spb_pacer *pacer, uint64_t frames) {
	uint64_t cost = frames * US_PER_S;
	pacer->credit = cost >= pacer->credit ? 0 : pacer->credit - cost;
}

int64_t spb_pacer_wait_us(const struct spb_pacer *pacer, uint64_t frames) {
	uint64_t need = frames * US_PER_S;
	if (pacer->credit >= need || pacer->rate == 0) {
		return 0;
	}
	// Round up: after this long the credit is there.
	return (int64_t)((need - pacer->credit + pacer->rate - 1) / pacer->rate);
}
