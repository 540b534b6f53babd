/*
 * QXL draw commands carrying a private copy of screen pixels, and their
 * release. spice-server references the pixels until release_resource, so
 * each command owns its memory in one allocation.
 */
#ifndef SPB_DRAW_H
#define SPB_DRAW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pixman.h>
#include <wayland-util.h>
#include <spice.h>

enum spb_resource_kind {
	SPB_RESOURCE_DRAW = 1,
	SPB_RESOURCE_CURSOR,
};

/*
 * First member of every command handed to spice-server: release_info.id
 * points at it, and release_resource tells the kinds apart by it.
 */
struct spb_resource {
	uint32_t kind; // enum spb_resource_kind
	struct wl_list link; // spb_qxl.outstanding, under the qxl lock
};

struct spb_draw {
	struct spb_resource resource;
	QXLDrawable drawable;
	QXLImage image;
	size_t pixel_bytes;
	uint8_t pixels[];
};

/*
 * Copies box out of a 32-bit xRGB image (data, stride) into a new
 * QXL_DRAW_COPY targeting surface_id, drawn at (dst_x, dst_y) on it (heads
 * beside the first are offset). The box must lie inside the image. Returns
 * NULL on allocation failure.
 */
struct spb_draw *spb_draw_copy_create_at(const void *data, size_t stride,
		const pixman_box32_t *box, int dst_x, int dst_y, uint32_t surface_id);
/*
 * True if every pixel of box in the 32-bit xRGB image (data, stride) has the
 * same colour, stored in *color (xRGB, alpha dropped).
 */
bool spb_box_is_solid(
		const void *data, size_t stride, const pixman_box32_t *box, uint32_t *color);
/* A QXL_DRAW_FILL of dst with a solid xRGB colour: no pixels, a few bytes. */
struct spb_draw *spb_draw_fill_create(
		const pixman_box32_t *dst, uint32_t color, uint32_t surface_id);
/*
 * A QXL_COPY_BITS: the client copies the surface's pixels at (src_x, src_y)
 * to dst, on surface_id. Carries no pixels.
 */
struct spb_draw *spb_draw_copy_bits_create(
		const pixman_box32_t *dst, int src_x, int src_y, uint32_t surface_id);
void spb_draw_destroy(struct spb_draw *draw);

/*
 * Images of at most this many pixels go into the client's image cache: glyph
 * cells, a cursor, icons and the frames of small looping animations repeat
 * (weston-presentation-shm's 250x250 frames all come from the cache after
 * their first round); whole-screen frames rarely do, and every cached pixel
 * costs the client memory (spice-server bounds the cache by the client's
 * announced size).
 */
#define SPB_CACHE_MAX_PIXELS (256 * 256)

/*
 * Marks a QXL_DRAW_COPY's image cacheable under its content id, when it is
 * small enough: spice-server then sends the same image again as a reference
 * to the client's copy (18 bytes) instead of the pixels. True if marked.
 */
bool spb_draw_cache_image(struct spb_draw *draw);

void spb_draw_to_command(struct spb_draw *draw, QXLCommandExt *cmd);
/* The resource a release_resource callback refers to, NULL if none. */
struct spb_resource *spb_resource_from_release(QXLReleaseInfoExt release);

#endif
