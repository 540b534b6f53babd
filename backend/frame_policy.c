/*
 * The per-op / dfps / auto decision. dfps is a rate limit rather than a fixed
 * tick: an isolated change (a key press after idle) goes out at once, a
 * stream of changes is batched into one flush per period. auto adds a token
 * bucket so a few small changes within a period (typing fast) are not held
 * back, and halves the rate while the client is behind.
 */
#include "frame_policy.h"

void spb_frame_policy_init(struct spb_frame_policy *policy,
		enum wlr_spice_frame_mode mode, int fps, int queue_bound) {
	if (fps < 1) {
		fps = 1;
	}
	*policy = (struct spb_frame_policy){
		.mode = mode,
		.period_ms = 1000 / fps,
		.queue_bound = queue_bound,
		.tokens = SPB_AUTO_BURST,
	};
	pixman_region32_init(&policy->pending);
}

void spb_frame_policy_finish(struct spb_frame_policy *policy) {
	pixman_region32_fini(&policy->pending);
}

void spb_frame_policy_add_damage(
		struct spb_frame_policy *policy, const pixman_region32_t *damage) {
	pixman_region32_union(&policy->pending, &policy->pending, (pixman_region32_t *)damage);
}

static int64_t region_area(const pixman_region32_t *region) {
	int n = 0;
	const pixman_box32_t *boxes = pixman_region32_rectangles((pixman_region32_t *)region, &n);
	int64_t area = 0;
	for (int i = 0; i < n; i++) {
		area += (int64_t)(boxes[i].x2 - boxes[i].x1) * (boxes[i].y2 - boxes[i].y1);
	}
	return area;
}

static int tokens_at(const struct spb_frame_policy *policy, int64_t now_ms) {
	int64_t refilled = (now_ms - policy->tokens_ms) / SPB_AUTO_REFILL_MS;
	int64_t tokens = policy->tokens + (refilled > 0 ? refilled : 0);
	return tokens > SPB_AUTO_BURST ? SPB_AUTO_BURST : (int)tokens;
}

static bool in_period(const struct spb_frame_policy *policy, int64_t now_ms) {
	return policy->flushed_once && policy->last_flush_ms + policy->period_ms > now_ms;
}

int spb_frame_policy_next_flush(
		const struct spb_frame_policy *policy, int64_t now_ms, int queued) {
	if (!pixman_region32_not_empty((pixman_region32_t *)&policy->pending)) {
		return -1;
	}

	int delay = 0;
	bool paced = policy->mode != WLR_SPICE_FRAME_MODE_PER_OP;
	if (paced && in_period(policy, now_ms)) {
		delay = (int)(policy->last_flush_ms + policy->period_ms - now_ms);
	}
	if (policy->mode == WLR_SPICE_FRAME_MODE_AUTO) {
		if (queued >= SPB_AUTO_BACKLOG) {
			// The client is behind: half the rate, so changes coalesce.
			int64_t due = policy->last_flush_ms + 2 * policy->period_ms;
			delay = policy->flushed_once && due > now_ms ? (int)(due - now_ms) : 0;
		} else if (delay > 0 && tokens_at(policy, now_ms) > 0 &&
				region_area(&policy->pending) <= SPB_AUTO_SMALL_PIXELS) {
			delay = 0;
		}
	}
	if (policy->link_paced && delay > 0 && queued < policy->queue_bound) {
		delay = 0;
	}
	if (delay == 0 && queued >= policy->queue_bound) {
		// The worker is behind: keep coalescing into the pending region.
		delay = paced ? policy->period_ms : SPB_BACKLOG_RETRY_MS;
	}
	return delay;
}

void spb_frame_policy_take(
		struct spb_frame_policy *policy, int64_t now_ms, pixman_region32_t *out) {
	if (policy->mode == WLR_SPICE_FRAME_MODE_AUTO && in_period(policy, now_ms)) {
		// An early flush spends one of the burst's tokens.
		int tokens = tokens_at(policy, now_ms);
		policy->tokens = tokens > 0 ? tokens - 1 : 0;
		policy->tokens_ms = now_ms;
	}
	pixman_region32_copy(out, &policy->pending);
	pixman_region32_clear(&policy->pending);
	policy->last_flush_ms = now_ms;
	policy->flushed_once = true;
}
