/*
 * When pending damage turns into draw commands: at once (per-op), at most
 * fps times a second (dfps), or at most fps times a second with small
 * changes let through early (auto); never while the SPICE worker is behind.
 * Pure: time and queue depth are inputs, so it is unit-tested alone.
 */
#ifndef SPB_FRAME_POLICY_H
#define SPB_FRAME_POLICY_H

#include <stdbool.h>
#include <stdint.h>
#include <pixman.h>
#include "wlr_spice.h"

/* How long per-op waits before retrying when the worker is behind. */
#define SPB_BACKLOG_RETRY_MS 4

/* auto: pending damage up to this many pixels counts as a small change. */
#define SPB_AUTO_SMALL_PIXELS (256 * 256)
/* auto: small changes sent at once within a period, and how fast that refills. */
#define SPB_AUTO_BURST 4
#define SPB_AUTO_REFILL_MS 250
/* auto: commands waiting for the worker from which the client counts as behind. */
#define SPB_AUTO_BACKLOG 8

struct spb_frame_policy {
	enum wlr_spice_frame_mode mode;
	int period_ms; // dfps: minimum time between two flushes
	int queue_bound; // commands waiting for the worker above which we coalesce
	pixman_region32_t pending; // damage not yet sent, buffer coordinates
	int64_t last_flush_ms;
	bool flushed_once;
	// auto: early flushes left for small changes, as of tokens_ms.
	int tokens;
	int64_t tokens_ms;
	// A slow link's pacer (link_pace.h) decides what goes: the frame period
	// would only delay small changes behind a held large region.
	bool link_paced;
};

void spb_frame_policy_init(struct spb_frame_policy *policy,
		enum wlr_spice_frame_mode mode, int fps, int queue_bound);
void spb_frame_policy_finish(struct spb_frame_policy *policy);

void spb_frame_policy_add_damage(
		struct spb_frame_policy *policy, const pixman_region32_t *damage);

/*
 * Milliseconds until pending damage should be flushed: -1 when nothing is
 * pending, 0 for now, else the delay for a timer.
 */
int spb_frame_policy_next_flush(
		const struct spb_frame_policy *policy, int64_t now_ms, int queued);

/* Moves the pending region into out (an initialised region) and records now. */
void spb_frame_policy_take(
		struct spb_frame_policy *policy, int64_t now_ms, pixman_region32_t *out);

#endif
