/*
 * The slow-link pacer (link_pace.h): a virtual queue draining at the paced
 * rate, what was pushed but not written yet, and the encoded size of a
 * pixel learnt from what got written, so a budget in bytes can be spent
 * in pixels before they are encoded.
 */
#include "link_pace.h"

/* Learning windows: long enough that a push and its write land in the same one. */
#define LEARN_MS 200
#define LEARN_PX 50000
#define MIN_BPP 0.01
#define MAX_BPP 4.5
/* The longest a held update waits before the budget is looked at again. */
#define MAX_WAIT_MS 100

void spb_link_pace_init(struct spb_link_pace *pacer) {
	*pacer = (struct spb_link_pace){ .bytes_per_px = SPB_LINK_PACE_FIRST_BPP };
}

static void learn(struct spb_link_pace *pacer, uint64_t written_now) {
	pacer->learn_bytes += written_now;
	if (pacer->learn_px < LEARN_PX || pacer->now_ms - pacer->learn_ms < LEARN_MS) {
		return;
	}
	double bpp = (double)pacer->learn_bytes / (double)pacer->learn_px;
	bpp = bpp < MIN_BPP ? MIN_BPP : bpp > MAX_BPP ? MAX_BPP : bpp;
	pacer->bytes_per_px = pacer->learnt ? (pacer->bytes_per_px * 3 + bpp) / 4 : bpp;
	pacer->learnt = true;
	pacer->learn_px = 0;
	pacer->learn_bytes = 0;
	pacer->learn_ms = pacer->now_ms;
}

/* Only what the sockets hold is known to wait; nothing is drained or expected. */
static void restart_queue(struct spb_link_pace *pacer, uint32_t socket_queued) {
	pacer->queue = socket_queued;
	pacer->expect = 0;
	pacer->drain = 0;
	pacer->was_active = false;
}

void spb_link_pace_update(struct spb_link_pace *pacer, int64_t now_ms,
		uint64_t link_rate, uint64_t written, uint32_t socket_queued) {
	pacer->rate = link_rate < SPB_LINK_PACE_MAX_RATE ?
		link_rate * SPB_LINK_PACE_SHARE_PCT / 100 : 0;
	if (!pacer->have_written || written < pacer->written) {
		// The first look, or another client whose counters start anew.
		pacer->have_written = true;
		pacer->written = written;
		pacer->now_ms = now_ms;
		pacer->learn_ms = now_ms;
		restart_queue(pacer, socket_queued);
		return;
	}
	int64_t dt = now_ms > pacer->now_ms ? now_ms - pacer->now_ms : 0;
	uint64_t dw = written - pacer->written;
	pacer->written = written;
	pacer->now_ms = now_ms;
	learn(pacer, dw);

	if (!spb_link_pace_active(pacer)) {
		restart_queue(pacer, socket_queued);
		return;
	}
	double drained = (double)pacer->rate * (double)dt / 1000.0;
	if (!pacer->was_active) {
		// The rate was just measured, so the path was full: a queue beyond
		// the server (a router's, a relay's) may hold up to a second of it.
		pacer->was_active = true;
		pacer->drain = (double)pacer->rate * SPB_LINK_PACE_DRAIN_MS / 1000.0;
		drained = 0;
	}
	pacer->drain = pacer->drain > drained ? pacer->drain - drained : 0;
	pacer->queue += (double)dw - drained;
	if (pacer->queue < socket_queued) {
		pacer->queue = socket_queued;
	}
	pacer->expect -= (double)dw;
	if (pacer->expect < 0 || now_ms - pacer->pushed_ms > SPB_LINK_PACE_EXPECT_MS) {
		pacer->expect = 0;
	}
}

void spb_link_pace_taken(struct spb_link_pace *pacer) {
	pacer->expect = 0;
}

bool spb_link_pace_active(const struct spb_link_pace *pacer) {
	return pacer->rate > 0;
}

static double waiting(const struct spb_link_pace *pacer) {
	return pacer->queue + pacer->expect;
}

static double at_rate(const struct spb_link_pace *pacer, int ms) {
	return (double)pacer->rate * ms / 1000.0;
}

/* What large updates wait behind beyond the low mark; > 0: hold them. */
static double over_low_mark(const struct spb_link_pace *pacer) {
	return waiting(pacer) + pacer->drain - at_rate(pacer, SPB_LINK_PACE_LOW_MS);
}

bool spb_link_pace_small_ok(const struct spb_link_pace *pacer) {
	return !spb_link_pace_active(pacer) ||
		waiting(pacer) < at_rate(pacer, SPB_LINK_PACE_SMALL_CAP_MS);
}

int64_t spb_link_pace_large_px(const struct spb_link_pace *pacer) {
	if (!spb_link_pace_active(pacer)) {
		return INT64_MAX;
	}
	if (over_low_mark(pacer) >= 0) {
		return 0;
	}
	double bytes = at_rate(pacer, SPB_LINK_PACE_BAND_MS);
	if (bytes < SPB_LINK_PACE_BAND_MIN_BYTES) {
		bytes = SPB_LINK_PACE_BAND_MIN_BYTES;
	}
	int64_t px = (int64_t)(bytes / pacer->bytes_per_px);
	return px > 0 ? px : 1;
}

void spb_link_pace_pushed(struct spb_link_pace *pacer, int64_t pixels) {
	pacer->learn_px += (uint64_t)pixels;
	if (spb_link_pace_active(pacer)) {
		pacer->expect += (double)pixels * pacer->bytes_per_px;
		pacer->pushed_ms = pacer->now_ms;
	}
}

int spb_link_pace_wait_ms(const struct spb_link_pace *pacer) {
	if (!spb_link_pace_active(pacer)) {
		return 1;
	}
	double ms = over_low_mark(pacer) * 1000.0 / (double)pacer->rate;
	if (ms < 1) {
		return 1;
	}
	return ms > MAX_WAIT_MS ? MAX_WAIT_MS : (int)ms + 1;
}
