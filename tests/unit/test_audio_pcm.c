/*
 * Unit tests for backend/audio_pcm.c: silence detection at the threshold,
 * gain (unity leaves samples alone, half halves, zero silences, extremes do
 * not overflow), the client's cubic volume as a gain, and the pacer: a full
 * burst at start, real-time refill without drift over a long run, the cap,
 * and the wait until a chunk is due.
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
	assert_true(wlr_spice_pcm_is_silent(s, 8, 8));
	assert_false(wlr_spice_pcm_is_silent(s, 8, 7));
	s[5] = -9;
	assert_false(wlr_spice_pcm_is_silent(s, 8, 8));
	assert_true(wlr_spice_pcm_is_silent(s, 0, 0));
}

static void test_gain(void **state) {
	int16_t s[4] = { 32767, -32768, 1000, -1000 };
	wlr_spice_pcm_apply_gain(s, 4, WLR_SPICE_GAIN_UNITY);
	assert_int_equal(s[0], 32767);
	assert_int_equal(s[1], -32768);
	wlr_spice_pcm_apply_gain(s, 4, WLR_SPICE_GAIN_UNITY / 2);
	assert_int_equal(s[0], 16383);
	assert_int_equal(s[1], -16384);
	assert_int_equal(s[2], 500);
	assert_int_equal(s[3], -500);
	wlr_spice_pcm_apply_gain(s, 4, 0);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(s[i], 0);
	}
}

static void test_volume_gain(void **state) {
	uint16_t full[2] = { 65535, 65535 };
	assert_int_equal(wlr_spice_pcm_volume_gain(full, 2), WLR_SPICE_GAIN_UNITY);
	uint16_t zero[2] = { 0, 0 };
	assert_int_equal(wlr_spice_pcm_volume_gain(zero, 2), 0);
	// Half the cubic volume is an eighth of the amplitude.
	uint16_t half[1] = { 32768 };
	uint32_t g = wlr_spice_pcm_volume_gain(half, 1);
	assert_in_range(g, WLR_SPICE_GAIN_UNITY / 8 - 16, WLR_SPICE_GAIN_UNITY / 8 + 16);
	// Channels are averaged; none means unity.
	uint16_t mixed[2] = { 65535, 0 };
	assert_int_equal(wlr_spice_pcm_volume_gain(mixed, 2), g);
	assert_int_equal(wlr_spice_pcm_volume_gain(NULL, 0), WLR_SPICE_GAIN_UNITY);
}

static void test_pacer_burst_and_cap(void **state) {
	struct wlr_spice_pacer p;
	wlr_spice_pacer_init(&p, 48000, 1920);
	wlr_spice_pacer_start(&p, 1000000);
	assert_int_equal(wlr_spice_pacer_available(&p), 1920);
	wlr_spice_pacer_consume(&p, 1920);
	assert_int_equal(wlr_spice_pacer_available(&p), 0);
	// 10 ms later: 480 frames.
	wlr_spice_pacer_refill(&p, 1010000);
	assert_int_equal(wlr_spice_pacer_available(&p), 480);
	// A long pause does not bank more than the cap.
	wlr_spice_pacer_refill(&p, 9000000);
	assert_int_equal(wlr_spice_pacer_available(&p), 1920);
	// Consuming more than there is leaves none (never wraps).
	wlr_spice_pacer_consume(&p, 5000);
	assert_int_equal(wlr_spice_pacer_available(&p), 0);
	// Time going backwards changes nothing.
	wlr_spice_pacer_refill(&p, 1000);
	assert_int_equal(wlr_spice_pacer_available(&p), 0);
}

static void test_pacer_no_drift(void **state) {
	// 44100 Hz refilled every 7 ms for 100 s: fractions of frames add up.
	struct wlr_spice_pacer p;
	wlr_spice_pacer_init(&p, 44100, 1000);
	wlr_spice_pacer_start(&p, 0);
	wlr_spice_pacer_consume(&p, 1000);
	uint64_t total = 0;
	for (int64_t t = 7000; t <= 100000000; t += 7000) {
		wlr_spice_pacer_refill(&p, t);
		uint64_t n = wlr_spice_pacer_available(&p);
		total += n;
		wlr_spice_pacer_consume(&p, n);
	}
	// 100 s minus the last partial refill interval.
	assert_in_range(total, 44100 * 100 - 310, 44100 * 100);
}

static void test_pacer_wait(void **state) {
	struct wlr_spice_pacer p;
	wlr_spice_pacer_init(&p, 48000, 1920);
	wlr_spice_pacer_start(&p, 0);
	assert_int_equal(wlr_spice_pacer_wait_us(&p, 480), 0);
	wlr_spice_pacer_consume(&p, 1920);
	assert_int_equal(wlr_spice_pacer_wait_us(&p, 480), 10000);
	wlr_spice_pacer_refill(&p, 4000);
	assert_int_equal(wlr_spice_pacer_wait_us(&p, 480), 6000);
	// 1 frame at 48 kHz is 20.83 us: rounded up.
	wlr_spice_pacer_init(&p, 48000, 10);
	wlr_spice_pacer_start(&p, 0);
	wlr_spice_pacer_consume(&p, 10);
	assert_int_equal(wlr_spice_pacer_wait_us(&p, 1), 21);
}

int main(void) {
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_silence),
		cmocka_unit_test(test_gain),
		cmocka_unit_test(test_volume_gain),
		cmocka_unit_test(test_pacer_burst_and_cap),
		cmocka_unit_test(test_pacer_no_drift),
		cmocka_unit_test(test_pacer_wait),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
