/*
 * Unit tests for backend/frame_policy.c: when pending damage is flushed.
 * per-op flushes at once unless the worker is behind; dfps flushes an
 * isolated change at once and then at most once per period; a backlog keeps
 * coalescing damage into the one pending region; take hands over the union
 * and clears it; fps below 1 is clamped. auto lets a burst of small changes
 * through within a period, paces large ones like dfps, refills its burst
 * over time, and halves the rate while the client is behind.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <pixman.h>

#include "frame_policy.h"

#define BOUND 3
#define T0 1000000 // an arbitrary start time, far from 0

static void add_rect(struct spb_frame_policy *policy, int x, int y, int w, int h) {
	pixman_region32_t damage;
	pixman_region32_init_rect(&damage, x, y, w, h);
	spb_frame_policy_add_damage(policy, &damage);
	pixman_region32_fini(&damage);
}

static void assert_region_equal(pixman_region32_t *a, pixman_region32_t *b) {
	assert_true(pixman_region32_equal(a, b));
}

/* Takes the pending region at now and checks it equals expected. */
static void take_and_check(struct spb_frame_policy *policy, int64_t now,
		pixman_region32_t *expected) {
	pixman_region32_t out;
	pixman_region32_init(&out);
	spb_frame_policy_take(policy, now, &out);
	assert_region_equal(&out, expected);
	pixman_region32_fini(&out);
}

static void test_per_op_nothing_pending(void **state) {
	struct spb_frame_policy policy;
	spb_frame_policy_init(&policy, WLR_SPICE_FRAME_MODE_PER_OP, 30, BOUND);
	assert_int_equal(spb_frame_policy_next_flush(&policy, T0, 0), -1);
	// A backlog does not make an empty region due.
	assert_int_equal(spb_frame_policy_next_flush(&policy, T0, BOUND + 5), -1);

	// Empty damage leaves nothing pending.
	pixman_region32_t empty;
	pixman_region32_init(&empty);
	spb_frame_policy_add_damage(&policy, &empty);
	assert_int_equal(spb_frame_policy_next_flush(&policy, T0, 0), -1);
	pixman_region32_fini(&empty);
	spb_frame_policy_finish(&policy);
}

static void test_per_op_damage_now(void **state) {
	struct spb_frame_policy policy;
	spb_frame_policy_init(&policy, WLR_SPICE_FRAME_MODE_PER_OP, 30, BOUND);
	add_rect(&policy, 0, 0, 10, 10);
	assert_int_equal(spb_frame_policy_next_flush(&policy, T0, 0), 0);
	assert_int_equal(spb_frame_policy_next_flush(&policy, T0, BOUND - 1), 0);

	// per-op has no rate limit: damage right after a take is due at once.
	pixman_region32_t out;
	pixman_region32_init(&out);
	spb_frame_policy_take(&policy, T0, &out);
	add_rect(&policy, 5, 5, 1, 1);
	assert_int_equal(spb_frame_policy_next_flush(&policy, T0 + 1, 0), 0);
	pixman_region32_fini(&out);
	spb_frame_policy_finish(&policy);
}

static void test_per_op_backlog_coalesces(void **state) {
	struct spb_frame_policy policy;
	spb_frame_policy_init(&policy, WLR_SPICE_FRAME_MODE_PER_OP, 30, BOUND);
	add_rect(&policy, 0, 0, 10, 10);
	assert_int_equal(spb_frame_policy_next_flush(&policy, T0, BOUND),
		SPB_BACKLOG_RETRY_MS);
	assert_int_equal(spb_frame_policy_next_flush(&policy, T0, BOUND + 10),
		SPB_BACKLOG_RETRY_MS);

	// Damage arriving while behind joins the same pending region.
	add_rect(&policy, 5, 5, 10, 10);
	add_rect(&policy, 100, 100, 4, 4);
	assert_int_equal(spb_frame_policy_next_flush(&policy, T0 + 4, BOUND),
		SPB_BACKLOG_RETRY_MS);

	pixman_region32_t expected;
	pixman_region32_init_rect(&expected, 0, 0, 10, 10);
	pixman_region32_union_rect(&expected, &expected, 5, 5, 10, 10);
	pixman_region32_union_rect(&expected, &expected, 100, 100, 4, 4);
	assert_region_equal(&policy.pending, &expected);

	// Once the worker catches up the whole union goes out in one take.
	assert_int_equal(spb_frame_policy_next_flush(&policy, T0 + 8, BOUND - 1), 0);
	take_and_check(&policy, T0 + 8, &expected);
	assert_int_equal(spb_frame_policy_next_flush(&policy, T0 + 8, 0), -1);
	pixman_region32_fini(&expected);
	spb_frame_policy_finish(&policy);
}

static void test_dfps_period(void **state) {
	struct spb_frame_policy policy;
	spb_frame_policy_init(&policy, WLR_SPICE_FRAME_MODE_DFPS, 30, BOUND);
	assert_int_equal(policy.period_ms, 1000 / 30);
	spb_frame_policy_finish(&policy);

	spb_frame_policy_init(&policy, WLR_SPICE_FRAME_MODE_DFPS, 120, BOUND);
	assert_int_equal(policy.period_ms, 8);
	spb_frame_policy_finish(&policy);
}

static void test_dfps_first_damage_immediate(void **state) {
	struct spb_frame_policy policy;
	spb_frame_policy_init(&policy, WLR_SPICE_FRAME_MODE_DFPS, 30, BOUND);
	assert_int_equal(spb_frame_policy_next_flush(&policy, 5, 0), -1);
	add_rect(&policy, 0, 0, 10, 10);
	// Early in the clock, where "last flush at 0" would still be within a period.
	assert_int_equal(spb_frame_policy_next_flush(&policy, 5, 0), 0);
	assert_int_equal(spb_frame_policy_next_flush(&policy, T0, 0), 0);
	spb_frame_policy_finish(&policy);
}

static void test_dfps_rate_limit(void **state) {
	struct spb_frame_policy policy;
	spb_frame_policy_init(&policy, WLR_SPICE_FRAME_MODE_DFPS, 30, BOUND);
	add_rect(&policy, 0, 0, 10, 10);
	assert_int_equal(spb_frame_policy_next_flush(&policy, T0, 0), 0);
	pixman_region32_t out;
	pixman_region32_init(&out);
	spb_frame_policy_take(&policy, T0, &out);
	assert_int_equal(spb_frame_policy_next_flush(&policy, T0 + 10, 0), -1);

	add_rect(&policy, 20, 20, 5, 5);
	assert_int_equal(spb_frame_policy_next_flush(&policy, T0 + 10, 0), 23);
	assert_int_equal(spb_frame_policy_next_flush(&policy, T0 + 32, 0), 1);
	assert_int_equal(spb_frame_policy_next_flush(&policy, T0 + 33, 0), 0);
	assert_int_equal(spb_frame_policy_next_flush(&policy, T0 + 40, 0), 0);

	// The period counts from the latest take.
	spb_frame_policy_take(&policy, T0 + 40, &out);
	add_rect(&policy, 0, 0, 1, 1);
	assert_int_equal(spb_frame_policy_next_flush(&policy, T0 + 41, 0), 32);
	pixman_region32_fini(&out);
	spb_frame_policy_finish(&policy);
}

static void test_dfps_accumulates(void **state) {
	struct spb_frame_policy policy;
	spb_frame_policy_init(&policy, WLR_SPICE_FRAME_MODE_DFPS, 30, BOUND);
	pixman_region32_t out;
	pixman_region32_init(&out);
	add_rect(&policy, 0, 0, 1, 1);
	spb_frame_policy_take(&policy, T0, &out);

	add_rect(&policy, 0, 0, 10, 10);
	assert_int_equal(spb_frame_policy_next_flush(&policy, T0 + 5, 0), 28);
	add_rect(&policy, 8, 8, 10, 10);
	assert_int_equal(spb_frame_policy_next_flush(&policy, T0 + 15, 0), 18);
	add_rect(&policy, 200, 50, 30, 2);
	assert_int_equal(spb_frame_policy_next_flush(&policy, T0 + 30, 0), 3);
	assert_int_equal(spb_frame_policy_next_flush(&policy, T0 + 33, 0), 0);

	pixman_region32_t expected;
	pixman_region32_init_rect(&expected, 0, 0, 10, 10);
	pixman_region32_union_rect(&expected, &expected, 8, 8, 10, 10);
	pixman_region32_union_rect(&expected, &expected, 200, 50, 30, 2);
	take_and_check(&policy, T0 + 33, &expected);
	assert_int_equal(spb_frame_policy_next_flush(&policy, T0 + 33, 0), -1);
	pixman_region32_fini(&expected);
	pixman_region32_fini(&out);
	spb_frame_policy_finish(&policy);
}

static void test_take_clears_pending(void **state) {
	struct spb_frame_policy policy;
	spb_frame_policy_init(&policy, WLR_SPICE_FRAME_MODE_PER_OP, 30, BOUND);
	add_rect(&policy, 10, 10, 20, 20);

	// take replaces whatever out held.
	pixman_region32_t out;
	pixman_region32_init_rect(&out, 500, 500, 5, 5);
	spb_frame_policy_take(&policy, T0, &out);
	pixman_region32_t expected;
	pixman_region32_init_rect(&expected, 10, 10, 20, 20);
	assert_region_equal(&out, &expected);

	assert_false(pixman_region32_not_empty(&policy.pending));
	assert_int_equal(spb_frame_policy_next_flush(&policy, T0, 0), -1);

	// A second take yields nothing.
	spb_frame_policy_take(&policy, T0 + 1, &out);
	assert_false(pixman_region32_not_empty(&out));

	// The policy keeps working after a take.
	add_rect(&policy, 1, 2, 3, 4);
	pixman_region32_fini(&expected);
	pixman_region32_init_rect(&expected, 1, 2, 3, 4);
	assert_int_equal(spb_frame_policy_next_flush(&policy, T0 + 2, 0), 0);
	take_and_check(&policy, T0 + 2, &expected);

	pixman_region32_fini(&expected);
	pixman_region32_fini(&out);
	spb_frame_policy_finish(&policy);
}

static void test_dfps_backlog(void **state) {
	struct spb_frame_policy policy;
	spb_frame_policy_init(&policy, WLR_SPICE_FRAME_MODE_DFPS, 30, BOUND);
	pixman_region32_t out;
	pixman_region32_init(&out);

	// After idle, a backlog still defers by a period.
	add_rect(&policy, 0, 0, 10, 10);
	assert_int_equal(spb_frame_policy_next_flush(&policy, T0, BOUND), 33);
	spb_frame_policy_take(&policy, T0, &out);

	add_rect(&policy, 0, 0, 10, 10);
	// Before the deadline the remaining time wins, backlog or not.
	assert_int_equal(spb_frame_policy_next_flush(&policy, T0 + 10, BOUND), 23);
	// At and after the deadline a backlog pushes the flush one period out.
	assert_int_equal(spb_frame_policy_next_flush(&policy, T0 + 33, BOUND), 33);
	assert_int_equal(spb_frame_policy_next_flush(&policy, T0 + 40, BOUND + 7), 33);
	assert_int_equal(spb_frame_policy_next_flush(&policy, T0 + 40, BOUND - 1), 0);

	// Damage during the backlog is coalesced, not queued separately.
	add_rect(&policy, 50, 0, 10, 10);
	pixman_region32_t expected;
	pixman_region32_init_rect(&expected, 0, 0, 10, 10);
	pixman_region32_union_rect(&expected, &expected, 50, 0, 10, 10);
	assert_region_equal(&policy.pending, &expected);
	take_and_check(&policy, T0 + 73, &expected);

	pixman_region32_fini(&expected);
	pixman_region32_fini(&out);
	spb_frame_policy_finish(&policy);
}

static void test_fps_clamped(void **state) {
	const int bad_fps[] = { 0, -1, -30 };
	for (size_t i = 0; i < sizeof(bad_fps) / sizeof(bad_fps[0]); i++) {
		struct spb_frame_policy policy;
		spb_frame_policy_init(&policy, WLR_SPICE_FRAME_MODE_DFPS, bad_fps[i],
			BOUND);
		assert_int_equal(policy.period_ms, 1000);

		pixman_region32_t out;
		pixman_region32_init(&out);
		add_rect(&policy, 0, 0, 1, 1);
		assert_int_equal(spb_frame_policy_next_flush(&policy, T0, 0), 0);
		spb_frame_policy_take(&policy, T0, &out);
		add_rect(&policy, 0, 0, 1, 1);
		assert_int_equal(spb_frame_policy_next_flush(&policy, T0 + 500, 0), 500);
		assert_int_equal(spb_frame_policy_next_flush(&policy, T0 + 1000, 0), 0);
		pixman_region32_fini(&out);
		spb_frame_policy_finish(&policy);
	}
}

/* Flushes whatever is pending at now, as output.c does when told 0. */
static void flush_at(struct spb_frame_policy *policy, int64_t now) {
	pixman_region32_t out;
	pixman_region32_init(&out);
	spb_frame_policy_take(policy, now, &out);
	pixman_region32_fini(&out);
}

static void test_auto_small_burst(void **state) {
	struct spb_frame_policy policy;
	spb_frame_policy_init(&policy, WLR_SPICE_FRAME_MODE_AUTO, 10, 64);
	add_rect(&policy, 0, 0, 10, 20);
	assert_int_equal(spb_frame_policy_next_flush(&policy, T0, 0), 0);
	flush_at(&policy, T0);
	// Small changes within the 100 ms period go out at once while tokens last.
	for (int i = 1; i <= SPB_AUTO_BURST; i++) {
		add_rect(&policy, i, 0, 10, 20);
		assert_int_equal(spb_frame_policy_next_flush(&policy, T0 + i, 0), 0);
		flush_at(&policy, T0 + i);
	}
	// Then they wait for the period like dfps.
	add_rect(&policy, 0, 0, 10, 20);
	int64_t now = T0 + SPB_AUTO_BURST + 1;
	int64_t due = T0 + SPB_AUTO_BURST + 100;
	assert_int_equal(spb_frame_policy_next_flush(&policy, now, 0), due - now);
	flush_at(&policy, due);
	// A token comes back after the refill time.
	now = due + SPB_AUTO_REFILL_MS;
	flush_at(&policy, now - 50);
	add_rect(&policy, 0, 0, 10, 20);
	assert_int_equal(spb_frame_policy_next_flush(&policy, now, 0), 0);
	spb_frame_policy_finish(&policy);
}

static void test_auto_large_paced(void **state) {
	struct spb_frame_policy policy;
	spb_frame_policy_init(&policy, WLR_SPICE_FRAME_MODE_AUTO, 10, 64);
	add_rect(&policy, 0, 0, 1280, 800);
	assert_int_equal(spb_frame_policy_next_flush(&policy, T0, 0), 0);
	flush_at(&policy, T0);
	// A large change right after waits for the period despite full tokens.
	add_rect(&policy, 0, 0, 300, 300);
	assert_int_equal(spb_frame_policy_next_flush(&policy, T0 + 10, 0), 90);
	assert_int_equal(spb_frame_policy_next_flush(&policy, T0 + 100, 0), 0);
	spb_frame_policy_finish(&policy);
}

static void test_link_paced_skips_the_period(void **state) {
	struct spb_frame_policy policy;
	spb_frame_policy_init(&policy, WLR_SPICE_FRAME_MODE_DFPS, 10, 64);
	add_rect(&policy, 0, 0, 10, 10);
	flush_at(&policy, T0);
	add_rect(&policy, 0, 0, 300, 300);
	assert_int_equal(spb_frame_policy_next_flush(&policy, T0 + 10, 0), 90);
	// On a paced slow link the pacer holds what must wait, not the period.
	policy.link_paced = true;
	assert_int_equal(spb_frame_policy_next_flush(&policy, T0 + 10, 0), 0);
	// The worker being behind still waits for the period.
	assert_int_equal(spb_frame_policy_next_flush(&policy, T0 + 10, 64), 90);
	spb_frame_policy_finish(&policy);
}

static void test_auto_backlog_halves_rate(void **state) {
	struct spb_frame_policy policy;
	spb_frame_policy_init(&policy, WLR_SPICE_FRAME_MODE_AUTO, 10, 64);
	add_rect(&policy, 0, 0, 10, 10);
	flush_at(&policy, T0);
	add_rect(&policy, 0, 0, 10, 10);
	int backlog = SPB_AUTO_BACKLOG;
	// Behind: small changes get no early flush, and wait two periods.
	assert_int_equal(spb_frame_policy_next_flush(&policy, T0 + 10, backlog), 190);
	assert_int_equal(spb_frame_policy_next_flush(&policy, T0 + 150, backlog), 50);
	assert_int_equal(spb_frame_policy_next_flush(&policy, T0 + 200, backlog), 0);
	// Caught up: the early flush is back.
	assert_int_equal(spb_frame_policy_next_flush(&policy, T0 + 10, backlog - 1), 0);
	// At the queue bound nothing is flushed, whatever the time.
	assert_int_equal(spb_frame_policy_next_flush(&policy, T0 + 500, 64), 100);
	spb_frame_policy_finish(&policy);
}

/* On a slow link the key's echo leaves at once and the video's box stays pending. */

int main(void) {
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_per_op_nothing_pending),
		cmocka_unit_test(test_per_op_damage_now),
		cmocka_unit_test(test_per_op_backlog_coalesces),
		cmocka_unit_test(test_dfps_period),
		cmocka_unit_test(test_dfps_first_damage_immediate),
		cmocka_unit_test(test_dfps_rate_limit),
		cmocka_unit_test(test_dfps_accumulates),
		cmocka_unit_test(test_take_clears_pending),
		cmocka_unit_test(test_dfps_backlog),
		cmocka_unit_test(test_fps_clamped),
		cmocka_unit_test(test_auto_small_burst),
		cmocka_unit_test(test_auto_large_paced),
		cmocka_unit_test(test_auto_backlog_halves_rate),
		cmocka_unit_test(test_link_paced_skips_the_period),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
