/*
 * Unit tests for backend/motion.c. Every test replays what a client would do
 * with the result (apply the copies in order to the old image, then draw the
 * remaining damage from the new one) and checks it ends with the new image,
 * besides checking that the expected copies were found: a moved window with
 * a hint, a scroll without one, a wrong hint, unchanged rows, copies off, an unknown
 * shadow, hint chaining, and copies that would read what another wrote.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <pixman.h>

#include "motion.h"

#define W 200
#define H 160

struct picture {
	uint32_t px[W * H];
};

static struct spb_image image_of(const struct picture *p) {
	struct spb_image img = {
		.data = (const uint8_t *)p->px,
		.stride = W * 4,
		.width = W,
		.height = H,
	};
	return img;
}

static uint32_t noise(uint32_t x, uint32_t y, uint32_t seed) {
	uint32_t h = x * 374761393u + y * 668265263u + seed * 2246822519u;
	h = (h ^ (h >> 13)) * 1274126177u;
	return (h ^ (h >> 16)) & 0xffffff;
}

static void fill_background(struct picture *p) {
	for (int y = 0; y < H; y++) {
		for (int x = 0; x < W; x++) {
			p->px[y * W + x] = (uint32_t)(x * 0x010203 + y * 0x030201) & 0xffffff;
		}
	}
}

/* A textured window at (x, y), w x h. */
static void draw_window(struct picture *p, int x0, int y0, int w, int h, uint32_t seed) {
	for (int y = 0; y < h; y++) {
		for (int x = 0; x < w; x++) {
			p->px[(y0 + y) * W + x0 + x] = noise((uint32_t)x, (uint32_t)y, seed);
		}
	}
}

/* What the client ends with: old, then the copies in order, then damage from cur. */
static void replay(const struct picture *old, const struct picture *cur,
		const struct spb_copy *copies, int n, pixman_region32_t *damage,
		struct picture *out) {
	*out = *old;
	static uint32_t tmp[W * H];
	for (int i = 0; i < n; i++) {
		const pixman_box32_t *d = &copies[i].dst;
		for (int y = d->y1; y < d->y2; y++) {
			for (int x = d->x1; x < d->x2; x++) {
				tmp[y * W + x] = out->px[(y - copies[i].dy) * W + x - copies[i].dx];
			}
		}
		for (int y = d->y1; y < d->y2; y++) {
			for (int x = d->x1; x < d->x2; x++) {
				out->px[y * W + x] = tmp[y * W + x];
			}
		}
	}
	int nb = 0;
	const pixman_box32_t *boxes = pixman_region32_rectangles(damage, &nb);
	for (int i = 0; i < nb; i++) {
		for (int y = boxes[i].y1; y < boxes[i].y2; y++) {
			for (int x = boxes[i].x1; x < boxes[i].x2; x++) {
				out->px[y * W + x] = cur->px[y * W + x];
			}
		}
	}
}

static void assert_replay_gives_cur(const struct picture *old, const struct picture *cur,
		const struct spb_copy *copies, int n, pixman_region32_t *damage) {
	static struct picture out;
	replay(old, cur, copies, n, damage, &out);
	assert_memory_equal(out.px, cur->px, sizeof(out.px));
}

static int64_t region_area(pixman_region32_t *r) {
	int n = 0;
	const pixman_box32_t *b = pixman_region32_rectangles(r, &n);
	int64_t area = 0;
	for (int i = 0; i < n; i++) {
		area += (int64_t)(b[i].x2 - b[i].x1) * (b[i].y2 - b[i].y1);
	}
	return area;
}

struct fixture {
	struct picture old, cur;
	pixman_region32_t valid, damage;
	struct spb_copy copies[SPB_MAX_COPIES];
};

static int setup(void **state) {
	struct fixture *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	fill_background(&f->old);
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

static int find(struct fixture *f, const struct spb_move_hint *hints, int n_hints) {
	struct spb_image old = image_of(&f->old), cur = image_of(&f->cur);
	return spb_motion_find(&old, &f->valid, &cur, &f->damage, hints, n_hints, f->copies,
			SPB_MAX_COPIES);
}

static void test_hinted_move(void **state) {
	struct fixture *f = *state;
	draw_window(&f->old, 10, 10, 40, 30, 1);
	fill_background(&f->cur);
	draw_window(&f->cur, 30, 25, 40, 30, 1);
	pixman_region32_union_rect(&f->damage, &f->damage, 10, 10, 40, 30);
	pixman_region32_union_rect(&f->damage, &f->damage, 30, 25, 40, 30);
	struct spb_move_hint hint = { .dst = { 30, 25, 70, 55 }, .dx = 20, .dy = 15 };
	pixman_region32_t before;
	pixman_region32_init(&before);
	pixman_region32_copy(&before, &f->damage);

	int n = find(f, &hint, 1);
	assert_int_equal(n, 1);
	assert_int_equal(f->copies[0].dst.x1, 30);
	assert_int_equal(f->copies[0].dst.y1, 25);
	assert_int_equal(f->copies[0].dst.x2, 70);
	assert_int_equal(f->copies[0].dst.y2, 55);
	assert_int_equal(f->copies[0].dx, 20);
	assert_int_equal(f->copies[0].dy, 15);
	// Only the uncovered part of the old place is left to send as pixels.
	assert_int_equal(region_area(&f->damage), region_area(&before) - 40 * 30);
	assert_replay_gives_cur(&f->old, &f->cur, f->copies, n, &f->damage);
	pixman_region32_fini(&before);
}

static void test_wrong_hint(void **state) {
	struct fixture *f = *state;
	draw_window(&f->old, 10, 10, 40, 30, 1);
	fill_background(&f->cur);
	// Moved, but its content changed too: nothing may be copied.
	draw_window(&f->cur, 30, 25, 40, 30, 2);
	pixman_region32_union_rect(&f->damage, &f->damage, 10, 10, 40, 30);
	pixman_region32_union_rect(&f->damage, &f->damage, 30, 25, 40, 30);
	struct spb_move_hint hint = { .dst = { 30, 25, 70, 55 }, .dx = 20, .dy = 15 };
	int n = find(f, &hint, 1);
	assert_int_equal(n, 0);
	assert_replay_gives_cur(&f->old, &f->cur, f->copies, n, &f->damage);
}

static void test_scroll_found(void **state) {
	struct fixture *f = *state;
	// A terminal whose text moves up by 15 rows, with a new line at the bottom.
	for (int y = 0; y < 120; y++) {
		for (int x = 0; x < 160; x++) {
			f->old.px[(20 + y) * W + 20 + x] = noise((uint32_t)x, (uint32_t)y, 7);
		}
	}
	f->cur = f->old;
	for (int y = 0; y < 120; y++) {
		for (int x = 0; x < 160; x++) {
			f->cur.px[(20 + y) * W + 20 + x] = noise((uint32_t)x, (uint32_t)y + 15, 7);
		}
	}
	pixman_region32_union_rect(&f->damage, &f->damage, 20, 20, 160, 120);

	int n = find(f, NULL, 0);
	assert_int_equal(n, 1);
	assert_int_equal(f->copies[0].dx, 0);
	assert_int_equal(f->copies[0].dy, -15);
	assert_int_equal(f->copies[0].dst.y1, 20);
	assert_int_equal(f->copies[0].dst.y2, 20 + 105);
	assert_int_equal(region_area(&f->damage), 160 * 15);
	assert_replay_gives_cur(&f->old, &f->cur, f->copies, n, &f->damage);
}

static void test_unchanged_rows_trimmed(void **state) {
	struct fixture *f = *state;
	f->cur = f->old;
	// Damage reported over 50 rows; only rows 30..34 changed.
	for (int y = 30; y < 35; y++) {
		f->cur.px[y * W + 60] ^= 0xffffff;
	}
	pixman_region32_union_rect(&f->damage, &f->damage, 0, 10, W, 50);
	int n = find(f, NULL, 0);
	assert_int_equal(n, 0);
	const pixman_box32_t *e = pixman_region32_extents(&f->damage);
	assert_int_equal(e->y1, 30);
	assert_int_equal(e->y2, 35);
	assert_replay_gives_cur(&f->old, &f->cur, f->copies, n, &f->damage);

	// Nothing changed at all: nothing to send.
	f->cur = f->old;
	pixman_region32_union_rect(&f->damage, &f->damage, 0, 0, W, H);
	assert_int_equal(find(f, NULL, 0), 0);
	assert_false(pixman_region32_not_empty(&f->damage));
}

static void test_no_copies_only_trims(void **state) {
	struct fixture *f = *state;
	draw_window(&f->old, 10, 10, 40, 30, 1);
	fill_background(&f->cur);
	draw_window(&f->cur, 30, 25, 40, 30, 1);
	pixman_region32_union_rect(&f->damage, &f->damage, 0, 0, W, H);
	// Copies off (--no-copy-bits): a good hint is not used, damage is still trimmed.
	struct spb_move_hint hint = { .dst = { 30, 25, 70, 55 }, .dx = 20, .dy = 15 };
	struct spb_image old = image_of(&f->old), cur = image_of(&f->cur);
	assert_int_equal(spb_motion_find(&old, &f->valid, &cur, &f->damage, &hint, 1,
				 f->copies, 0),
			0);
	const pixman_box32_t *e = pixman_region32_extents(&f->damage);
	assert_int_equal(e->x1, 10);
	assert_int_equal(e->y1, 10);
	assert_int_equal(e->x2, 70);
	assert_int_equal(e->y2, 55);
	assert_replay_gives_cur(&f->old, &f->cur, f->copies, 0, &f->damage);
}

static void test_unknown_shadow(void **state) {
	struct fixture *f = *state;
	draw_window(&f->old, 10, 10, 40, 30, 1);
	fill_background(&f->cur);
	draw_window(&f->cur, 30, 25, 40, 30, 1);
	pixman_region32_union_rect(&f->damage, &f->damage, 10, 10, 60, 45);
	// The client's surface was reset: its old pixels are not known.
	pixman_region32_clear(&f->valid);
	struct spb_move_hint hint = { .dst = { 30, 25, 70, 55 }, .dx = 20, .dy = 15 };
	assert_int_equal(find(f, &hint, 1), 0);
	assert_int_equal(region_area(&f->damage), 60 * 45);
}

static void test_hint_chaining(void **state) {
	struct spb_move_hint hints[SPB_MAX_HINTS];
	int n = 0;
	struct spb_move_hint a = { .dst = { 10, 10, 50, 40 }, .dx = 5, .dy = 0 };
	struct spb_move_hint b = { .dst = { 12, 13, 52, 43 }, .dx = 2, .dy = 3 };
	n = spb_motion_add_hint(hints, n, &a);
	n = spb_motion_add_hint(hints, n, &b);
	assert_int_equal(n, 1);
	assert_int_equal(hints[0].dx, 7);
	assert_int_equal(hints[0].dy, 3);
	assert_int_equal(hints[0].dst.x1, 12);
	// No-op hints are dropped; more than the maximum keeps the newest.
	struct spb_move_hint still = { .dst = { 0, 0, 5, 5 }, .dx = 0, .dy = 0 };
	assert_int_equal(spb_motion_add_hint(hints, n, &still), 1);
	for (int i = 0; i < SPB_MAX_HINTS + 3; i++) {
		struct spb_move_hint h = {
			.dst = { 100 * i, 0, 100 * i + 10, 10 },
			.dx = 1,
			.dy = 1,
		};
		n = spb_motion_add_hint(hints, n, &h);
	}
	assert_int_equal(n, SPB_MAX_HINTS);
	assert_int_equal(hints[SPB_MAX_HINTS - 1].dst.x1, 100 * (SPB_MAX_HINTS + 2));
}

static void test_copies_do_not_read_what_others_wrote(void **state) {
	struct fixture *f = *state;
	// Two windows swap places; each hint alone is right, but the second copy
	// would read what the first one wrote.
	draw_window(&f->old, 10, 10, 40, 30, 1);
	draw_window(&f->old, 100, 10, 40, 30, 2);
	f->cur = f->old;
	draw_window(&f->cur, 100, 10, 40, 30, 1);
	draw_window(&f->cur, 10, 10, 40, 30, 2);
	pixman_region32_union_rect(&f->damage, &f->damage, 10, 10, 130, 30);
	struct spb_move_hint hints[2] = {
		{ .dst = { 100, 10, 140, 40 }, .dx = 90, .dy = 0 },
		{ .dst = { 10, 10, 50, 40 }, .dx = -90, .dy = 0 },
	};
	int n = find(f, hints, 2);
	assert_int_equal(n, 1);
	assert_replay_gives_cur(&f->old, &f->cur, f->copies, n, &f->damage);
}

static void test_hint_outside_image(void **state) {
	struct fixture *f = *state;
	// A window dragged partly off screen: only its visible part is copied.
	draw_window(&f->old, 150, 100, 40, 30, 3);
	fill_background(&f->cur);
	for (int y = 0; y < 30; y++) {
		for (int x = 0; x < 40 && 170 + x < W; x++) {
			f->cur.px[(110 + y) * W + 170 + x] = noise((uint32_t)x, (uint32_t)y, 3);
		}
	}
	pixman_region32_union_rect(&f->damage, &f->damage, 150, 100, 50, 40);
	struct spb_move_hint hint = { .dst = { 170, 110, 210, 140 }, .dx = 20, .dy = 10 };
	int n = find(f, &hint, 1);
	assert_int_equal(n, 1);
	assert_int_equal(f->copies[0].dst.x2, W);
	assert_replay_gives_cur(&f->old, &f->cur, f->copies, n, &f->damage);
}

#define TEST(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void) {
	const struct CMUnitTest tests[] = {
		TEST(test_hinted_move),
		TEST(test_wrong_hint),
		TEST(test_scroll_found),
		TEST(test_unchanged_rows_trimmed),
		TEST(test_no_copies_only_trims),
		TEST(test_unknown_shadow),
		cmocka_unit_test(test_hint_chaining),
		TEST(test_copies_do_not_read_what_others_wrote),
		TEST(test_hint_outside_image),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
