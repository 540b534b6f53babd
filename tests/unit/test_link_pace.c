/*
 * Unit tests for the slow-link pacer: nothing held while the link is not
 * known, large updates held while the virtual queue is above its low mark
 * and sized to a band once it drains, small ones held only past the cap,
 * and the encoded size of a pixel learnt from what got written.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "link_pace.h"

/* 2 Mbit/s: 250 KB/s measured, 225 KB/s paced to. */
#define RATE 250000
#define PACED (RATE * SPB_LINK_PACE_SHARE_PCT / 100)

/* A pacer whose link's rate has been known for over a second at t0. */
static void paced(struct spb_link_pace *p, int64_t t0, uint64_t written) {
	spb_link_pace_init(p);
	spb_link_pace_update(p, t0 - SPB_LINK_PACE_DRAIN_MS - 2, RATE, written, 0);
	spb_link_pace_update(p, t0 - SPB_LINK_PACE_DRAIN_MS - 1, RATE, written, 0);
	spb_link_pace_update(p, t0, RATE, written, 0);
}

static void test_unknown_link_holds_nothing(void **state) {
	struct spb_link_pace p;
	spb_link_pace_init(&p);
	spb_link_pace_update(&p, 0, 0, 0, 0);
	spb_link_pace_update(&p, 20, 0, 10000000, 500000);
	assert_false(spb_link_pace_active(&p));
	assert_true(spb_link_pace_small_ok(&p));
	assert_true(spb_link_pace_large_px(&p) == INT64_MAX);
}

static void test_fast_link_not_paced(void **state) {
	struct spb_link_pace p;
	spb_link_pace_init(&p);
	// A loopback client that fell behind at 2 MB/s (16 Mbit/s) for its own
	// CPU (the bench's anim-egl on 2 cores).
	spb_link_pace_update(&p, 0, 2000000, 0, 0);
	spb_link_pace_update(&p, 20, 2000000, 400000, 200000);
	assert_false(spb_link_pace_active(&p));
	assert_true(spb_link_pace_large_px(&p) == INT64_MAX);
}

static void test_burst_holds_large_until_drained(void **state) {
	struct spb_link_pace p;
	paced(&p, 0, 1000);
	assert_true(spb_link_pace_large_px(&p) > 0);
	// 30 KB written at once (a video frame): the socket took it all, and a
	// relay beyond it acked it at once, so nothing shows as queued.
	spb_link_pace_update(&p, 1, RATE, 1000 + 30000, 0);
	assert_int_equal(spb_link_pace_large_px(&p), 0);
	assert_true(spb_link_pace_small_ok(&p));
	// It drains at 225 KB/s: about 130 ms until under the low mark,
	// but the budget is looked at again within 100 ms.
	assert_int_equal(spb_link_pace_wait_ms(&p), 100);
	spb_link_pace_update(&p, 100, RATE, 1000 + 30000, 0);
	assert_int_equal(spb_link_pace_large_px(&p), 0);
	assert_in_range(spb_link_pace_wait_ms(&p), 20, 30);
	spb_link_pace_update(&p, 150, RATE, 1000 + 30000, 0);
	// A band: its time at the paced rate (here less than the smallest band),
	// at the first guess of a byte a pixel.
	assert_true(PACED * SPB_LINK_PACE_BAND_MS / 1000 < SPB_LINK_PACE_BAND_MIN_BYTES);
	assert_int_equal(spb_link_pace_large_px(&p), SPB_LINK_PACE_BAND_MIN_BYTES);
	// At 8 Mbit/s the band is its time at the rate.
	spb_link_pace_update(&p, 300, 1000000, 1000 + 30000, 0);
	assert_int_equal(spb_link_pace_large_px(&p),
			1000000 * SPB_LINK_PACE_SHARE_PCT / 100 * SPB_LINK_PACE_BAND_MS / 1000);
}

static void test_socket_queue_is_a_floor(void **state) {
	struct spb_link_pace p;
	paced(&p, 0, 0);
	// Nothing new written for a second, but the socket still holds 20 KB.
	spb_link_pace_update(&p, 1000, RATE, 0, 20000);
	assert_int_equal(spb_link_pace_large_px(&p), 0);
}

static void test_small_updates_capped(void **state) {
	struct spb_link_pace p;
	paced(&p, 0, 0);
	// 200 ms of the link waiting: more than the 150 ms cap.
	spb_link_pace_update(&p, 1, RATE, PACED / 5, 0);
	assert_false(spb_link_pace_small_ok(&p));
	spb_link_pace_update(&p, 100, RATE, PACED / 5, 0);
	assert_true(spb_link_pace_small_ok(&p));
}

static void test_pushed_counts_before_written(void **state) {
	struct spb_link_pace p;
	paced(&p, 0, 0);
	int64_t px = spb_link_pace_large_px(&p);
	assert_true(px > 0);
	// Pushed, not encoded yet: the next flush must not push another band.
	spb_link_pace_pushed(&p, px);
	spb_link_pace_update(&p, 1, RATE, 0, 0);
	assert_int_equal(spb_link_pace_large_px(&p), 0);
	// Never written (dropped by spice-server as covered): forgotten in time.
	spb_link_pace_update(&p, 1 + SPB_LINK_PACE_EXPECT_MS + 1, RATE, 0, 0);
	assert_true(spb_link_pace_large_px(&p) > 0);
}

static void test_learns_bytes_per_pixel(void **state) {
	struct spb_link_pace p;
	spb_link_pace_init(&p);
	uint64_t written = 0;
	spb_link_pace_update(&p, 0, RATE, written, 0);
	// 100000 pixels pushed every 100 ms, written as 25 KB: 0.25 B a pixel.
	for (int64_t ms = 100; ms <= 2000; ms += 100) {
		spb_link_pace_pushed(&p, 100000);
		written += 25000;
		spb_link_pace_update(&p, ms, RATE, written, 0);
	}
	assert_true(p.bytes_per_px > 0.24 && p.bytes_per_px < 0.26);
}

static void test_first_rate_holds_large_a_second(void **state) {
	struct spb_link_pace p;
	spb_link_pace_init(&p);
	// Unpaced, 400 KB written: a relay's or router's queue may be full.
	spb_link_pace_update(&p, 0, 0, 0, 0);
	spb_link_pace_update(&p, 3000, 0, 400000, 5000);
	assert_true(spb_link_pace_large_px(&p) == INT64_MAX);
	// The rate is measured: only the socket's 5 KB is known to wait, small
	// updates go, large ones wait a second for the hidden queue to drain.
	spb_link_pace_update(&p, 3020, RATE, 400000, 5000);
	assert_true(spb_link_pace_small_ok(&p));
	assert_int_equal(spb_link_pace_large_px(&p), 0);
	assert_int_equal(spb_link_pace_wait_ms(&p), 100);
	spb_link_pace_update(&p, 3500, RATE, 400000, 0);
	assert_int_equal(spb_link_pace_large_px(&p), 0);
	spb_link_pace_update(&p, 4030, RATE, 400000, 0);
	assert_true(spb_link_pace_large_px(&p) > 0);
}

static void test_new_client_starts_over(void **state) {
	struct spb_link_pace p;
	spb_link_pace_init(&p);
	spb_link_pace_update(&p, 0, RATE, 5000000, 0);
	spb_link_pace_update(&p, 10, RATE, 5100000, 0);
	assert_int_equal(spb_link_pace_large_px(&p), 0);
	// Another client, counters from 0: no backlog of the old one is kept.
	spb_link_pace_update(&p, 20, RATE, 100, 0);
	assert_true(spb_link_pace_large_px(&p) > 0);
}

int main(void) {
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unknown_link_holds_nothing),
		cmocka_unit_test(test_fast_link_not_paced),
		cmocka_unit_test(test_burst_holds_large_until_drained),
		cmocka_unit_test(test_socket_queue_is_a_floor),
		cmocka_unit_test(test_small_updates_capped),
		cmocka_unit_test(test_pushed_counts_before_written),
		cmocka_unit_test(test_learns_bytes_per_pixel),
		cmocka_unit_test(test_first_rate_holds_large_a_second),
		cmocka_unit_test(test_new_client_starts_over),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
