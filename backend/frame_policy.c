/*
 * The per-op / dfps decision. dfps is a rate limit rather than a fixed tick:
 * an isolated change (a key press after idle) goes out at once, a stream of
 * changes is batched into one flush per period.
 */
#include "frame_policy.h"

void wlr_spice_frame_policy_init(struct wlr_spice_frame_policy *policy,
		enum wlr_spice_frame_mode mode, int fps, int queue_bound) {
	if (fps < 1) {
		fps = 1;
	}
	*policy = (struct wlr_spice_frame_policy){
		.mode = mode,
		.period_ms = 1000 / fps,
		.queue_bound = queue_bound,
	};
	pixman_region32_init(&policy->pending);
}

void wlr_spice_frame_policy_finish(struct wlr_spice_frame_policy *policy) {
	pixman_region32_fini(&policy->pending);
}

void wlr_spice_frame_policy_add_damage(
		struct wlr_spice_frame_policy *policy, const pixman_region32_t *damage) {
	pixman_region32_union(&policy->pending, &policy->pending, (pixman_region32_t *)damage);
}

int wlr_spice_frame_policy_next_flush(
		const struct wlr_spice_frame_policy *policy, int64_t now_ms, int queued) {
	if (!pixman_region32_not_empty((pixman_region32_t *)&policy->pending)) {
		return -1;
	}

	int delay = 0;
	if (policy->mode == WLR_SPICE_FRAME_MODE_DFPS && policy->flushed_once) {
		int64_t due = policy->last_flush_ms + policy->period_ms;
		if (due > now_ms) {
			delay = (int)(due - now_ms);
		}
	}
	if (delay == 0 && queued >= policy->queue_bound) {
		// The worker is behind: keep coalescing into the pending region.
		bool dfps = policy->mode == WLR_SPICE_FRAME_MODE_DFPS;
		delay = dfps ? policy->period_ms : WLR_SPICE_BACKLOG_RETRY_MS;
	}
	return delay;
}

void wlr_spice_frame_policy_take(
		struct wlr_spice_frame_policy *policy, int64_t now_ms, pixman_region32_t *out) {
	pixman_region32_copy(out, &policy->pending);
	pixman_region32_clear(&policy->pending);
	policy->last_flush_ms = now_ms;
	policy->flushed_once = true;
}
