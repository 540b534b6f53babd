/*
 * libFuzzer target for backend/motion.c. The input describes an old image
 * (what the client shows, from a small palette so rows repeat), where it is
 * valid, a damage region, pixels changed or shifted inside it, and move
 * hints, and single pixels changed under damage over whole rows (a terminal
 * redrawing its line for one glyph). Whatever copies come out, a client that
 * applies them in order to the old image and then draws the damage left from
 * the new image must end with the new image exactly; every copy must read
 * only valid pixels and lie in the image.
 *
 * Built with -DSPB_FUZZ_REPLAY it is a plain program instead that runs
 * the files named on its command line through the target once.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "motion.h"

/* Wider than SPB_DIFF_MAX_COL_GAP, so that trimming splits columns. */
#define MAX_SIDE 160

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct reader {
	const uint8_t *data;
	size_t size, pos;
};

static uint8_t next(struct reader *r) {
	return r->pos < r->size ? r->data[r->pos++] : 0;
}

static pixman_box32_t read_box(struct reader *r, int w, int h) {
	int x = next(r) % w, y = next(r) % h;
	int bw = 1 + next(r) % w, bh = 1 + next(r) % h;
	pixman_box32_t b = { x, y, x + bw > w ? w : x + bw, y + bh > h ? h : y + bh };
	return b;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	static const uint32_t palette[4] = { 0x000000, 0xffffff, 0x3366cc, 0xff00ff };
	static uint32_t old_px[MAX_SIDE * MAX_SIDE], cur_px[MAX_SIDE * MAX_SIDE];
	static uint32_t client[MAX_SIDE * MAX_SIDE], tmp[MAX_SIDE * MAX_SIDE];
	struct reader r = { data, size, 0 };
	int w = 4 + next(&r) % (MAX_SIDE - 3), h = 4 + next(&r) % (MAX_SIDE - 3);

	// Old image: rows from a seed so that some repeat (blank lines, text).
	for (int y = 0; y < h; y++) {
		uint8_t seed = next(&r);
		for (int x = 0; x < w; x++) {
			old_px[y * w + x] = palette[((seed >> ((x * 2) % 8)) ^ (uint8_t)(x / 3)) & 3];
		}
	}
	memcpy(cur_px, old_px, sizeof(uint32_t) * (size_t)(w * h));

	pixman_region32_t valid, damage;
	pixman_region32_init_rect(&valid, 0, 0, w, h);
	if (next(&r) & 1) {
		pixman_box32_t v = read_box(&r, w, h);
		pixman_region32_fini(&valid);
		pixman_region32_init_rect(&valid, v.x1, v.y1, v.x2 - v.x1, v.y2 - v.y1);
	}

	// Damage: a few boxes, inside which cur is the old content shifted
	// (a move or scroll) and/or repainted.
	pixman_region32_init(&damage);
	int n_boxes = 1 + next(&r) % 3;
	for (int i = 0; i < n_boxes; i++) {
		pixman_box32_t b = read_box(&r, w, h);
		pixman_region32_union_rect(&damage, &damage, b.x1, b.y1, b.x2 - b.x1, b.y2 - b.y1);
		int dx = (int8_t)next(&r) % 16, dy = (int8_t)next(&r) % 16;
		uint8_t paint = next(&r);
		for (int y = b.y1; y < b.y2; y++) {
			for (int x = b.x1; x < b.x2; x++) {
				int sx = x - dx, sy = y - dy;
				uint32_t v = sx >= 0 && sy >= 0 && sx < w && sy < h ?
						old_px[sy * w + sx] :
						palette[paint & 3];
				if (paint & 0x80 && ((x + y) & 7) == (paint & 7)) {
					v = palette[(paint >> 3) & 3];
				}
				cur_px[y * w + x] = v;
			}
		}
	}

	// Pixels changed under damage over whole rows, as terminals report.
	int n_dots = next(&r) % 4;
	for (int i = 0; i < n_dots; i++) {
		int x = next(&r) % w, y = next(&r) % h, rows = 1 + next(&r) % 8;
		cur_px[y * w + x] = palette[next(&r) & 3];
		pixman_region32_union_rect(&damage, &damage, 0, y, w, y + rows > h ? h - y : rows);
	}

	struct spb_move_hint hints[SPB_MAX_HINTS];
	int n_hints = 0;
	int hint_count = next(&r) % 4;
	for (int i = 0; i < hint_count; i++) {
		struct spb_move_hint hint = {
			.dst = read_box(&r, w, h),
			.dx = (int8_t)next(&r) % 20,
			.dy = (int8_t)next(&r) % 20,
		};
		n_hints = spb_motion_add_hint(hints, n_hints, &hint);
		CHECK(n_hints >= 0 && n_hints <= SPB_MAX_HINTS);
	}

	struct spb_image old = { (const uint8_t *)old_px, (size_t)w * 4, w, h };
	struct spb_image cur = { (const uint8_t *)cur_px, (size_t)w * 4, w, h };
	struct spb_copy copies[SPB_MAX_COPIES];
	// With copies off (--no-copy-bits) only the trimming runs.
	int max_copies = next(&r) == 0xff ? 0 : SPB_MAX_COPIES;
	int n = spb_motion_find(
			&old, &valid, &cur, &damage, hints, n_hints, copies, max_copies);
	CHECK(n >= 0 && n <= max_copies);

	// The client: pixels outside valid are unknown, so use the new image's
	// there (the damage covers them or they were never at risk).
	for (int i = 0; i < w * h; i++) {
		bool known = pixman_region32_contains_point(&valid, i % w, i / w, NULL);
		client[i] = known ? old_px[i] : cur_px[i];
	}
	for (int i = 0; i < n; i++) {
		const pixman_box32_t *d = &copies[i].dst;
		CHECK(d->x1 >= 0 && d->y1 >= 0 && d->x2 <= w && d->y2 <= h);
		CHECK(d->x1 < d->x2 && d->y1 < d->y2);
		pixman_box32_t src = { d->x1 - copies[i].dx, d->y1 - copies[i].dy,
			d->x2 - copies[i].dx, d->y2 - copies[i].dy };
		CHECK(pixman_region32_contains_rectangle(&valid, &src) == PIXMAN_REGION_IN);
		for (int y = d->y1; y < d->y2; y++) {
			for (int x = d->x1; x < d->x2; x++) {
				tmp[y * w + x] = client[(y - copies[i].dy) * w + x - copies[i].dx];
			}
		}
		for (int y = d->y1; y < d->y2; y++) {
			for (int x = d->x1; x < d->x2; x++) {
				client[y * w + x] = tmp[y * w + x];
			}
		}
	}
	int nb = 0;
	const pixman_box32_t *boxes = pixman_region32_rectangles(&damage, &nb);
	for (int i = 0; i < nb; i++) {
		for (int y = boxes[i].y1; y < boxes[i].y2; y++) {
			for (int x = boxes[i].x1; x < boxes[i].x2; x++) {
				client[y * w + x] = cur_px[y * w + x];
			}
		}
	}
	CHECK(memcmp(client, cur_px, sizeof(uint32_t) * (size_t)(w * h)) == 0);

	pixman_region32_fini(&valid);
	pixman_region32_fini(&damage);
	return 0;
}

#ifdef SPB_FUZZ_REPLAY
#include "fuzz_replay.h"
#endif
