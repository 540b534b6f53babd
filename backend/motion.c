/*
 * Copy (QXL_COPY_BITS) detection for a flush; see motion.h. Every copy is
 * verified row by row against the image the client has, so a wrong hint or a
 * hash collision costs time, never a wrong pixel.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "motion.h"

/* Shortest run of matching rows worth a command of its own. */
#define MIN_HINT_ROWS 2
#define MIN_SCROLL_ROWS 8
/* Boxes smaller than this are not searched for scrolls. */
#define MIN_SCROLL_WIDTH 16
#define MIN_SCROLL_HEIGHT 24
/* A row hash seen more often than this in the old box (blank lines) does not vote. */
#define MAX_HASH_REPEATS 2
/* Pixels hashed per row: enough to tell text lines apart, cheap on video. */
#define HASH_SAMPLES 96

static const uint8_t *row_at(const struct spb_image *img, int x, int y) {
	return img->data + (size_t)y * img->stride + (size_t)x * 4;
}

static bool rows_equal(const struct spb_image *old, int old_x, int old_y,
		const struct spb_image *cur, int x, int y, int width) {
	return memcmp(row_at(old, old_x, old_y), row_at(cur, x, y), (size_t)width * 4) == 0;
}

static bool box_empty(const pixman_box32_t *b) {
	return b->x2 <= b->x1 || b->y2 <= b->y1;
}

static bool boxes_overlap(const pixman_box32_t *a, const pixman_box32_t *b) {
	return a->x1 < b->x2 && b->x1 < a->x2 && a->y1 < b->y2 && b->y1 < a->y2;
}

static pixman_box32_t box_shift(const pixman_box32_t *b, int dx, int dy) {
	pixman_box32_t s = { b->x1 + dx, b->y1 + dy, b->x2 + dx, b->y2 + dy };
	return s;
}

static int max_int(int a, int b) {
	return a > b ? a : b;
}

static int min_int(int a, int b) {
	return a < b ? a : b;
}

int spb_motion_add_hint(
		struct spb_move_hint *hints, int n, const struct spb_move_hint *hint) {
	if (box_empty(&hint->dst) || (hint->dx == 0 && hint->dy == 0)) {
		return n;
	}
	pixman_box32_t src = box_shift(&hint->dst, -hint->dx, -hint->dy);
	for (int i = 0; i < n; i++) {
		pixman_box32_t *d = &hints[i].dst;
		if (d->x1 == src.x1 && d->y1 == src.y1 && d->x2 == src.x2 && d->y2 == src.y2) {
			// The same content moved again before the client saw the last move.
			hints[i].dst = hint->dst;
			hints[i].dx += hint->dx;
			hints[i].dy += hint->dy;
			return n;
		}
	}
	if (n >= SPB_MAX_HINTS) {
		// Oldest first: the newest moves are the likeliest to still be visible.
		memmove(&hints[0], &hints[1], sizeof(*hints) * (SPB_MAX_HINTS - 1));
		n--;
	}
	hints[n] = *hint;
	return n + 1;
}

struct finder {
	const struct spb_image *old, *cur;
	const pixman_region32_t *valid;
	struct spb_copy *out;
	int max_out, n;
};

/*
 * Adds a copy unless it would read pixels an earlier copy wrote or write
 * where one already did: the client applies them in order.
 */
static bool add_copy(struct finder *f, const pixman_box32_t *dst, int dx, int dy) {
	if (f->n >= f->max_out) {
		return false;
	}
	pixman_box32_t src = box_shift(dst, -dx, -dy);
	if (pixman_region32_contains_rectangle((pixman_region32_t *)f->valid, &src) !=
			PIXMAN_REGION_IN) {
		return false;
	}
	for (int i = 0; i < f->n; i++) {
		if (boxes_overlap(&src, &f->out[i].dst) || boxes_overlap(dst, &f->out[i].dst)) {
			return false;
		}
	}
	f->out[f->n++] = (struct spb_copy){ .dst = *dst, .dx = dx, .dy = dy };
	return true;
}

/* Clips box so that it and its source (box - d) lie inside the image. */
static pixman_box32_t clip_to_image(const struct finder *f, pixman_box32_t box, int dx, int dy) {
	int w = f->cur->width, h = f->cur->height;
	box.x1 = max_int(box.x1, max_int(0, dx));
	box.y1 = max_int(box.y1, max_int(0, dy));
	box.x2 = min_int(box.x2, min_int(w, w + dx));
	box.y2 = min_int(box.y2, min_int(h, h + dy));
	return box;
}

/* Adds a copy for every run of at least min_rows rows of box that moved by d. */
static void copy_matching_runs(struct finder *f, const pixman_box32_t *box, int dx, int dy,
		int min_rows) {
	int width = box->x2 - box->x1;
	int run_start = -1;
	for (int y = box->y1; y <= box->y2; y++) {
		bool match = y < box->y2 &&
				rows_equal(f->old, box->x1 - dx, y - dy, f->cur, box->x1, y, width);
		if (match && run_start < 0) {
			run_start = y;
		} else if (!match && run_start >= 0) {
			if (y - run_start >= min_rows) {
				pixman_box32_t dst = { box->x1, run_start, box->x2, y };
				add_copy(f, &dst, dx, dy);
			}
			run_start = -1;
		}
	}
}

static uint32_t row_hash(const struct spb_image *img, int y, int x1, int x2) {
	int width = x2 - x1;
	int step = width > HASH_SAMPLES ? width / HASH_SAMPLES : 1;
	const uint32_t *row = (const uint32_t *)(const void *)row_at(img, 0, y);
	uint32_t h = 2166136261u;
	for (int x = x1; x < x2; x += step) {
		h = (h ^ (row[x] & 0xffffffu)) * 16777619u;
	}
	h = (h ^ (row[x2 - 1] & 0xffffffu)) * 16777619u;
	return h;
}

struct hashed_row {
	uint32_t hash;
	int y;
};

static int compare_hashed_rows(const void *a, const void *b) {
	const struct hashed_row *ra = a, *rb = b;
	if (ra->hash != rb->hash) {
		return ra->hash < rb->hash ? -1 : 1;
	}
	return ra->y - rb->y;
}

/* First index in sorted rows whose hash is not below hash. */
static int lower_bound(const struct hashed_row *rows, int n, uint32_t hash) {
	int lo = 0, hi = n;
	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;
		if (rows[mid].hash < hash) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	return lo;
}

/*
 * Finds the vertical shift most rows of box agree on (rows of box in cur
 * matched against rows of the same columns in old) and copies it.
 */
static void find_scroll(struct finder *f, const pixman_box32_t *box) {
	int h = box->y2 - box->y1;
	struct hashed_row *old_rows = malloc(sizeof(*old_rows) * (size_t)h);
	uint32_t *cur_hash = malloc(sizeof(*cur_hash) * (size_t)h);
	int *votes = calloc((size_t)(2 * h + 1), sizeof(*votes));
	if (old_rows == NULL || cur_hash == NULL || votes == NULL) {
		goto out;
	}
	int unchanged = 0;
	for (int i = 0; i < h; i++) {
		old_rows[i].hash = row_hash(f->old, box->y1 + i, box->x1, box->x2);
		old_rows[i].y = i;
		cur_hash[i] = row_hash(f->cur, box->y1 + i, box->x1, box->x2);
		unchanged += old_rows[i].hash == cur_hash[i];
	}
	if (unchanged == h) {
		goto out;
	}
	qsort(old_rows, (size_t)h, sizeof(*old_rows), compare_hashed_rows);
	for (int i = 0; i < h; i++) {
		int lo = lower_bound(old_rows, h, cur_hash[i]);
		int hi = lo;
		while (hi < h && old_rows[hi].hash == cur_hash[i]) {
			hi++;
		}
		if (hi - lo == 0 || hi - lo > MAX_HASH_REPEATS) {
			continue;
		}
		for (int k = lo; k < hi; k++) {
			int dy = i - old_rows[k].y;
			if (dy != 0) {
				votes[dy + h]++;
			}
		}
	}
	int best = 0, best_votes = 0;
	for (int dy = -h + 1; dy < h; dy++) {
		if (votes[dy + h] > best_votes) {
			best_votes = votes[dy + h];
			best = dy;
		}
	}
	if (best_votes < MIN_SCROLL_ROWS) {
		goto out;
	}
	pixman_box32_t clipped = clip_to_image(f, *box, 0, best);
	copy_matching_runs(f, &clipped, 0, best, MIN_SCROLL_ROWS);

out:
	free(old_rows);
	free(cur_hash);
	free(votes);
}

/* The client gets copies[from..to) by copy: they need no pixels. */
static void subtract_copies(pixman_region32_t *damage, const struct spb_copy *copies,
		int from, int to) {
	for (int i = from; i < to; i++) {
		const pixman_box32_t *d = &copies[i].dst;
		pixman_region32_t dst;
		pixman_region32_init_rect(&dst, d->x1, d->y1, d->x2 - d->x1, d->y2 - d->y1);
		pixman_region32_subtract(damage, damage, &dst);
		pixman_region32_fini(&dst);
	}
}

int spb_motion_find(const struct spb_image *old, const pixman_region32_t *valid,
		const struct spb_image *cur, pixman_region32_t *damage,
		const struct spb_move_hint *hints, int n_hints, struct spb_copy *out,
		int max_out) {
	if (old->width != cur->width || old->height != cur->height || old->data == NULL ||
			cur->data == NULL) {
		return 0;
	}
	struct finder f = {
		.old = old,
		.cur = cur,
		.valid = valid,
		.out = out,
		.max_out = max_out,
	};
	pixman_region32_intersect_rect(damage, damage, 0, 0, cur->width, cur->height);
	const pixman_box32_t *extents = pixman_region32_extents(damage);

	for (int i = 0; i < n_hints && max_out > 0; i++) {
		const struct spb_move_hint *hint = &hints[i];
		pixman_box32_t box = clip_to_image(&f, hint->dst, hint->dx, hint->dy);
		box.x1 = max_int(box.x1, extents->x1);
		box.y1 = max_int(box.y1, extents->y1);
		box.x2 = min_int(box.x2, extents->x2);
		box.y2 = min_int(box.y2, extents->y2);
		if (box_empty(&box) || (hint->dx == 0 && hint->dy == 0)) {
			continue;
		}
		copy_matching_runs(&f, &box, hint->dx, hint->dy, MIN_HINT_ROWS);
	}
	subtract_copies(damage, out, 0, f.n);

	// Scrolls, in each large box of what is left: a scrolling terminal is one.
	int n = 0, before = f.n;
	const pixman_box32_t *boxes = pixman_region32_rectangles(damage, &n);
	for (int i = 0; i < n && f.n < f.max_out; i++) {
		if (boxes[i].x2 - boxes[i].x1 >= MIN_SCROLL_WIDTH &&
				boxes[i].y2 - boxes[i].y1 >= MIN_SCROLL_HEIGHT) {
			find_scroll(&f, &boxes[i]);
		}
	}
	subtract_copies(damage, out, before, f.n);

	spb_diff_trim(old, valid, cur, damage);
	return f.n;
}
