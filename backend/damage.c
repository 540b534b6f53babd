/*
 * Damage region to rectangle list, with greedy merging so a frame becomes a
 * bounded number of draw commands: fewer, larger images compress better and
 * cost less per-command overhead in spice-server.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include "damage.h"

int64_t spb_box_area(const pixman_box32_t *box) {
	if (box->x2 <= box->x1 || box->y2 <= box->y1) {
		return 0;
	}
	return (int64_t)(box->x2 - box->x1) * (box->y2 - box->y1);
}

static pixman_box32_t box_union(const pixman_box32_t *a, const pixman_box32_t *b) {
	pixman_box32_t u = {
		.x1 = a->x1 < b->x1 ? a->x1 : b->x1,
		.y1 = a->y1 < b->y1 ? a->y1 : b->y1,
		.x2 = a->x2 > b->x2 ? a->x2 : b->x2,
		.y2 = a->y2 > b->y2 ? a->y2 : b->y2,
	};
	return u;
}

static bool box_contains(const pixman_box32_t *outer, const pixman_box32_t *inner) {
	return inner->x1 >= outer->x1 && inner->y1 >= outer->y1 && inner->x2 <= outer->x2 &&
			inner->y2 <= outer->y2;
}

int spb_damage_to_rects(const pixman_region32_t *region, int width, int height,
		int max_rects, int64_t free_waste, pixman_box32_t *out) {
	if (max_rects < 1) {
		return 0;
	}

	pixman_region32_t clipped;
	pixman_region32_init_rect(&clipped, 0, 0, width, height);
	pixman_region32_intersect(&clipped, &clipped, (pixman_region32_t *)region);

	int n = 0;
	pixman_box32_t *boxes = pixman_region32_rectangles(&clipped, &n);
	if (n == 0) {
		pixman_region32_fini(&clipped);
		return 0;
	}
	if (n == 1) {
		out[0] = boxes[0];
		pixman_region32_fini(&clipped);
		return 1;
	}
	if (n > SPB_DAMAGE_MERGE_LIMIT || max_rects == 1) {
		out[0] = *pixman_region32_extents(&clipped);
		pixman_region32_fini(&clipped);
		return 1;
	}

	pixman_box32_t *work = malloc(sizeof(*work) * n);
	if (work == NULL) {
		out[0] = *pixman_region32_extents(&clipped);
		pixman_region32_fini(&clipped);
		return 1;
	}
	for (int i = 0; i < n; i++) {
		work[i] = boxes[i];
	}
	pixman_region32_fini(&clipped);

	// Merged boxes can overlap or swallow others; the waste estimate then
	// undercounts by the overlap and goes negative for a swallowed box. So
	// keep merging past max_rects while a merge costs nothing, and drop boxes
	// a merge has covered: no pixel is sent twice for nothing.
	while (n > 1) {
		int best_i = 0, best_j = 1;
		int64_t best_waste = INT64_MAX;
		for (int i = 0; i < n; i++) {
			for (int j = i + 1; j < n; j++) {
				pixman_box32_t u = box_union(&work[i], &work[j]);
				int64_t waste = spb_box_area(&u) - spb_box_area(&work[i]) -
						spb_box_area(&work[j]);
				if (waste < best_waste) {
					best_waste = waste;
					best_i = i;
					best_j = j;
				}
			}
		}
		if (n <= max_rects && best_waste >= free_waste) {
			break;
		}
		work[best_i] = box_union(&work[best_i], &work[best_j]);
		work[best_j] = work[n - 1];
		n--;
		for (int k = 0; k < n; k++) {
			if (k != best_i && box_contains(&work[best_i], &work[k])) {
				work[k] = work[n - 1];
				if (best_i == n - 1) {
					best_i = k;
				}
				n--;
				k--;
			}
		}
	}

	for (int i = 0; i < n; i++) {
		out[i] = work[i];
	}
	free(work);
	return n;
}
