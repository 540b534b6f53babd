/*
 * Unit tests for the link estimator: the delivered rate measured only while
 * the socket is backlogged, over windows long enough for ack bursts, and the
 * round trip.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "link.h"

static struct spb_link_sample at(int64_t ms, uint64_t acked, uint32_t queued,
		uint32_t rtt_us) {
	return (struct spb_link_sample){
		.now_ms = ms, .bytes_acked = acked, .rtt_us = rtt_us,
		.unacked = queued / 2, .notsent = queued - queued / 2,
	};
}

static void feed(struct spb_link *link, int64_t ms, uint64_t acked, uint32_t queued) {
	struct spb_link_sample s = at(ms, acked, queued, 100);
	spb_link_add_sample(link, &s);
}

static void test_unknown_rate_never_holds_back(void **state) {
	struct spb_link link;
	spb_link_init(&link);
	// A fast link: the queue empties between samples, so no rate is measured.
	for (int i = 0; i <= 20; i++) {
		feed(&link, i * 20, (uint64_t)i * 1000000, 0);
	}
	assert_int_equal(link.rate, 0);
}

static void test_rate_while_backlogged(void **state) {
	struct spb_link link;
	spb_link_init(&link);
	// 250 KB/s (2 Mbit/s) delivered with 100 KB always waiting.
	for (int i = 0; i <= 20; i++) {
		feed(&link, i * 50, (uint64_t)i * 12500, 100000);
	}
	assert_int_equal(link.rate, 250000);
	assert_int_equal(spb_link_queued(&link), 100000);
	assert_int_equal(link.written, 20 * 12500 + 100000);
}

static void test_idle_window_does_not_lower_rate(void **state) {
	struct spb_link link;
	spb_link_init(&link);
	for (int i = 0; i <= 10; i++) {
		feed(&link, i * 50, (uint64_t)i * 12500, 100000);
	}
	uint64_t rate = link.rate;
	assert_int_equal(rate, 250000);
	// Little written and the queue empty: what was acked is not the capacity.
	uint64_t acked = 10 * 12500;
	for (int i = 11; i <= 30; i++) {
		acked += 100;
		feed(&link, i * 50, acked, 0);
	}
	assert_int_equal(link.rate, rate);
}

static void test_round_trip_smoothed(void **state) {
	struct spb_link link;
	spb_link_init(&link);
	// 1 MB/s with a 200 ms kernel round trip, then one sample of 40 ms.
	for (int i = 0; i <= 20; i++) {
		struct spb_link_sample s = at(i * 100, (uint64_t)i * 100000, 300000, 200000);
		spb_link_add_sample(&link, &s);
	}
	assert_int_equal(link.rate, 1000000);
	assert_int_equal(link.rtt_us, 200000);
	struct spb_link_sample s = at(2200, 2200000, 300000, 40000);
	spb_link_add_sample(&link, &s);
	assert_int_equal(link.rtt_us, 180000);
}

/* A second of 250 KB/s delivered with a backlog: the rate is measured. */
static void measure_250k(struct spb_link *link, int64_t *ms, uint64_t *acked) {
	for (; *ms <= 1000; *ms += 50) {
		feed(link, *ms, *acked, 100000);
		*acked += 12500;
	}
	assert_int_equal(link->rate, 250000);
}

static void test_acked_burst_is_not_a_rate(void **state) {
	struct spb_link link;
	spb_link_init(&link);
	uint64_t acked = 0;
	int64_t ms = 0;
	measure_250k(&link, &ms, &acked);
	// A relay's buffer takes 64 KB in 100 ms with nothing left queued: that is
	// not what the path carries, and must not raise the rate.
	acked += 64000;
	feed(&link, ms + 100, acked, 0);
	feed(&link, ms + 200, acked, 0);
	assert_true(link.rate <= 250000);
}

static void test_slow_link_acks_in_bursts(void **state) {
	struct spb_link link;
	spb_link_init(&link);
	// 0.5 Mbit/s (62.5 KB/s) behind a receiver that opens its window 8 KB at
	// a time: an ack burst every 131 ms, sampled every 20 ms. 100 ms windows
	// see 0 or 16 KB; the estimate must still be the link's rate.
	uint64_t acked = 0;
	int64_t next_burst = 0;
	for (int64_t ms = 0; ms <= 5000; ms += 20) {
		while (next_burst <= ms) {
			acked += 8192;
			next_burst += 131;
		}
		feed(&link, ms, acked, 60000);
	}
	assert_in_range(link.rate, 56000, 69000);
}

static void test_stall_is_not_a_rate(void **state) {
	struct spb_link link;
	spb_link_init(&link);
	// Then the client stops reading for 6 s: data waits, nothing is acked.
	uint64_t acked = 0;
	int64_t ms = 0;
	measure_250k(&link, &ms, &acked);
	for (; ms <= 7000; ms += 50) {
		feed(&link, ms, acked, 4000000);
	}
	// Only the window the stall began in (half delivery) counts.
	assert_in_range(link.rate, 250000 * 3 / 4, 250000);
	// A client stalled from the start has no rate at all.
	spb_link_init(&link);
	for (ms = 0; ms <= 5000; ms += 50) {
		feed(&link, ms, 0, 4000000);
	}
	assert_int_equal(link.rate, 0);
}

int main(void) {
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unknown_rate_never_holds_back),
		cmocka_unit_test(test_rate_while_backlogged),
		cmocka_unit_test(test_acked_burst_is_not_a_rate),
		cmocka_unit_test(test_idle_window_does_not_lower_rate),
		cmocka_unit_test(test_round_trip_smoothed),
		cmocka_unit_test(test_slow_link_acks_in_bursts),
		cmocka_unit_test(test_stall_is_not_a_rate),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
