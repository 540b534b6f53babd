/*
 * QXL draw commands carrying a private copy of screen pixels, and their
 * release. spice-server references the pixels until release_resource, so
 * each command owns its memory in one allocation.
 */
#ifndef WLR_SPICE_DRAW_H
#define WLR_SPICE_DRAW_H

#include <stddef.h>
#include <stdint.h>
#include <pixman.h>
#include <wayland-util.h>
#include <spice.h>

struct wlr_spice_draw {
	// release_info.id points back at this struct
	QXLDrawable drawable;
	QXLImage image;
	struct wl_list link; // wlr_spice_qxl.outstanding, under the qxl lock
	size_t pixel_bytes;
	uint8_t pixels[];
};

/*
 * Copies box out of a 32-bit xRGB image (data, stride) into a new
 * QXL_DRAW_COPY targeting surface_id at the same position. The box must lie
 * inside the image. Returns NULL on allocation failure.
 */
struct wlr_spice_draw *wlr_spice_draw_copy_create(const void *data, size_t stride,
	const pixman_box32_t *box, uint32_t surface_id);
void wlr_spice_draw_destroy(struct wlr_spice_draw *draw);

void wlr_spice_draw_to_command(struct wlr_spice_draw *draw, QXLCommandExt *cmd);
/* The draw a release_resource callback refers to. */
struct wlr_spice_draw *wlr_spice_draw_from_release(QXLReleaseInfoExt release);

#endif
