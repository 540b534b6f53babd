/*
 * Pure window placement arithmetic (see placement.h).
 */
#include "placement.h"

static int clamp_int(int v, int lo, int hi) {
	if (v > hi) {
		v = hi;
	}
	return v < lo ? lo : v;
}

void swl_place_fit_size(const struct swl_rect *area, int top, int *width, int *height) {
	if (*width > area->width) {
		*width = area->width;
	}
	if (*height > area->height - top) {
		*height = area->height - top;
	}
	if (*height < 1) {
		*height = 1;
	}
	if (*width < 1) {
		*width = 1;
	}
}

void swl_place_clamp(const struct swl_rect *area, int top, struct swl_rect *win) {
	// Right/bottom first and left/top last: a window too big for the area
	// keeps its top-left corner (title bar, close button) on it.
	win->x = clamp_int(win->x, area->x, area->x + area->width - win->width);
	if (win->x < area->x) {
		win->x = area->x;
	}
	int outer_y = win->y - top;
	outer_y = clamp_int(outer_y, area->y, area->y + area->height - (win->height + top));
	if (outer_y < area->y) {
		outer_y = area->y;
	}
	win->y = outer_y + top;
}

void swl_place_centre(const struct swl_rect *area, int top, const struct swl_rect *parent,
		struct swl_rect *win) {
	win->x = parent->x + (parent->width - win->width) / 2;
	win->y = parent->y + (parent->height - win->height) / 2;
	swl_place_clamp(area, top, win);
}

void swl_place_drag(const struct swl_rect *area, int top, struct swl_rect *win) {
	int visible = SWL_PLACE_VISIBLE;
	if (visible > win->width) {
		visible = win->width;
	}
	win->x = clamp_int(win->x, area->x - win->width + visible,
			area->x + area->width - visible);
	// The title bar (or the window's top rows) never leaves the area.
	int outer_y = clamp_int(win->y - top, area->y,
			area->y + area->height - (top > 0 ? top : visible));
	win->y = outer_y + top;
}

void swl_place_resize(const struct swl_rect *start, uint32_t edges, int dx, int dy,
		int min_width, int min_height, struct swl_rect *out) {
	*out = *start;
	if (edges & SWL_EDGE_LEFT) {
		out->width = start->width - dx;
	} else if (edges & SWL_EDGE_RIGHT) {
		out->width = start->width + dx;
	}
	if (edges & SWL_EDGE_TOP) {
		out->height = start->height - dy;
	} else if (edges & SWL_EDGE_BOTTOM) {
		out->height = start->height + dy;
	}
	if (out->width < min_width) {
		out->width = min_width;
	}
	if (out->height < min_height) {
		out->height = min_height;
	}
	// The opposite edge stays where it was.
	if (edges & SWL_EDGE_LEFT) {
		out->x = start->x + start->width - out->width;
	}
	if (edges & SWL_EDGE_TOP) {
		out->y = start->y + start->height - out->height;
	}
}

int swl_frame_button_x(int width, int title, int border, enum swl_frame_part part) {
	int right = width + 2 * border;
	switch (part) {
	case SWL_FRAME_CLOSE:
		return right - title;
	case SWL_FRAME_MAXIMIZE:
		return right - 2 * title;
	case SWL_FRAME_MINIMIZE:
		return right - 3 * title;
	default:
		return -1;
	}
}

/* The edges a press on a border or the title bar's top rows drags; 0 elsewhere. */
static uint32_t frame_edges(int width, int height, int title, int border, int x, int y) {
	uint32_t edges = 0;
	if (x < 0) {
		edges |= SWL_EDGE_LEFT;
	} else if (x >= width) {
		edges |= SWL_EDGE_RIGHT;
	}
	if (y >= height) {
		edges |= SWL_EDGE_BOTTOM;
	} else if (y < -title + border) {
		edges |= SWL_EDGE_TOP;
	}
	// Near a corner, both edges.
	if (edges & (SWL_EDGE_LEFT | SWL_EDGE_RIGHT)) {
		if (y >= height - SWL_FRAME_CORNER) {
			edges |= SWL_EDGE_BOTTOM;
		} else if (y < -title + SWL_FRAME_CORNER) {
			edges |= SWL_EDGE_TOP;
		}
	}
	if (edges & (SWL_EDGE_TOP | SWL_EDGE_BOTTOM)) {
		if (x < SWL_FRAME_CORNER) {
			edges |= SWL_EDGE_LEFT;
		} else if (x >= width - SWL_FRAME_CORNER) {
			edges |= SWL_EDGE_RIGHT;
		}
	}
	return edges;
}

enum swl_frame_part swl_frame_hit(int width, int height, int title, int border, int x, int y,
		uint32_t *edges) {
	*edges = 0;
	if (x < -border || x >= width + border || y < -title || y >= height + border) {
		return SWL_FRAME_NONE;
	}
	if (x >= 0 && x < width && y >= 0 && y < height) {
		return SWL_FRAME_NONE; // the window itself
	}
	// The borders resize, along the title bar too, and so do its top rows.
	*edges = frame_edges(width, height, title, border, x, y);
	if (*edges != 0) {
		return SWL_FRAME_EDGE;
	}
	// Buttons from the right; a window too narrow for them keeps the close one.
	int bx = x + border;
	static const enum swl_frame_part buttons[] = {
		SWL_FRAME_CLOSE, SWL_FRAME_MAXIMIZE, SWL_FRAME_MINIMIZE,
	};
	for (int i = 0; i < 3; i++) {
		int left = swl_frame_button_x(width, title, border, buttons[i]);
		if (left >= 0 && bx >= left && bx < left + title) {
			return buttons[i];
		}
	}
	return SWL_FRAME_TITLE;
}
