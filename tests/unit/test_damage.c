/*
 * Unit tests for backend/damage.c: clipping a damage region to the output,
 * passing small rectangle lists through unchanged, greedy least-waste merging
 * down to max_rects, the bounding-box fallbacks (max_rects 1, more than
 * SPB_DAMAGE_MERGE_LIMIT rectangles) and a seeded random property test
 * that the output always covers the clipped input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>
#include <pixman.h>

#include "damage.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define OUT_LEN (SPB_DAMAGE_MERGE_LIMIT + 16)

struct rect {
	int x, y, w, h;
};

static void region_from_rects(pixman_region32_t *region, const struct rect *rects, size_t n) {
	pixman_region32_init(region);
	for (size_t i = 0; i < n; i++) {
		pixman_region32_union_rect(region, region, rects[i].x, rects[i].y,
			rects[i].w, rects[i].h);
	}
}

static void assert_box_equal(const pixman_box32_t *box, int x1, int y1, int x2, int y2) {
	assert_int_equal(box->x1, x1);
	assert_int_equal(box->y1, y1);
	assert_int_equal(box->x2, x2);
	assert_int_equal(box->y2, y2);
}

static int64_t total_area(const pixman_box32_t *boxes, int n) {
	int64_t sum = 0;
	for (int i = 0; i < n; i++) {
		sum += spb_box_area(&boxes[i]);
	}
	return sum;
}

/*
 * Checks the contract of spb_damage_to_rects for one result: every box
 * is non-empty and inside width x height, and together they cover every pixel
 * of region that lies inside width x height.
 */
static void assert_covers(const pixman_region32_t *region, int width, int height,
		const pixman_box32_t *out, int n) {
	pixman_region32_t clipped, covered;
	pixman_region32_init_rect(&clipped, 0, 0, width, height);
	pixman_region32_intersect(&clipped, &clipped, (pixman_region32_t *)region);
	pixman_region32_init(&covered);
	for (int i = 0; i < n; i++) {
		assert_true(out[i].x1 < out[i].x2);
		assert_true(out[i].y1 < out[i].y2);
		assert_true(out[i].x1 >= 0 && out[i].y1 >= 0);
		assert_true(out[i].x2 <= width && out[i].y2 <= height);
		pixman_region32_union_rect(&covered, &covered, out[i].x1, out[i].y1,
			out[i].x2 - out[i].x1, out[i].y2 - out[i].y1);
	}
	pixman_region32_subtract(&clipped, &clipped, &covered);
	assert_false(pixman_region32_not_empty(&clipped));
	pixman_region32_fini(&covered);
	pixman_region32_fini(&clipped);
}

static void test_empty_region(void **state) {
	pixman_region32_t region;
	pixman_region32_init(&region);
	pixman_box32_t out[4];
	assert_int_equal(spb_damage_to_rects(&region, 100, 100, 4, 0, out), 0);
	assert_int_equal(spb_damage_to_rects(&region, 100, 100, 1, 0, out), 0);
	pixman_region32_fini(&region);
}

static void test_max_rects_zero(void **state) {
	pixman_region32_t region;
	pixman_region32_init_rect(&region, 0, 0, 10, 10);
	pixman_box32_t out[1] = {{ -1, -1, -1, -1 }};
	assert_int_equal(spb_damage_to_rects(&region, 100, 100, 0, 0, out), 0);
	assert_box_equal(&out[0], -1, -1, -1, -1);
	pixman_region32_fini(&region);
}

static void test_single_rect(void **state) {
	pixman_region32_t region;
	pixman_region32_init_rect(&region, 10, 20, 40, 30);
	pixman_box32_t out[4];
	assert_int_equal(spb_damage_to_rects(&region, 100, 100, 4, 0, out), 1);
	assert_box_equal(&out[0], 10, 20, 50, 50);
	assert_int_equal(spb_damage_to_rects(&region, 100, 100, 1, 0, out), 1);
	assert_box_equal(&out[0], 10, 20, 50, 50);
	pixman_region32_fini(&region);
}

static void test_clip_partly_outside(void **state) {
	pixman_box32_t out[4];
	pixman_region32_t region;

	// Over the top-left corner.
	pixman_region32_init_rect(&region, -10, -5, 40, 45);
	assert_int_equal(spb_damage_to_rects(&region, 20, 20, 4, 0, out), 1);
	assert_box_equal(&out[0], 0, 0, 20, 20);
	pixman_region32_fini(&region);

	// Over the bottom-right corner.
	pixman_region32_init_rect(&region, 90, 40, 60, 60);
	assert_int_equal(spb_damage_to_rects(&region, 100, 50, 4, 0, out), 1);
	assert_box_equal(&out[0], 90, 40, 100, 50);
	pixman_region32_fini(&region);

	// One rectangle inside, one straddling the right edge, one outside.
	const struct rect rects[] = {
		{ 5, 5, 10, 10 },
		{ 95, 30, 20, 10 },
		{ 150, 5, 10, 10 },
	};
	region_from_rects(&region, rects, ARRAY_LEN(rects));
	assert_int_equal(spb_damage_to_rects(&region, 100, 100, 4, 0, out), 2);
	assert_box_equal(&out[0], 5, 5, 15, 15);
	assert_box_equal(&out[1], 95, 30, 100, 40);
	pixman_region32_fini(&region);
}

static void test_clip_fully_outside(void **state) {
	pixman_box32_t out[4];
	pixman_region32_t region;
	const struct rect outside[] = {
		{ 200, 200, 10, 10 }, // beyond bottom-right
		{ -30, -30, 10, 10 }, // beyond top-left
		{ 100, 0, 10, 10 }, // touching the right edge from outside
		{ 0, 50, 10, 10 }, // touching the bottom edge from outside
		{ -10, 10, 10, 10 }, // touching the left edge from outside
	};
	for (size_t i = 0; i < ARRAY_LEN(outside); i++) {
		pixman_region32_init_rect(&region, outside[i].x, outside[i].y,
			outside[i].w, outside[i].h);
		assert_int_equal(spb_damage_to_rects(&region, 100, 50, 4, 0, out), 0);
		pixman_region32_fini(&region);
	}

	region_from_rects(&region, outside, ARRAY_LEN(outside));
	assert_int_equal(spb_damage_to_rects(&region, 100, 50, 1, 0, out), 0);
	pixman_region32_fini(&region);
}

static void test_under_limit_exact(void **state) {
	// An L shape (two bands) and a separate square: pixman stores 4 boxes.
	const struct rect rects[] = {
		{ 0, 0, 30, 10 },
		{ 0, 10, 10, 20 },
		{ 50, 5, 10, 10 },
	};
	pixman_region32_t region;
	region_from_rects(&region, rects, ARRAY_LEN(rects));
	int n_expected = 0;
	const pixman_box32_t *expected = pixman_region32_rectangles(&region, &n_expected);
	assert_true(n_expected > 1);

	for (int max = n_expected; max <= n_expected + 4; max++) {
		pixman_box32_t out[16];
		int n = spb_damage_to_rects(&region, 100, 100, max, 0, out);
		assert_int_equal(n, n_expected);
		for (int i = 0; i < n; i++) {
			assert_box_equal(&out[i], expected[i].x1, expected[i].y1,
				expected[i].x2, expected[i].y2);
		}
	}
	pixman_region32_fini(&region);
}

static void test_scattered_max4(void **state) {
	const struct rect rects[] = {
		{ 3, 4, 7, 5 }, { 40, 2, 6, 9 }, { 90, 10, 12, 3 }, { 150, 7, 4, 4 },
		{ 10, 60, 9, 9 }, { 70, 55, 3, 14 }, { 120, 80, 20, 2 }, { 180, 66, 5, 5 },
		{ 25, 120, 8, 8 }, { 60, 140, 11, 4 }, { 100, 110, 6, 6 }, { 170, 130, 9, 12 },
		{ 5, 180, 4, 4 }, { 45, 170, 15, 7 }, { 130, 185, 7, 7 }, { 190, 190, 8, 8 },
	};
	pixman_region32_t region;
	region_from_rects(&region, rects, ARRAY_LEN(rects));
	int n_in = 0;
	pixman_region32_rectangles(&region, &n_in);
	assert_true(n_in > 4);

	pixman_box32_t out[4];
	int n = spb_damage_to_rects(&region, 200, 200, 4, 0, out);
	assert_int_equal(n, 4);
	assert_covers(&region, 200, 200, out, n);
	assert_true(total_area(out, n) <= spb_box_area(pixman_region32_extents(&region)));
	pixman_region32_fini(&region);
}

static void test_nearby_merged_far_separate(void **state) {
	const struct rect rects[] = {
		{ 0, 0, 10, 10 },
		{ 12, 0, 10, 10 },
		{ 500, 500, 10, 10 },
	};
	pixman_region32_t region;
	region_from_rects(&region, rects, ARRAY_LEN(rects));

	pixman_box32_t out[2];
	int n = spb_damage_to_rects(&region, 1000, 1000, 2, 0, out);
	assert_int_equal(n, 2);
	int near = out[0].x1 == 0 ? 0 : 1;
	assert_box_equal(&out[near], 0, 0, 22, 10);
	assert_box_equal(&out[1 - near], 500, 500, 510, 510);
	pixman_region32_fini(&region);

	// A lone rectangle first in pixman's order, then a vertically stacked pair.
	const struct rect rects2[] = {
		{ 0, 0, 10, 10 },
		{ 600, 500, 10, 10 },
		{ 600, 512, 10, 10 },
	};
	region_from_rects(&region, rects2, ARRAY_LEN(rects2));
	n = spb_damage_to_rects(&region, 1000, 1000, 2, 0, out);
	assert_int_equal(n, 2);
	near = out[0].x1 == 600 ? 0 : 1;
	assert_box_equal(&out[near], 600, 500, 610, 522);
	assert_box_equal(&out[1 - near], 0, 0, 10, 10);
	pixman_region32_fini(&region);
}

static void test_least_waste_not_smallest_union(void **state) {
	// A+B wastes 100 pixels but spans 5100; C+D spans only 124 but wastes 116.
	const struct rect rects[] = {
		{ 0, 0, 50, 50 }, // A
		{ 52, 0, 50, 50 }, // B
		{ 200, 200, 2, 2 }, // C
		{ 260, 200, 2, 2 }, // D
	};
	pixman_region32_t region;
	region_from_rects(&region, rects, ARRAY_LEN(rects));

	pixman_box32_t out[3];
	int n = spb_damage_to_rects(&region, 1000, 1000, 3, 0, out);
	assert_int_equal(n, 3);
	assert_covers(&region, 1000, 1000, out, n);
	assert_int_equal(total_area(out, n), 50 * 50 * 2 + 100 + 2 * 2 * 2);
	bool merged = false;
	for (int i = 0; i < n; i++) {
		if (out[i].x1 == 0) {
			assert_box_equal(&out[i], 0, 0, 102, 50);
			merged = true;
		}
	}
	assert_true(merged);
	pixman_region32_fini(&region);
}

/* A grid of side x side disjoint 1x1 squares, 4 pixels apart: side^2 boxes. */
static void grid_region(pixman_region32_t *region, int side) {
	pixman_region32_init(region);
	for (int y = 0; y < side; y++) {
		for (int x = 0; x < side; x++) {
			pixman_region32_union_rect(region, region, 2 + x * 4, 3 + y * 4, 1, 1);
		}
	}
}

static void test_over_merge_limit_bbox(void **state) {
	pixman_region32_t region;
	grid_region(&region, 17);
	int n_in = 0;
	pixman_region32_rectangles(&region, &n_in);
	assert_true(n_in > SPB_DAMAGE_MERGE_LIMIT);

	pixman_box32_t out[OUT_LEN];
	assert_int_equal(spb_damage_to_rects(&region, 200, 200, 16, 0, out), 1);
	assert_box_equal(&out[0], 2, 3, 2 + 16 * 4 + 1, 3 + 16 * 4 + 1);
	pixman_region32_fini(&region);
}

static void test_at_merge_limit_merges(void **state) {
	// Exactly SPB_DAMAGE_MERGE_LIMIT boxes still go through merging.
	pixman_region32_t region;
	grid_region(&region, 16);
	int n_in = 0;
	pixman_region32_rectangles(&region, &n_in);
	assert_int_equal(n_in, SPB_DAMAGE_MERGE_LIMIT);

	pixman_box32_t out[OUT_LEN];
	int n = spb_damage_to_rects(&region, 200, 200, 16, 0, out);
	assert_int_equal(n, 16);
	assert_covers(&region, 200, 200, out, n);
	assert_true(total_area(out, n) < spb_box_area(pixman_region32_extents(&region)));
	pixman_region32_fini(&region);
}

static void test_max_one_bbox(void **state) {
	const struct rect rects[] = {
		{ 10, 10, 5, 5 },
		{ 40, 20, 5, 5 },
		{ 20, 70, 5, 5 },
		{ 95, 95, 20, 20 }, // clipped to 100x100 first
	};
	pixman_region32_t region;
	region_from_rects(&region, rects, ARRAY_LEN(rects));
	pixman_box32_t out[1];
	assert_int_equal(spb_damage_to_rects(&region, 100, 100, 1, 0, out), 1);
	assert_box_equal(&out[0], 10, 10, 100, 100);
	pixman_region32_fini(&region);
}

/* xorshift32: the same sequence on every libc. */
static uint32_t rng_next(uint32_t *s) {
	uint32_t x = *s;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*s = x;
	return x;
}

static int rng_range(uint32_t *s, int lo, int hi) {
	return lo + (int)(rng_next(s) % (uint32_t)(hi - lo + 1));
}

static void test_free_waste_merges_below_limit(void **state) {
	// Two glyph cells with a 2-pixel gap on one text line, and a far one.
	const struct rect rects[] = {
		{ 100, 40, 8, 16 },
		{ 110, 40, 8, 16 },
		{ 400, 300, 8, 16 },
	};
	pixman_region32_t region;
	region_from_rects(&region, rects, ARRAY_LEN(rects));
	pixman_box32_t out[8];
	// With nothing free, each stays a box of its own under the limit.
	assert_int_equal(spb_damage_to_rects(&region, 1000, 1000, 8, 0, out), 3);
	// The gap (32 pixels) is free: one box for the line, one far away.
	int n = spb_damage_to_rects(&region, 1000, 1000, 8, 64, out);
	assert_int_equal(n, 2);
	assert_covers(&region, 1000, 1000, out, n);
	assert_int_equal(total_area(out, n), 18 * 16 + 8 * 16);
	pixman_region32_fini(&region);
}

static void test_random_property(void **state) {
	uint32_t seed = 0x5eed1234;
	for (int iter = 0; iter < 200; iter++) {
		int width = rng_range(&seed, 1, 300);
		int height = rng_range(&seed, 1, 300);
		int max = rng_range(&seed, 1, 8);
		int count = rng_range(&seed, 0, 40);

		pixman_region32_t region;
		pixman_region32_init(&region);
		for (int i = 0; i < count; i++) {
			int x = rng_range(&seed, -50, width + 50);
			int y = rng_range(&seed, -50, height + 50);
			int w = rng_range(&seed, 1, 60);
			int h = rng_range(&seed, 1, 60);
			pixman_region32_union_rect(&region, &region, x, y, w, h);
		}

		pixman_region32_t clipped;
		pixman_region32_init_rect(&clipped, 0, 0, width, height);
		pixman_region32_intersect(&clipped, &clipped, &region);
		int n_clipped = 0;
		const pixman_box32_t *clipped_boxes =
			pixman_region32_rectangles(&clipped, &n_clipped);

		pixman_box32_t out[8];
		int n = spb_damage_to_rects(&region, width, height, max, 0, out);
		assert_true(n >= 0 && n <= max);
		assert_int_equal(n == 0, n_clipped == 0);
		if (n_clipped <= max) {
			assert_int_equal(n, n_clipped);
			for (int i = 0; i < n; i++) {
				assert_box_equal(&out[i], clipped_boxes[i].x1, clipped_boxes[i].y1,
					clipped_boxes[i].x2, clipped_boxes[i].y2);
			}
		}
		assert_covers(&region, width, height, out, n);
		if (n > 0) {
			// Merging never costs more than sending the bounding box.
			assert_true(total_area(out, n) <=
				spb_box_area(pixman_region32_extents(&clipped)));
			for (int i = 0; i < n; i++) {
				for (int j = 0; j < n; j++) {
					assert_false(i != j && out[j].x1 >= out[i].x1 &&
						out[j].y1 >= out[i].y1 && out[j].x2 <= out[i].x2 &&
						out[j].y2 <= out[i].y2);
				}
			}
		}

		pixman_region32_fini(&clipped);
		pixman_region32_fini(&region);
	}
}

/* A merge that swallows a third box must not leave it behind. */
static void test_swallowed_box_dropped(void **state) {
	pixman_region32_t region;
	pixman_region32_init(&region);
	pixman_region32_union_rect(&region, &region, 20, 70, 10, 20);
	pixman_region32_union_rect(&region, &region, 60, 70, 50, 40);
	pixman_region32_union_rect(&region, &region, 10, 90, 50, 10);

	pixman_box32_t out[2];
	int n = spb_damage_to_rects(&region, 200, 200, 2, 0, out);
	assert_int_equal(n, 1);
	assert_box_equal(&out[0], 10, 70, 110, 110);
	assert_covers(&region, 200, 200, out, n);
	pixman_region32_fini(&region);
}

int main(void) {
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_region),
		cmocka_unit_test(test_max_rects_zero),
		cmocka_unit_test(test_single_rect),
		cmocka_unit_test(test_clip_partly_outside),
		cmocka_unit_test(test_clip_fully_outside),
		cmocka_unit_test(test_under_limit_exact),
		cmocka_unit_test(test_scattered_max4),
		cmocka_unit_test(test_nearby_merged_far_separate),
		cmocka_unit_test(test_least_waste_not_smallest_union),
		cmocka_unit_test(test_over_merge_limit_bbox),
		cmocka_unit_test(test_at_merge_limit_merges),
		cmocka_unit_test(test_max_one_bbox),
		cmocka_unit_test(test_free_waste_merges_below_limit),
		cmocka_unit_test(test_random_property),
		cmocka_unit_test(test_swallowed_box_dropped),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
