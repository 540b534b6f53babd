/*
 * Layer-shell placement (see layer_arrange.h). Centred along an axis that is
 * anchored on both sides or on neither; a zero size stretches between both
 * anchors less the margins; a margin applies only on an anchored side.
 */
#include "layer_arrange.h"

static void place_axis(uint32_t anchor, uint32_t low_bit, uint32_t high_bit, int bound_pos,
		int bound_size, uint32_t margin_low, uint32_t margin_high, uint32_t size, int *pos,
		int *out_size) {
	bool low = anchor & low_bit;
	bool high = anchor & high_bit;
	if (size == 0) {
		*pos = bound_pos + (int)margin_low;
		*out_size = bound_size - (int)(margin_low + margin_high);
		return;
	}
	*out_size = (int)size;
	if (low && !high) {
		*pos = bound_pos + (int)margin_low;
	} else if (high && !low) {
		*pos = bound_pos + bound_size - (int)size - (int)margin_high;
	} else {
		*pos = bound_pos + bound_size / 2 - (int)size / 2;
	}
}

static void apply_exclusive(const struct swl_layer_request *r, struct swl_layer_rect *usable) {
	if (r->exclusive_zone <= 0) {
		return;
	}
	const uint32_t horizontal = SWL_LAYER_ANCHOR_LEFT | SWL_LAYER_ANCHOR_RIGHT;
	const uint32_t vertical = SWL_LAYER_ANCHOR_TOP | SWL_LAYER_ANCHOR_BOTTOM;
	uint32_t a = r->anchor;
	int zone = r->exclusive_zone;
	// The zone counts from the edge the surface is anchored to: one edge,
	// or one edge and both of the perpendicular ones (a bar across).
	if (a == SWL_LAYER_ANCHOR_TOP || a == (SWL_LAYER_ANCHOR_TOP | horizontal)) {
		zone += (int)r->margin_top;
		usable->y += zone;
		usable->height -= zone;
	} else if (a == SWL_LAYER_ANCHOR_BOTTOM || a == (SWL_LAYER_ANCHOR_BOTTOM | horizontal)) {
		zone += (int)r->margin_bottom;
		usable->height -= zone;
	} else if (a == SWL_LAYER_ANCHOR_LEFT || a == (SWL_LAYER_ANCHOR_LEFT | vertical)) {
		zone += (int)r->margin_left;
		usable->x += zone;
		usable->width -= zone;
	} else if (a == SWL_LAYER_ANCHOR_RIGHT || a == (SWL_LAYER_ANCHOR_RIGHT | vertical)) {
		zone += (int)r->margin_right;
		usable->width -= zone;
	}
	if (usable->width < 0) {
		usable->width = 0;
	}
	if (usable->height < 0) {
		usable->height = 0;
	}
}

bool swl_layer_arrange(const struct swl_layer_request *request,
		const struct swl_layer_rect *full, struct swl_layer_rect *usable,
		struct swl_layer_rect *box) {
	const struct swl_layer_rect *bounds = request->exclusive_zone == -1 ? full : usable;
	place_axis(request->anchor, SWL_LAYER_ANCHOR_LEFT, SWL_LAYER_ANCHOR_RIGHT, bounds->x,
			bounds->width, request->margin_left, request->margin_right, request->width,
			&box->x, &box->width);
	place_axis(request->anchor, SWL_LAYER_ANCHOR_TOP, SWL_LAYER_ANCHOR_BOTTOM, bounds->y,
			bounds->height, request->margin_top, request->margin_bottom, request->height,
			&box->y, &box->height);
	if (box->width <= 0 || box->height <= 0) {
		return false;
	}
	apply_exclusive(request, usable);
	return true;
}

static void deepest(int *zone, bool on_edge, int depth) {
	if (on_edge && depth > *zone) {
		*zone = depth;
	}
}

void swl_layer_zones_add(struct swl_layer_zones *zones, const struct swl_layer_rect *layout,
		const struct swl_layer_rect *output, const struct swl_layer_rect *usable) {
	if (usable->width <= 0 || usable->height <= 0) {
		return;
	}
	deepest(&zones->top, output->y == layout->y, usable->y - output->y);
	deepest(&zones->bottom, output->y + output->height == layout->y + layout->height,
			output->y + output->height - (usable->y + usable->height));
	deepest(&zones->left, output->x == layout->x, usable->x - output->x);
	deepest(&zones->right, output->x + output->width == layout->x + layout->width,
			output->x + output->width - (usable->x + usable->width));
}

void swl_layer_zones_trim(const struct swl_layer_zones *zones, struct swl_layer_rect *layout) {
	if (zones->top + zones->bottom >= layout->height ||
			zones->left + zones->right >= layout->width) {
		return;
	}
	layout->x += zones->left;
	layout->y += zones->top;
	layout->width -= zones->left + zones->right;
	layout->height -= zones->top + zones->bottom;
}
