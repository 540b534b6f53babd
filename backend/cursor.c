/*
 * Construction of QXL cursor commands. Like draws, each command owns its
 * memory until spice-server releases it.
 */
#include <stdlib.h>
#include <string.h>
#include "cursor.h"

static struct spb_cursor_cmd *cursor_cmd_alloc(uint8_t type, size_t pixel_bytes) {
	struct spb_cursor_cmd *cmd = calloc(1, sizeof(*cmd) + pixel_bytes);
	if (cmd == NULL) {
		return NULL;
	}
	cmd->resource.kind = SPB_RESOURCE_CURSOR;
	wl_list_init(&cmd->resource.link);
	cmd->cmd.release_info.id = (uint64_t)(uintptr_t)&cmd->resource;
	cmd->cmd.type = type;
	return cmd;
}

static int16_t clamp_coord(int v) {
	if (v < 0) {
		return 0;
	}
	return v > INT16_MAX ? INT16_MAX : (int16_t)v;
}

static uint8_t unpremultiply(uint8_t c, uint8_t a) {
	if (a == 0) {
		return 0;
	}
	unsigned v = ((unsigned)c * 255 + a / 2) / a;
	return v > 255 ? 255 : (uint8_t)v;
}

struct spb_cursor_cmd *spb_cursor_set_create(const void *data, size_t stride,
		int width, int height, int hotspot_x, int hotspot_y, int x, int y) {
	if (width <= 0 || height <= 0 || width > SPB_CURSOR_MAX_SIZE ||
			height > SPB_CURSOR_MAX_SIZE) {
		return NULL;
	}
	size_t bytes = (size_t)width * height * 4;
	struct spb_cursor_cmd *cmd = cursor_cmd_alloc(QXL_CURSOR_SET, bytes);
	if (cmd == NULL) {
		return NULL;
	}

	for (int row = 0; row < height; row++) {
		const uint32_t *src = (const uint32_t *)((const uint8_t *)data + stride * row);
		uint32_t *dst = (uint32_t *)(cmd->pixels + (size_t)width * 4 * row);
		for (int col = 0; col < width; col++) {
			uint32_t p = src[col];
			uint8_t a = p >> 24;
			uint8_t r = unpremultiply((p >> 16) & 0xff, a);
			uint8_t g = unpremultiply((p >> 8) & 0xff, a);
			uint8_t b = unpremultiply(p & 0xff, a);
			dst[col] = (uint32_t)a << 24 | (uint32_t)r << 16 | (uint32_t)g << 8 | b;
		}
	}

	QXLCursor *cursor = &cmd->cursor;
	cursor->header.unique = 0;
	cursor->header.type = SPICE_CURSOR_TYPE_ALPHA;
	cursor->header.width = width;
	cursor->header.height = height;
	cursor->header.hot_spot_x = clamp_coord(hotspot_x < width ? hotspot_x : width - 1);
	cursor->header.hot_spot_y = clamp_coord(hotspot_y < height ? hotspot_y : height - 1);
	cursor->data_size = bytes;
	cursor->chunk.data_size = bytes;
	cursor->chunk.prev_chunk = 0;
	cursor->chunk.next_chunk = 0;

	cmd->cmd.u.set.position.x = clamp_coord(x);
	cmd->cmd.u.set.position.y = clamp_coord(y);
	cmd->cmd.u.set.visible = 1;
	cmd->cmd.u.set.shape = (QXLPHYSICAL)(uintptr_t)cursor;
	return cmd;
}

struct spb_cursor_cmd *spb_cursor_move_create(int x, int y) {
	struct spb_cursor_cmd *cmd = cursor_cmd_alloc(QXL_CURSOR_MOVE, 0);
	if (cmd == NULL) {
		return NULL;
	}
	cmd->cmd.u.position.x = clamp_coord(x);
	cmd->cmd.u.position.y = clamp_coord(y);
	return cmd;
}

struct spb_cursor_cmd *spb_cursor_hide_create(void) {
	return cursor_cmd_alloc(QXL_CURSOR_HIDE, 0);
}

void spb_cursor_cmd_destroy(struct spb_cursor_cmd *cmd) {
	free(cmd);
}

void spb_cursor_cmd_to_command(struct spb_cursor_cmd *cmd, QXLCommandExt *ext) {
	memset(ext, 0, sizeof(*ext));
	ext->cmd.type = QXL_CMD_CURSOR;
	ext->cmd.data = (QXLPHYSICAL)(uintptr_t)&cmd->cmd;
	ext->group_id = 0;
}
