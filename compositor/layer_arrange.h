/*
 * Where a layer-shell surface goes on its output, from its anchors, size,
 * margins and exclusive zone, and what its exclusive zone takes from the
 * area left to windows: the rules of wlr-layer-shell as sway applies them.
 * Pure: unit tested alone.
 */
#ifndef SWL_LAYER_ARRANGE_H
#define SWL_LAYER_ARRANGE_H

#include <stdbool.h>
#include <stdint.h>

/* zwlr_layer_surface_v1.anchor bits. */
enum swl_layer_anchor {
	SWL_LAYER_ANCHOR_TOP = 1,
	SWL_LAYER_ANCHOR_BOTTOM = 2,
	SWL_LAYER_ANCHOR_LEFT = 4,
	SWL_LAYER_ANCHOR_RIGHT = 8,
};

struct swl_layer_rect {
	int x, y, width, height;
};

/* What the client asked for (its committed state). */
struct swl_layer_request {
	uint32_t anchor;
	int32_t exclusive_zone; // > 0 reserves, 0 avoids others' zones, -1 ignores them
	uint32_t margin_top, margin_right, margin_bottom, margin_left;
	uint32_t width, height; // 0: stretch between the opposite anchors
};

/*
 * Places a surface within *usable (or within *full when its exclusive zone
 * is -1) into *box; then, if it reserves a zone along the one edge it is
 * anchored to, takes that zone from *usable. False (box undefined, usable
 * unchanged) when the request leaves no room: the surface must be closed.
 */
bool swl_layer_arrange(const struct swl_layer_request *request,
		const struct swl_layer_rect *full, struct swl_layer_rect *usable,
		struct swl_layer_rect *box);

/* How deep the outputs' exclusive zones reach in from each edge of the layout. */
struct swl_layer_zones {
	int top, bottom, left, right;
};

/*
 * Adds the zones of one output (its box and what it leaves to windows) on
 * the edges of layout it touches: the deepest one on an edge counts.
 */
void swl_layer_zones_add(struct swl_layer_zones *zones, const struct swl_layer_rect *layout,
		const struct swl_layer_rect *output, const struct swl_layer_rect *usable);
/* Takes the zones from *layout, unless that would leave nothing. */
void swl_layer_zones_trim(const struct swl_layer_zones *zones, struct swl_layer_rect *layout);

#endif
