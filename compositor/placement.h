/*
 * Pure window placement arithmetic for desktop mode: fitting a window on the
 * screen, centring a dialog on its parent, interactive move and resize.
 * No wlroots: rectangles are plain integers, edges are wlr_edges bits.
 */
#ifndef SWL_PLACEMENT_H
#define SWL_PLACEMENT_H

#include <stdint.h>

struct swl_rect {
	int x, y, width, height;
};

/* wlr_edges / xdg_toplevel resize_edge bits. */
enum swl_edges {
	SWL_EDGE_TOP = 1,
	SWL_EDGE_BOTTOM = 2,
	SWL_EDGE_LEFT = 4,
	SWL_EDGE_RIGHT = 8,
};

/* How much of a dragged window stays on the screen, at least (pixels). */
#define SWL_PLACE_VISIBLE 64

/* Shrinks width and height so a window with top pixels of title above it fits area. */
void swl_place_fit_size(const struct swl_rect *area, int top, int *width, int *height);
/*
 * Moves win (its content box; top pixels of title bar above it) into area:
 * all of it when it fits, else its top-left corner, so the title bar stays.
 */
void swl_place_clamp(const struct swl_rect *area, int top, struct swl_rect *win);
/* Centres win on parent, then clamps it into area. */
void swl_place_centre(const struct swl_rect *area, int top, const struct swl_rect *parent,
		struct swl_rect *win);
/* Where a dragged window may go: its title bar stays reachable in area. */
void swl_place_drag(const struct swl_rect *area, int top, struct swl_rect *win);
/*
 * The box of a window resized from start by dragging its edges by (dx, dy):
 * the opposite edges stay, the size is at least min_width x min_height.
 */
void swl_place_resize(const struct swl_rect *start, uint32_t edges, int dx, int dy,
		int min_width, int min_height, struct swl_rect *out);

/* Server-side window frame: a title bar above the content, thin borders. */
#define SWL_FRAME_TITLE_HEIGHT 26
#define SWL_FRAME_BORDER 4
/* How far from a corner a border drag resizes both edges. */
#define SWL_FRAME_CORNER 20

enum swl_frame_part {
	SWL_FRAME_NONE,
	SWL_FRAME_TITLE, // drag moves the window
	SWL_FRAME_CLOSE,
	SWL_FRAME_MAXIMIZE,
	SWL_FRAME_MINIMIZE,
	SWL_FRAME_EDGE, // drag resizes: *edges says which
};

/*
 * What part of the frame around a width x height window is at (x, y),
 * relative to the content's top-left corner. The title bar (title high,
 * buttons square at its right: minimize, maximize, close) spans the borders.
 */
enum swl_frame_part swl_frame_hit(int width, int height, int title, int border, int x, int y,
		uint32_t *edges);
/* Where the frame's button part starts inside the title bar (x from its left). */
int swl_frame_button_x(int width, int title, int border, enum swl_frame_part part);

#endif
