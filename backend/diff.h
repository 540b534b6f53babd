/*
 * Cutting damage down to the pixels that really changed against what the
 * client shows. Toolkits damage more than they change (foot and GTK damage
 * whole rows for one glyph); every damaged pixel becomes image bytes on the
 * wire, so each damaged area is compared with the shadow and cut to its
 * changed rows and columns. Pure: images in, a smaller region out.
 */
#ifndef SPB_DIFF_H
#define SPB_DIFF_H

#include <stddef.h>
#include <stdint.h>
#include <pixman.h>

/*
 * Unchanged rows between two changed ones up to this many (the space between
 * two lines of text) stay in one area: an image compresses them to almost
 * nothing, while another command costs its headers on the wire and work in
 * spice-server.
 */
#define SPB_DIFF_MAX_ROW_GAP 16
/* Columns are compared in tiles this wide to find where changes lie. */
#define SPB_DIFF_TILE 16
/* Unchanged columns between two changed areas up to this many stay in one area. */
#define SPB_DIFF_MAX_COL_GAP 64

/* A 32-bit xRGB image. */
struct spb_image {
	const uint8_t *data;
	size_t stride;
	int width, height;
};

/*
 * old is what the client shows, valid where it is known to be; cur is the new
 * frame, the same size. Removes from damage pixels where both are equal
 * (all 32 bits), keeping unchanged gaps up to the limits above, so that what
 * is left is a few boxes tight around the changes. Damage outside valid, or
 * outside the image, is left as it is.
 */
void spb_diff_trim(const struct spb_image *old, const pixman_region32_t *valid,
		const struct spb_image *cur, pixman_region32_t *damage);

#endif
