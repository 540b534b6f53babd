/*
 * What heads a client's monitors config becomes: each monitor clamped to the
 * size bounds, at most max_heads of them, and the whole layout (heads side
 * by side: widths summed times the tallest) kept within max_area pixels, so
 * a client cannot make spice-wl allocate gigabytes of surfaces. Pure: unit
 * tested alone.
 */
#ifndef SPB_HEADS_H
#define SPB_HEADS_H

#include <stdbool.h>
#include <stdint.h>
#include "agent_proto.h"

/* What a head should be: its size (heads sit side by side). */
struct spb_head {
	int width, height;
	int width_mm, height_mm; // the client monitor's physical size; 0 when not known
};

struct spb_head_limits {
	int min_width, min_height, max_width, max_height;
	int max_heads;
	int64_t max_area; // >= min_width * min_height
};

/* The area of heads side by side. */
int64_t spb_heads_area(const struct spb_head *heads, int n);

/*
 * Fills heads (room for limits->max_heads) from count monitors, in order,
 * leaving out disabled (zero-sized) ones. A layout larger than max_area is
 * scaled down, every head by the same factor (so it keeps its shape, as
 * when a client is given less than --max-size), never below the minimum
 * size; heads that still do not fit are left out, last first. *scaled (may
 * be NULL) tells whether the area bound changed anything. Returns the
 * number of heads.
 */
int spb_heads_from_monitors(const struct spb_agent_monitor *monitors, uint32_t count,
		const struct spb_head_limits *limits, struct spb_head *heads, bool *scaled);

#endif
