/*
 * Construction and release of QXL_DRAW_COPY, QXL_DRAW_FILL and QXL_COPY_BITS
 * commands. Addresses are plain pointers: the backend's single memslot spans
 * the whole address space with a zero delta, so a pointer is its own QXL
 * physical address.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "draw.h"

static QXLPHYSICAL to_phys(const void *ptr) {
	return (QXLPHYSICAL)(uintptr_t)ptr;
}

/*
 * A draw command of type at dst on surface_id, with pixel_bytes of room for
 * its image after it; the type's own fields are left to the caller.
 */
static struct spb_draw *drawable_create(
		uint8_t type, const pixman_box32_t *dst, uint32_t surface_id, size_t pixel_bytes) {
	if (dst->x2 <= dst->x1 || dst->y2 <= dst->y1) {
		return NULL;
	}
	struct spb_draw *draw = malloc(sizeof(*draw) + pixel_bytes);
	if (draw == NULL) {
		return NULL;
	}
	memset(draw, 0, sizeof(*draw));
	draw->pixel_bytes = pixel_bytes;
	draw->resource.kind = SPB_RESOURCE_DRAW;
	wl_list_init(&draw->resource.link);

	QXLDrawable *drawable = &draw->drawable;
	drawable->release_info.id = (uint64_t)(uintptr_t)&draw->resource;
	drawable->surface_id = surface_id;
	drawable->effect = QXL_EFFECT_OPAQUE;
	drawable->type = type;
	drawable->bbox.left = dst->x1;
	drawable->bbox.top = dst->y1;
	drawable->bbox.right = dst->x2;
	drawable->bbox.bottom = dst->y2;
	drawable->clip.type = SPICE_CLIP_TYPE_NONE;
	for (int i = 0; i < 3; i++) {
		drawable->surfaces_dest[i] = -1;
	}
	return draw;
}

struct spb_draw *spb_draw_copy_create_at(const void *data, size_t stride,
		const pixman_box32_t *box, int dst_x, int dst_y, uint32_t surface_id) {
	int width = box->x2 - box->x1;
	int height = box->y2 - box->y1;
	if (width <= 0 || height <= 0) {
		return NULL;
	}
	size_t row_bytes = (size_t)width * 4;
	pixman_box32_t dst = { dst_x, dst_y, dst_x + width, dst_y + height };
	struct spb_draw *draw =
			drawable_create(QXL_DRAW_COPY, &dst, surface_id, row_bytes * height);
	if (draw == NULL) {
		return NULL;
	}

	const uint8_t *src = (const uint8_t *)data + (size_t)box->y1 * stride + (size_t)box->x1 * 4;
	for (int y = 0; y < height; y++) {
		memcpy(draw->pixels + row_bytes * y, src + stride * y, row_bytes);
	}

	QXLImage *image = &draw->image;
	image->descriptor.type = SPICE_IMAGE_TYPE_BITMAP;
	image->descriptor.width = width;
	image->descriptor.height = height;
	image->bitmap.format = SPICE_BITMAP_FMT_32BIT;
	image->bitmap.flags = QXL_BITMAP_DIRECT | QXL_BITMAP_TOP_DOWN;
	image->bitmap.x = width;
	image->bitmap.y = height;
	image->bitmap.stride = row_bytes;
	image->bitmap.data = to_phys(draw->pixels);

	QXLDrawable *drawable = &draw->drawable;
	drawable->u.copy.src_bitmap = to_phys(image);
	drawable->u.copy.src_area.right = width;
	drawable->u.copy.src_area.bottom = height;
	drawable->u.copy.rop_descriptor = SPICE_ROPD_OP_PUT;
	return draw;
}

bool spb_box_is_solid(
		const void *data, size_t stride, const pixman_box32_t *box, uint32_t *color) {
	if (box->x2 <= box->x1 || box->y2 <= box->y1) {
		return false;
	}
	const uint8_t *base = (const uint8_t *)data;
	uint32_t first = ((const uint32_t *)(const void *)(base + (size_t)box->y1 * stride))[box->x1];
	first &= 0xffffff;
	for (int y = box->y1; y < box->y2; y++) {
		const uint32_t *row = (const uint32_t *)(const void *)(base + (size_t)y * stride);
		for (int x = box->x1; x < box->x2; x++) {
			if ((row[x] & 0xffffff) != first) {
				return false;
			}
		}
	}
	*color = first;
	return true;
}

struct spb_draw *spb_draw_fill_create(
		const pixman_box32_t *dst, uint32_t color, uint32_t surface_id) {
	struct spb_draw *draw = drawable_create(QXL_DRAW_FILL, dst, surface_id, 0);
	if (draw == NULL) {
		return NULL;
	}
	draw->drawable.u.fill.brush.type = SPICE_BRUSH_TYPE_SOLID;
	draw->drawable.u.fill.brush.u.color = color;
	draw->drawable.u.fill.rop_descriptor = SPICE_ROPD_OP_PUT;
	return draw;
}

struct spb_draw *spb_draw_copy_bits_create(
		const pixman_box32_t *dst, int src_x, int src_y, uint32_t surface_id) {
	struct spb_draw *draw = drawable_create(QXL_COPY_BITS, dst, surface_id, 0);
	if (draw == NULL) {
		return NULL;
	}
	draw->drawable.u.copy_bits.src_pos.x = src_x;
	draw->drawable.u.copy_bits.src_pos.y = src_y;
	return draw;
}

void spb_draw_destroy(struct spb_draw *draw) {
	free(draw);
}

/* 64x64 -> 128 bit multiply, folded: the mixing step of wyhash. */
static uint64_t mix(uint64_t a, uint64_t b) {
	unsigned __int128 r = (unsigned __int128)a * b;
	return (uint64_t)r ^ (uint64_t)(r >> 64);
}

static uint64_t read64(const uint8_t *p) {
	uint64_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

/*
 * A 64-bit id for an image of width x height pixels whose rows are packed in
 * data (width * 4 bytes each): equal for equal pixels and size, and for
 * different content different except by chance (a 2^-64 collision shows the
 * cached image instead).
 */
static uint64_t image_id(const void *data, int width, int height) {
	static const uint64_t k0 = 0xa0761d6478bd642full, k1 = 0xe7037ed1a0b428dbull,
			k2 = 0x8ebc6af09c88c6e3ull;
	const uint8_t *p = data;
	size_t len = (size_t)width * height * 4;
	uint64_t h = mix((uint64_t)(uint32_t)width << 32 | (uint32_t)height, k0) ^ len;
	size_t i = 0;
	for (; i + 16 <= len; i += 16) {
		h = mix(read64(p + i) ^ k1, read64(p + i + 8) ^ h);
	}
	// Pixels are 4 bytes: at most three of them are left.
	uint64_t tail[2] = { 0, 0 };
	memcpy(tail, p + i, len - i);
	h = mix(tail[0] ^ k1 ^ (len - i), tail[1] ^ h);
	return mix(h ^ k2, h ^ k0);
}

bool spb_draw_cache_image(struct spb_draw *draw) {
	QXLImage *image = &draw->image;
	if (draw->drawable.type != QXL_DRAW_COPY ||
			(uint64_t)image->descriptor.width * image->descriptor.height >
					SPB_CACHE_MAX_PIXELS) {
		return false;
	}
	image->descriptor.id = image_id(
			draw->pixels, (int)image->descriptor.width, (int)image->descriptor.height);
	image->descriptor.flags |= QXL_IMAGE_CACHE;
	return true;
}

void spb_draw_to_command(struct spb_draw *draw, QXLCommandExt *cmd) {
	memset(cmd, 0, sizeof(*cmd));
	cmd->cmd.type = QXL_CMD_DRAW;
	cmd->cmd.data = to_phys(&draw->drawable);
	cmd->group_id = 0;
	cmd->flags = 0;
}

struct spb_resource *spb_resource_from_release(QXLReleaseInfoExt release) {
	if (release.info == NULL) {
		return NULL;
	}
	return (struct spb_resource *)(uintptr_t)release.info->id;
}
