/*
 * Unit tests for backend/heads.c: a client's monitors become heads within
 * the size bounds, the head count and the layout area (widths summed times
 * the tallest), scaled down evenly when the area is too large.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "heads.h"

static const struct spb_head_limits defaults = {
	.min_width = 320,
	.min_height = 200,
	.max_width = 4096,
	.max_height = 4096,
	.max_heads = 4,
	.max_area = 4LL * 3840 * 2160,
};

/* The client monitor's millimetres go with its head, also when scaled down. */
static void test_physical_size(void **state) {
	struct spb_agent_monitor monitors[3] = {
		{ .width = 3840, .height = 2160, .width_mm = 600, .height_mm = 340 },
		{ .width = 0, .height = 0, .width_mm = 1, .height_mm = 1 },
		{ .width = 3840, .height = 2160 },
	};
	struct spb_head_limits small = defaults;
	small.max_area = 3840LL * 2160;
	struct spb_head heads[4];
	bool scaled = false;
	assert_int_equal(spb_heads_from_monitors(monitors, 3, &small, heads, &scaled), 2);
	assert_true(scaled);
	assert_int_equal(heads[0].width_mm, 600);
	assert_int_equal(heads[0].height_mm, 340);
	assert_int_equal(heads[1].width_mm, 0);
	assert_int_equal(heads[1].height_mm, 0);
}

static int fit(const struct spb_head_limits *limits, struct spb_head *heads,
		bool *scaled, uint32_t count, const uint32_t *sizes) {
	struct spb_agent_monitor monitors[16] = { 0 };
	for (uint32_t i = 0; i < count; i++) {
		monitors[i].width = sizes[2 * i];
		monitors[i].height = sizes[2 * i + 1];
	}
	return spb_heads_from_monitors(monitors, count, limits, heads, scaled);
}

/* Within every bound: as asked, disabled monitors left out. */
static void test_fits(void **state) {
	struct spb_head heads[4];
	bool scaled = true;
	const uint32_t sizes[] = { 3840, 2160, 0, 0, 3840, 2160, 3840, 2160, 3840, 2160 };
	assert_int_equal(fit(&defaults, heads, &scaled, 5, sizes), 4);
	assert_false(scaled);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(heads[i].width, 3840);
		assert_int_equal(heads[i].height, 2160);
	}
	assert_true(spb_heads_area(heads, 4) == defaults.max_area);
}

/* Per-head bounds and the head count come first, as before. */
static void test_clamped(void **state) {
	struct spb_head heads[4];
	bool scaled = true;
	const uint32_t sizes[] = { 100, 100, 0xffffffff, 300 };
	assert_int_equal(fit(&defaults, heads, &scaled, 2, sizes), 2);
	assert_false(scaled);
	assert_int_equal(heads[0].width, 320);
	assert_int_equal(heads[0].height, 200);
	assert_int_equal(heads[1].width, 4096);
	assert_int_equal(heads[1].height, 300);
}

/* Eight 8192x8192 heads under --max-heads 16 --max-size 8192x8192: scaled evenly. */
static void test_scaled_evenly(void **state) {
	struct spb_head_limits limits = defaults;
	limits.max_heads = 16;
	limits.max_width = limits.max_height = 8192;
	struct spb_head heads[16];
	bool scaled = false;
	uint32_t sizes[32];
	for (int i = 0; i < 16; i++) {
		sizes[2 * i] = 8192;
		sizes[2 * i + 1] = i % 2 ? 4096 : 8192;
	}
	assert_int_equal(fit(&limits, heads, &scaled, 16, sizes), 16);
	assert_true(scaled);
	int64_t area = spb_heads_area(heads, 16);
	assert_true(area <= limits.max_area);
	assert_true(area >= limits.max_area * 99 / 100);
	for (int i = 0; i < 16; i++) {
		assert_int_equal(heads[i].width, heads[0].width);
		// Each keeps its shape.
		assert_int_equal(heads[i].height, i % 2 ? heads[0].height / 2 : heads[0].height);
	}
}

/* What does not fit at the minimum size is left out, last first. */
static void test_minimum_drops_heads(void **state) {
	struct spb_head_limits limits = defaults;
	limits.max_heads = 16;
	limits.max_area = 1000 * 200; // three heads of 320x200 at most
	struct spb_head heads[16];
	bool scaled = false;
	uint32_t sizes[32];
	for (int i = 0; i < 16; i++) {
		sizes[2 * i] = 640;
		sizes[2 * i + 1] = 400;
	}
	assert_int_equal(fit(&limits, heads, &scaled, 16, sizes), 3);
	assert_true(scaled);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(heads[i].width, 320);
		assert_int_equal(heads[i].height, 200);
	}
}

/* One head at a minimum side: the other side gives. */
static void test_one_head_at_minimum(void **state) {
	struct spb_head_limits limits = defaults;
	limits.max_area = 320 * 1000;
	struct spb_head heads[4];
	bool scaled = false;
	const uint32_t sizes[] = { 330, 4096 };
	assert_int_equal(fit(&limits, heads, &scaled, 1, sizes), 1);
	assert_true(scaled);
	assert_int_equal(heads[0].width, 320);
	assert_int_equal(heads[0].height, 1000);
}

/* A tall head next to narrow ones counts at its height for all of them. */
static void test_area_is_the_bounding_box(void **state) {
	const struct spb_head heads[] = { { 4096, 320 }, { 320, 4096 } };
	assert_true(spb_heads_area(heads, 2) == (4096LL + 320) * 4096);
	assert_true(spb_heads_area(heads, 0) == 0);
}

int main(void) {
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fits),
		cmocka_unit_test(test_clamped),
		cmocka_unit_test(test_scaled_evenly),
		cmocka_unit_test(test_minimum_drops_heads),
		cmocka_unit_test(test_one_head_at_minimum),
		cmocka_unit_test(test_physical_size),
		cmocka_unit_test(test_area_is_the_bounding_box),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
