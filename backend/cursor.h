/*
 * QXL cursor commands: set a shape, move, hide. The SPICE client draws the
 * pointer itself from these, so pointer motion costs no screen updates.
 */
#ifndef WLR_SPICE_CURSOR_H
#define WLR_SPICE_CURSOR_H

#include <stddef.h>
#include <stdint.h>
#include "draw.h"

/* spice-server refuses larger cursor shapes. */
#define WLR_SPICE_CURSOR_MAX_SIZE 512

struct wlr_spice_cursor_cmd {
	struct wlr_spice_resource resource;
	QXLCursorCmd cmd;
	// For QXL_CURSOR_SET only: the shape; cursor.chunk.data is `pixels`.
	QXLCursor cursor;
	uint8_t pixels[];
};

/*
 * A SET command from a premultiplied ARGB8888 image (the format wlroots
 * renders cursors in), converted to the straight alpha SPICE expects.
 * NULL on bad size or allocation failure.
 */
struct wlr_spice_cursor_cmd *wlr_spice_cursor_set_create(const void *data, size_t stride,
		int width, int height, int hotspot_x, int hotspot_y, int x, int y);
struct wlr_spice_cursor_cmd *wlr_spice_cursor_move_create(int x, int y);
struct wlr_spice_cursor_cmd *wlr_spice_cursor_hide_create(void);
void wlr_spice_cursor_cmd_destroy(struct wlr_spice_cursor_cmd *cmd);
void wlr_spice_cursor_cmd_to_command(struct wlr_spice_cursor_cmd *cmd, QXLCommandExt *ext);

#endif
