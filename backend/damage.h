/*
 * Turning a damage region into the few rectangles that become QXL draw
 * commands. Pure: no SPICE, no wlroots, so it is unit-tested alone.
 */
#ifndef SPB_DAMAGE_H
#define SPB_DAMAGE_H

#include <stdint.h>
#include <pixman.h>

/* Above this many input rectangles merging falls back to the bounding box. */
#define SPB_DAMAGE_MERGE_LIMIT 256
/*
 * What output.c passes as free_waste: the pixels a merge may add below the
 * box limit. Measured on typing at dfps 10: about 2 % fewer bytes.
 */
#define SPB_DAMAGE_FREE_WASTE 1024

/*
 * Writes at most max_rects (>= 1) boxes to out that together cover region,
 * clipped to width x height. While there are too many, or a merge adds fewer
 * than free_waste uncovered pixels (the extra pixels cost less than another
 * command's headers), the pair whose union adds the fewest is merged. Returns
 * the number written.
 */
int spb_damage_to_rects(const pixman_region32_t *region, int width, int height,
		int max_rects, int64_t free_waste, pixman_box32_t *out);

/* Area of a box; 0 for empty or inverted boxes. */
int64_t spb_box_area(const pixman_box32_t *box);

#endif
