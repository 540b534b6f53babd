/*
 * Damage trimming against the shadow; see diff.h. Rows are compared whole
 * first (memcmp), then changed row runs in column tiles, then the ends of
 * each changed column span pixel by pixel, so unchanged damage costs one
 * memcmp per row and a change costs a few tiles more.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "diff.h"

static const uint32_t *px_at(const struct spb_image *img, int x, int y) {
	return (const uint32_t *)(const void *)(img->data + (size_t)y * img->stride + (size_t)x * 4);
}

static bool span_equal(const struct spb_image *old, const struct spb_image *cur, int y,
		int x1, int x2) {
	return memcmp(px_at(old, x1, y), px_at(cur, x1, y), (size_t)(x2 - x1) * 4) == 0;
}

struct bounds {
	int x1, y1, x2, y2;
	bool found;
};

/* Grows b by the changed pixels of row y in [x1, x2). */
static void bound_row(const struct spb_image *old, const struct spb_image *cur, int y,
		int x1, int x2, struct bounds *b) {
	const uint32_t *o = px_at(old, 0, y), *c = px_at(cur, 0, y);
	int first = x1;
	while (first < x2 && o[first] == c[first]) {
		first++;
	}
	if (first == x2) {
		return;
	}
	int last = x2 - 1;
	while (o[last] == c[last]) {
		last--;
	}
	if (!b->found) {
		*b = (struct bounds){ first, y, last + 1, y + 1, true };
		return;
	}
	b->x1 = first < b->x1 ? first : b->x1;
	b->x2 = last + 1 > b->x2 ? last + 1 : b->x2;
	b->y2 = y + 1;
}

/* Adds the changed pixels of rows [y1, y2) x [x1, x2), cut into column spans. */
static void trim_columns(const struct spb_image *old, const struct spb_image *cur,
		int x1, int x2, int y1, int y2, pixman_region32_t *out) {
	int n_tiles = (x2 - x1 + SPB_DIFF_TILE - 1) / SPB_DIFF_TILE;
	bool *changed = calloc((size_t)n_tiles, sizeof(*changed));
	if (changed == NULL) {
		pixman_region32_union_rect(out, out, x1, y1, x2 - x1, y2 - y1);
		return;
	}
	int left = n_tiles;
	for (int y = y1; y < y2 && left > 0; y++) {
		for (int t = 0; t < n_tiles; t++) {
			int tx1 = x1 + t * SPB_DIFF_TILE;
			int tx2 = tx1 + SPB_DIFF_TILE < x2 ? tx1 + SPB_DIFF_TILE : x2;
			if (!changed[t] && !span_equal(old, cur, y, tx1, tx2)) {
				changed[t] = true;
				left--;
			}
		}
	}
	// Spans of changed tiles, joined across small gaps, then cut to their changes.
	int t = 0;
	while (t < n_tiles) {
		if (!changed[t]) {
			t++;
			continue;
		}
		int start = t, end = t + 1;
		for (int k = end; k < n_tiles; k++) {
			if (!changed[k]) {
				continue;
			}
			if ((k - end) * SPB_DIFF_TILE > SPB_DIFF_MAX_COL_GAP) {
				break;
			}
			end = k + 1;
		}
		int sx1 = x1 + start * SPB_DIFF_TILE;
		int sx2 = x1 + end * SPB_DIFF_TILE < x2 ? x1 + end * SPB_DIFF_TILE : x2;
		struct bounds b = { .found = false };
		for (int y = y1; y < y2; y++) {
			bound_row(old, cur, y, sx1, sx2, &b);
		}
		if (b.found) {
			pixman_region32_union_rect(out, out, b.x1, b.y1, b.x2 - b.x1, b.y2 - b.y1);
		}
		t = end;
	}
	free(changed);
}

/* Adds the changed parts of box b (wholly valid) to out. */
static void trim_box(const struct spb_image *old, const struct spb_image *cur,
		const pixman_box32_t *b, pixman_region32_t *out) {
	int start = -1, last_changed = -1;
	for (int y = b->y1; y < b->y2; y++) {
		if (span_equal(old, cur, y, b->x1, b->x2)) {
			continue;
		}
		if (start >= 0 && y - last_changed - 1 > SPB_DIFF_MAX_ROW_GAP) {
			trim_columns(old, cur, b->x1, b->x2, start, last_changed + 1, out);
			start = -1;
		}
		if (start < 0) {
			start = y;
		}
		last_changed = y;
	}
	if (start >= 0) {
		trim_columns(old, cur, b->x1, b->x2, start, last_changed + 1, out);
	}
}

void spb_diff_trim(const struct spb_image *old, const pixman_region32_t *valid,
		const struct spb_image *cur, pixman_region32_t *damage) {
	if (old->width != cur->width || old->height != cur->height || old->data == NULL ||
			cur->data == NULL) {
		return;
	}
	// Damage where the client's pixels are unknown, or off the image, stays.
	pixman_region32_t known, result;
	pixman_region32_init_rect(&known, 0, 0, cur->width, cur->height);
	pixman_region32_intersect(&known, &known, (pixman_region32_t *)valid);
	pixman_region32_intersect(&known, &known, damage);
	pixman_region32_init(&result);
	pixman_region32_subtract(&result, damage, &known);

	int n = 0;
	const pixman_box32_t *boxes = pixman_region32_rectangles(&known, &n);
	for (int i = 0; i < n; i++) {
		trim_box(old, cur, &boxes[i], &result);
	}
	pixman_region32_copy(damage, &result);
	pixman_region32_fini(&result);
	pixman_region32_fini(&known);
}
