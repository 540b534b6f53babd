/*
 * Unit tests for backend/diff.c: damage cut down to what changed against the
 * shadow. A terminal row damaged whole for one glyph, changes far apart (split)
 * and close together (joined), unchanged rows between changes, damage where
 * the shadow is unknown, nothing changed, and random changes: after each, a
 * client drawing the damage left from the new image onto the old one must
 * end with the new image.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <pixman.h>

#include "diff.h"

#define W 640
#define H 96

struct fixture {
	uint32_t old[W * H], cur[W * H], client[W * H];
	pixman_region32_t valid, damage;
};

static int setup(void **state) {
	struct fixture *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	for (int i = 0; i < W * H; i++) {
		f->old[i] = (uint32_t)((i % W) / 8 * 0x010101 + (i / W) * 0x020000) & 0xffffff;
	}
	memcpy(f->cur, f->old, sizeof(f->cur));
	pixman_region32_init_rect(&f->valid, 0, 0, W, H);
	pixman_region32_init(&f->damage);
	*state = f;
	return 0;
}

static int teardown(void **state) {
	struct fixture *f = *state;
	pixman_region32_fini(&f->valid);
	pixman_region32_fini(&f->damage);
	free(f);
	return 0;
}

static void trim(struct fixture *f) {
	struct spb_image old = { (const uint8_t *)f->old, W * 4, W, H };
	struct spb_image cur = { (const uint8_t *)f->cur, W * 4, W, H };
	spb_diff_trim(&old, &f->valid, &cur, &f->damage);
}

/* Changes the pixels of a box in cur. */
static void paint(struct fixture *f, int x1, int y1, int x2, int y2) {
	for (int y = y1; y < y2; y++) {
		for (int x = x1; x < x2; x++) {
			f->cur[y * W + x] ^= 0x00a5a5a5;
		}
	}
}

static void damage(struct fixture *f, int x1, int y1, int x2, int y2) {
	pixman_region32_union_rect(&f->damage, &f->damage, x1, y1, x2 - x1, y2 - y1);
}

/* The client had old where valid; it draws the damage from cur. */
static void assert_client_gets_cur(struct fixture *f) {
	for (int i = 0; i < W * H; i++) {
		bool known = pixman_region32_contains_point(&f->valid, i % W, i / W, NULL);
		f->client[i] = known ? f->old[i] : f->cur[i];
	}
	int n = 0;
	const pixman_box32_t *b = pixman_region32_rectangles(&f->damage, &n);
	for (int i = 0; i < n; i++) {
		// Damage off the image may stay; the client has nothing there.
		for (int y = b[i].y1; y < b[i].y2 && y < H; y++) {
			for (int x = b[i].x1; x < b[i].x2 && x < W; x++) {
				f->client[y * W + x] = f->cur[y * W + x];
			}
		}
	}
	assert_memory_equal(f->client, f->cur, sizeof(f->cur));
}

static void assert_boxes(struct fixture *f, const pixman_box32_t *want, int n_want) {
	int n = 0;
	const pixman_box32_t *b = pixman_region32_rectangles(&f->damage, &n);
	assert_int_equal(n, n_want);
	for (int i = 0; i < n; i++) {
		assert_int_equal(b[i].x1, want[i].x1);
		assert_int_equal(b[i].y1, want[i].y1);
		assert_int_equal(b[i].x2, want[i].x2);
		assert_int_equal(b[i].y2, want[i].y2);
	}
}

static void test_glyph_in_whole_row(void **state) {
	struct fixture *f = *state;
	// A terminal damages its whole 17-row line for one 9x15 glyph.
	paint(f, 101, 21, 110, 36);
	damage(f, 0, 20, W, 37);
	trim(f);
	pixman_box32_t want[] = { { 101, 21, 110, 36 } };
	assert_boxes(f, want, 1);
	assert_client_gets_cur(f);
}

static void test_far_changes_split(void **state) {
	struct fixture *f = *state;
	// A glyph at the left, a clock at the right of the same row band.
	paint(f, 10, 5, 20, 15);
	paint(f, 600, 8, 630, 12);
	damage(f, 0, 0, W, 20);
	trim(f);
	pixman_box32_t want[] = { { 10, 5, 20, 8 }, { 10, 8, 20, 12 }, { 600, 8, 630, 12 },
		{ 10, 12, 20, 15 } };
	// pixman bands the two boxes; together they are exactly the changes.
	assert_boxes(f, want, 4);
	assert_client_gets_cur(f);
}

static void test_near_changes_joined(void **state) {
	struct fixture *f = *state;
	// Two glyphs a few cells apart: one image costs less than two headers.
	paint(f, 100, 30, 108, 45);
	paint(f, 140, 30, 148, 45);
	damage(f, 0, 25, W, 50);
	trim(f);
	pixman_box32_t want[] = { { 100, 30, 148, 45 } };
	assert_boxes(f, want, 1);
	assert_client_gets_cur(f);
}

static void test_row_gap(void **state) {
	struct fixture *f = *state;
	paint(f, 50, 2, 60, 4);
	// 10 unchanged rows stay (at most SPB_DIFF_MAX_ROW_GAP) ...
	paint(f, 50, 14, 60, 16);
	// ... 40 do not.
	paint(f, 50, 56, 60, 58);
	damage(f, 0, 0, W, H);
	trim(f);
	pixman_box32_t want[] = { { 50, 2, 60, 16 }, { 50, 56, 60, 58 } };
	assert_boxes(f, want, 2);
	assert_client_gets_cur(f);
}

static void test_unknown_kept(void **state) {
	struct fixture *f = *state;
	paint(f, 300, 40, 310, 50);
	damage(f, 0, 40, W, 50);
	// The client's pixels right of 320 are unknown: that damage stays.
	pixman_region32_fini(&f->valid);
	pixman_region32_init_rect(&f->valid, 0, 0, 320, H);
	trim(f);
	pixman_box32_t want[] = { { 300, 40, 310, 50 }, { 320, 40, W, 50 } };
	assert_boxes(f, want, 2);
	assert_client_gets_cur(f);
}

static void test_nothing_changed(void **state) {
	struct fixture *f = *state;
	damage(f, 0, 0, W, H);
	trim(f);
	assert_false(pixman_region32_not_empty(&f->damage));
	// Damage off the image is not the shadow's to judge.
	damage(f, W - 5, H - 5, W + 5, H + 5);
	trim(f);
	pixman_box32_t want[] = { { W, H - 5, W + 5, H }, { W - 5, H, W + 5, H + 5 } };
	assert_boxes(f, want, 2);
}

static void test_random(void **state) {
	struct fixture *f = *state;
	srand(7);
	for (int round = 0; round < 200; round++) {
		memcpy(f->cur, f->old, sizeof(f->cur));
		pixman_region32_clear(&f->damage);
		pixman_region32_fini(&f->valid);
		int vx = rand() % W, vy = rand() % H;
		pixman_region32_init_rect(&f->valid, vx / 2, vy / 2, W - vx / 3, H - vy / 3);
		for (int k = rand() % 5; k >= 0; k--) {
			int x = rand() % W, y = rand() % H;
			int w = 1 + rand() % 80, h = 1 + rand() % 20;
			damage(f, x, y, x + w, y + h);
			// Some pixels inside change, scattered.
			for (int p = rand() % 6; p > 0; p--) {
				int px = x + rand() % w, py = y + rand() % h;
				if (px < W && py < H) {
					f->cur[py * W + px] ^= 1u << (rand() % 32);
				}
			}
		}
		trim(f);
		assert_client_gets_cur(f);
	}
}

int main(void) {
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_glyph_in_whole_row, setup, teardown),
		cmocka_unit_test_setup_teardown(test_far_changes_split, setup, teardown),
		cmocka_unit_test_setup_teardown(test_near_changes_joined, setup, teardown),
		cmocka_unit_test_setup_teardown(test_row_gap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nothing_changed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_random, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
