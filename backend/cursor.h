/*
 * QXL cursor commands: set a shape, move, hide. The SPICE client draws the
 * pointer itself from these, so pointer motion costs no screen updates.
 */
#ifndef SPB_CURSOR_H
#define SPB_CURSOR_H

#include <stddef.h>
#include <stdint.h>
#include "draw.h"

/* spice-server refuses larger cursor shapes. */
#define SPB_CURSOR_MAX_SIZE 512

struct spb_cursor_cmd {
	struct spb_resource resource;
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
struct spb_cursor_cmd *spb_cursor_set_create(const void *data, size_t stride,
		int width, int height, int hotspot_x, int hotspot_y, int x, int y);
struct spb_cursor_cmd *spb_cursor_move_create(int x, int y);
struct spb_cursor_cmd *spb_cursor_hide_create(void);
void spb_cursor_cmd_destroy(struct spb_cursor_cmd *cmd);
void spb_cursor_cmd_to_command(struct spb_cursor_cmd *cmd, QXLCommandExt *ext);

#endif
