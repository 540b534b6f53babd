/*
 * The client's monitors config turned into heads within the size, count and
 * area bounds (see heads.h).
 */
#include <math.h>
#include "heads.h"

#define MAX_SIDE 16384 // before clamping: keeps the arithmetic in range

static int clamp(int64_t v, int min, int max) {
	if (v < min) {
		return min;
	}
	return v > max ? max : (int)v;
}

int64_t spb_heads_area(const struct spb_head *heads, int n) {
	int64_t width = 0, height = 0;
	for (int i = 0; i < n; i++) {
		width += heads[i].width;
		height = heads[i].height > height ? heads[i].height : height;
	}
	return width * height;
}

int spb_heads_from_monitors(const struct spb_agent_monitor *monitors, uint32_t count,
		const struct spb_head_limits *limits, struct spb_head *heads, bool *scaled) {
	int n = 0;
	for (uint32_t i = 0; i < count && n < limits->max_heads; i++) {
		if (monitors[i].width == 0 || monitors[i].height == 0) {
			continue;
		}
		int64_t width = monitors[i].width > MAX_SIDE ? MAX_SIDE : monitors[i].width;
		int64_t height = monitors[i].height > MAX_SIDE ? MAX_SIDE : monitors[i].height;
		heads[n].width = clamp(width, limits->min_width, limits->max_width);
		heads[n].height = clamp(height, limits->min_height, limits->max_height);
		// Millimetres stay those of the client's monitor, however the
		// pixels are bounded: that is where the session is seen.
		heads[n].width_mm = clamp(monitors[i].width_mm, 0, UINT16_MAX);
		heads[n].height_mm = clamp(monitors[i].height_mm, 0, UINT16_MAX);
		n++;
	}
	if (scaled != NULL) {
		*scaled = false;
	}
	int64_t area = spb_heads_area(heads, n);
	if (area <= limits->max_area) {
		return n;
	}
	if (scaled != NULL) {
		*scaled = true;
	}
	// Widths and heights shrink by the same factor, so the area by its square.
	// (A hair less, so that no rounding of the factor ends above the bound.)
	double factor = sqrt((double)limits->max_area / (double)area) * 0.9999;
	for (int i = 0; i < n; i++) {
		heads[i].width = clamp((int64_t)floor(heads[i].width * factor), limits->min_width,
				limits->max_width);
		heads[i].height = clamp((int64_t)floor(heads[i].height * factor), limits->min_height,
				limits->max_height);
	}
	// Rounding is down, but the minimum size may push it back over.
	while (n > 1 && spb_heads_area(heads, n) > limits->max_area) {
		n--;
	}
	if (n == 1 && spb_heads_area(heads, 1) > limits->max_area) {
		// One head at a minimum side: the other side gives.
		if (heads[0].width == limits->min_width) {
			heads[0].height = clamp(limits->max_area / heads[0].width, limits->min_height,
					limits->max_height);
		} else {
			heads[0].width = clamp(limits->max_area / heads[0].height, limits->min_width,
					limits->max_width);
		}
	}
	return n;
}
