/*
 * Finding damaged pixels the client already has elsewhere on its surface: a
 * window that moved (the compositor hints the vector) or content that
 * scrolled (found by comparing row hashes). Each find becomes a QXL_COPY_BITS,
 * a few bytes on the wire instead of an image. Damaged pixels that did not
 * change are dropped too (diff.h). Pure: images in, copies and a smaller
 * region out, so it is unit-tested and fuzzed alone.
 */
#ifndef SPB_MOTION_H
#define SPB_MOTION_H

#include <stddef.h>
#include <stdint.h>
#include <pixman.h>
#include "diff.h"

/* Most copies one flush produces. */
#define SPB_MAX_COPIES 8
/* Most move hints kept between two flushes. */
#define SPB_MAX_HINTS 8

/* dst gets the pixels at dst moved by (-dx, -dy): the source lies at dst - d. */
struct spb_copy {
	pixman_box32_t dst;
	int dx, dy;
};

/* Content now at dst was at dst - (dx, dy) in the previous frame. */
struct spb_move_hint {
	pixman_box32_t dst;
	int dx, dy;
};

/*
 * Adds a hint to hints (n of them, at most SPB_MAX_HINTS); a move of
 * content another hint already moved extends that hint. Returns the new count.
 */
int spb_motion_add_hint(
		struct spb_move_hint *hints, int n, const struct spb_move_hint *hint);

/*
 * old is what the client shows, valid where it is known to be; cur is the new
 * frame, the same size. Finds copies, in the order they must be applied,
 * whose destination lies in damage and whose pixels in cur equal old at the
 * source, removes their destinations from damage and trims the rest with
 * spb_diff_trim, and returns how many were written to out (at most
 * max_out; 0 searches for none and only trims).
 */
int spb_motion_find(const struct spb_image *old, const pixman_region32_t *valid,
		const struct spb_image *cur, pixman_region32_t *damage,
		const struct spb_move_hint *hints, int n_hints, struct spb_copy *out,
		int max_out);

#endif
