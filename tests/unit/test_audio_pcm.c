/*
 * Unit tests for backend/audio_pcm.c: silence detection at the threshold,
 * and the pacer: a full burst at start, real-time refill without drift over
 * a long run, the cap, and the wait until a chunk is due.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "audio_pcm.h"

static void test_silence(void **state) {
	int16_t s[8] = { 0, 3, -3, 8, -8, 0, 1, -1 };
	assert_true(spb_pcm_is_silent(s, 8, 8));
	assert_false(spb_pcm_is_silent(s, 8, 7));
	s[5] = -9;
	assert_false(spb_pcm_is_silent(s, 8, 8));
	assert_true(spb_pcm_is_silent(s, 0, 0));
}

static void test_pacer_burst_and_cap(void **state) {
	struct spb_pacer p;
	spb_pacer_init(&p, 48000, 1920);
	spb_pacer_start(&p, 1000000);
	assert_int_equal(spb_pacer_available(&p), 1920);
	spb_pacer_consume(&p, 1920);
	assert_int_equal(spb_pacer_available(&p), 0);
	// 10 ms later: 480 frames.
	spb_pacer_refill(&p, 1010000);
	assert_int_equal(spb_pacer_available(&p), 480);
	// A long pause does not bank more than the cap.
	spb_pacer_refill(&p, 9000000);
	assert_int_equal(spb_pacer_available(&p), 1920);
	// Consuming more than there is leaves none (never wraps).
	spb_pacer_consume(&p, 5000);
	assert_int_equal(spb_pacer_available(&p), 0);
	// Time going backwards changes nothing.
	spb_pacer_refill(&p, 1000);
	assert_int_equal(spb_pacer_available(&p), 0);
}

static void test_pacer_no_drift(void **state) {
	// 44100 Hz refilled every 7 ms for 100 s: fractions of frames add up.
	struct spb_pacer p;
	spb_pacer_init(&p, 44100, 1000);
	spb_pacer_start(&p, 0);
	spb_pacer_consume(&p, 1000);
	uint64_t total = 0;
	for (int64_t t = 7000; t <= 100000000; t += 7000) {
		spb_pacer_refill(&p, t);
		uint64_t n = spb_pacer_available(&p);
		total += n;
		spb_pacer_consume(&p, n);
	}
	// 100 s minus the last partial refill interval.
	assert_in_range(total, 44100 * 100 - 310, 44100 * 100);
}

static void test_pacer_wait(void **state) {
	struct spb_pacer p;
	spb_pacer_init(&p, 48000, 1920);
	spb_pacer_start(&p, 0);
	assert_int_equal(spb_pacer_wait_us(&p, 480), 0);
	spb_pacer_consume(&p, 1920);
	assert_int_equal(spb_pacer_wait_us(&p, 480), 10000);
	spb_pacer_refill(&p, 4000);
	assert_int_equal(spb_pacer_wait_us(&p, 480), 6000);
	// 1 frame at 48 kHz is 20.83 us: rounded up.
	spb_pacer_init(&p, 48000, 10);
	spb_pacer_start(&p, 0);
	spb_pacer_consume(&p, 10);
	assert_int_equal(spb_pacer_wait_us(&p, 1), 21);
}

int main(void) {
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_silence),
		cmocka_unit_test(test_pacer_burst_and_cap),
		cmocka_unit_test(test_pacer_no_drift),
		cmocka_unit_test(test_pacer_wait),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
