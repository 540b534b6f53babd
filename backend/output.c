/*
 * The SPICE output: a wlr_output whose committed buffers become QXL draw
 * commands. Commit damage accumulates in the frame policy's pending region;
 * a flush copies the pending pixels out of the latest committed buffer.
 * Frame events are sent only after a commit, so an idle session runs no
 * timer at all.
 */
#include <drm_fourcc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <wlr/interfaces/wlr_output.h>
#include <wlr/types/wlr_buffer.h>
#include <wlr/util/box.h>
#include <wlr/util/log.h>
#include "backend.h"
#include "clock.h"
#include "cursor.h"
#include "damage.h"
#include "draw.h"

#define PER_OP_REFRESH_HZ 60

static struct spb_output *spice_output_from_output(struct wlr_output *wlr_output) {
	struct spb_output *output = wl_container_of(wlr_output, output, wlr_output);
	return output;
}

static bool buffer_is_readable(struct wlr_buffer *buffer) {
	void *data;
	uint32_t format;
	size_t stride;
	if (!wlr_buffer_begin_data_ptr_access(
				buffer, WLR_BUFFER_DATA_PTR_ACCESS_READ, &data, &format, &stride)) {
		return false;
	}
	wlr_buffer_end_data_ptr_access(buffer);
	return format == DRM_FORMAT_XRGB8888 || format == DRM_FORMAT_ARGB8888;
}

static bool output_test(struct wlr_output *wlr_output) {
	const struct wlr_output_state *pending = &wlr_output->pending;
	if (pending->committed & WLR_OUTPUT_STATE_MODE) {
		if (pending->mode_type != WLR_OUTPUT_STATE_MODE_CUSTOM) {
			return false;
		}
		if (pending->custom_mode.width <= 0 || pending->custom_mode.height <= 0) {
			return false;
		}
	}
	// Scene may offer a client buffer for direct scan-out: only buffers we
	// can read with the CPU can become SPICE images.
	if ((pending->committed & WLR_OUTPUT_STATE_BUFFER) && !buffer_is_readable(pending->buffer)) {
		return false;
	}
	return true;
}

/* Remembers that the client now has cur's pixels in box. */
static void shadow_update(struct spb_output *output, const struct spb_image *cur,
		const pixman_box32_t *box) {
	if (output->shadow == NULL) {
		return;
	}
	size_t stride = (size_t)output->shadow_width * 4;
	size_t row = (size_t)(box->x2 - box->x1) * 4;
	for (int y = box->y1; y < box->y2; y++) {
		memcpy(output->shadow + stride * y + (size_t)box->x1 * 4,
				cur->data + cur->stride * y + (size_t)box->x1 * 4, row);
	}
	pixman_region32_union_rect(&output->shadow_valid, &output->shadow_valid, box->x1, box->y1,
			box->x2 - box->x1, box->y2 - box->y1);
}

/*
 * Keeps the shadow the size of what this head sends; false without one. It
 * exists with copies off too: trimming damage to what changed saves more
 * bytes than copies on most apps, for 4 bytes a pixel.
 */
static bool shadow_ensure(struct spb_output *output, int width, int height) {
	if (output->shadow != NULL && output->shadow_width == width &&
			output->shadow_height == height) {
		return true;
	}
	free(output->shadow);
	pixman_region32_clear(&output->shadow_valid);
	// Zeroed: the scroll search hashes rows it may not end up trusting.
	output->shadow = calloc((size_t)width * height, 4);
	output->shadow_width = width;
	output->shadow_height = height;
	return output->shadow != NULL;
}

static void keep_pending(struct spb_output *output, const pixman_box32_t *box) {
	pixman_region32_union_rect(&output->policy.pending, &output->policy.pending, box->x1,
			box->y1, box->x2 - box->x1, box->y2 - box->y1);
}

/* Queues copies on the client for content it already has. */
static void push_copies(struct spb_output *output, const struct spb_image *cur,
		const struct spb_copy *copies, int n) {
	struct spb_backend *backend = output->backend;
	for (int i = 0; i < n; i++) {
		const struct spb_copy *c = &copies[i];
		pixman_box32_t dst = c->dst;
		dst.x1 += output->x;
		dst.x2 += output->x;
		struct spb_draw *draw = spb_draw_copy_bits_create(
				&dst, dst.x1 - c->dx, dst.y1 - c->dy, 0);
		if (draw == NULL || !spb_qxl_push_draw(&backend->qxl, draw)) {
			spb_draw_destroy(draw);
			keep_pending(output, &c->dst);
			continue;
		}
		shadow_update(output, cur, &c->dst);
		backend->stats.copies++;
		backend->stats.pixels_copied += (uint64_t)spb_box_area(&c->dst);
	}
}

/* What the slowest client's link allows; nothing is held while no link is known slow. */
static void pace_update(struct spb_backend *backend, int64_t now) {
	const struct spb_link *link = spb_listener_link(&backend->listener);
	if (link == NULL || backend->options.no_link_pacing) {
		spb_link_pace_update(&backend->link_pace, now, 0, 0, 0);
		return;
	}
	spb_link_pace_update(&backend->link_pace, now, link->rate, link->written,
			spb_link_queued(link));
	if (spb_qxl_queued(&backend->qxl) == 0) {
		spb_link_pace_taken(&backend->link_pace);
	}
}

/* Queues one box of the committed buffer: a fill when it is one colour, else an image. */
static void push_box(struct spb_output *output, const struct spb_image *cur,
		const pixman_box32_t *box, bool cache) {
	struct spb_backend *backend = output->backend;
	pixman_box32_t dst = *box;
	dst.x1 += output->x;
	dst.x2 += output->x;
	uint32_t color;
	// Solid areas (a background a window uncovered) cost a few bytes as a fill.
	bool solid = spb_box_is_solid(cur->data, cur->stride, box, &color);
	struct spb_draw *draw = solid ?
			spb_draw_fill_create(&dst, color, 0) :
			spb_draw_copy_create_at(cur->data, cur->stride, box, dst.x1, dst.y1, 0);
	if (draw != NULL && !solid && cache && spb_draw_cache_image(draw)) {
		backend->stats.cacheable++;
	}
	if (draw == NULL || !spb_qxl_push_draw(&backend->qxl, draw)) {
		// Keep what could not be sent for the next flush.
		spb_draw_destroy(draw);
		keep_pending(output, box);
		return;
	}
	shadow_update(output, cur, box);
	if (solid) {
		backend->stats.fills++;
		return;
	}
	int64_t area = spb_box_area(box);
	spb_link_pace_pushed(&backend->link_pace, area);
	backend->stats.draw_commands++;
	backend->stats.pixels_sent += (uint64_t)area;
}

/*
 * Large changed regions on a slow link: a band of rows as big as the pacer
 * allows now, the rest kept for later flushes. The next band starts where
 * this one ended, so every part of a region that keeps changing (a video)
 * gets its turn, and the newest content is what is sent.
 */
static void push_large(struct spb_output *output, const struct spb_image *cur,
		pixman_region32_t *large) {
	int64_t budget = spb_link_pace_large_px(&output->backend->link_pace);
	pixman_region32_t band;
	pixman_region32_init(&band);
	if (budget == INT64_MAX) {
		pixman_region32_copy(&band, large);
	} else if (budget > 0) {
		const pixman_box32_t *ext = pixman_region32_extents(large);
		int w = ext->x2 - ext->x1;
		int64_t rows = budget / w;
		rows = rows < SPB_PACE_MIN_ROWS ? SPB_PACE_MIN_ROWS : rows;
		rows = rows > ext->y2 - ext->y1 ? ext->y2 - ext->y1 : rows;
		if (output->pace_row < ext->y1 || output->pace_row >= ext->y2) {
			output->pace_row = ext->y1;
		}
		pixman_region32_intersect_rect(&band, large, ext->x1, output->pace_row, w, (int)rows);
		output->pace_row += (int)rows;
	}
	if (!pixman_region32_equal(&band, large)) {
		output->backend->stats.held++;
	}
	int nrects;
	const pixman_box32_t *rects = pixman_region32_rectangles(&band, &nrects);
	for (int i = 0; i < nrects; i++) {
		// A band of a changing region never comes back: caching it would
		// only evict what does from the client's cache.
		push_box(output, cur, &rects[i], false);
	}
	pixman_region32_subtract(large, large, &band);
	rects = pixman_region32_rectangles(large, &nrects);
	for (int i = 0; i < nrects; i++) {
		keep_pending(output, &rects[i]);
	}
	pixman_region32_fini(&band);
}

/*
 * Copies (QXL_COPY_BITS) for content the client already shows elsewhere;
 * what they cover leaves region.
 */
static void find_copies(struct spb_output *output, const struct spb_image *cur,
		pixman_region32_t *region) {
	struct spb_image old = {
		.data = output->shadow,
		.stride = (size_t)cur->width * 4,
		.width = cur->width,
		.height = cur->height,
	};
	struct spb_copy copies[SPB_MAX_COPIES];
	int max_copies = output->backend->options.no_copy_bits ? 0 : SPB_MAX_COPIES;
	int n = spb_motion_find(&old, &output->shadow_valid, cur, region, output->hints,
			output->n_hints, copies, max_copies);
	push_copies(output, cur, copies, n);
}

/*
 * The rest of the damage as images and fills: small boxes at once (unless a
 * slow link already has too much waiting), large ones as the link allows.
 */
static void push_changes(struct spb_output *output, const struct spb_image *cur,
		const pixman_region32_t *region) {
	bool paced = output->policy.mode != WLR_SPICE_FRAME_MODE_PER_OP;
	int max_rects = paced ? SPB_MAX_RECTS_DFPS : SPB_MAX_RECTS_PER_OP;
	pixman_box32_t boxes[SPB_MAX_RECTS_PER_OP];
	int n = spb_damage_to_rects(region, cur->width, cur->height, max_rects,
			SPB_DAMAGE_FREE_WASTE, boxes);
	struct spb_link_pace *pacer = &output->backend->link_pace;
	bool small_ok = spb_link_pace_small_ok(pacer);
	pixman_region32_t large;
	pixman_region32_init(&large);
	for (int i = 0; i < n; i++) {
		int64_t area = spb_box_area(&boxes[i]);
		if (spb_link_pace_active(pacer) && area > SPB_LINK_PACE_SMALL_PX) {
			pixman_region32_union_rect(&large, &large, boxes[i].x1, boxes[i].y1,
					boxes[i].x2 - boxes[i].x1, boxes[i].y2 - boxes[i].y1);
		} else if (!small_ok) {
			keep_pending(output, &boxes[i]);
		} else {
			push_box(output, cur, &boxes[i], true);
		}
	}
	if (pixman_region32_not_empty(&large)) {
		push_large(output, cur, &large);
	}
	pixman_region32_fini(&large);
}

static void flush(struct spb_output *output) {
	struct spb_backend *backend = output->backend;
	struct spb_qxl *qxl = &backend->qxl;
	if (output->front == NULL || !qxl->primary_active) {
		return;
	}

	pixman_region32_t region;
	pixman_region32_init(&region);
	int64_t now = swl_clock_now(SWL_CLOCK_MS);
	spb_frame_policy_take(&output->policy, now, &region);
	pace_update(backend, now);

	void *data;
	uint32_t format;
	size_t stride;
	if (!wlr_buffer_begin_data_ptr_access(
				output->front, WLR_BUFFER_DATA_PTR_ACCESS_READ, &data, &format, &stride)) {
		wlr_log(WLR_ERROR, "cannot read the committed buffer; frame dropped");
		pixman_region32_fini(&region);
		return;
	}

	// Only what lies on this head's part of the shared surface.
	int width = output->front->width < output->width ? output->front->width : output->width;
	int height = output->front->height < output->height ? output->front->height : output->height;
	if (output->x + width > qxl->width) {
		width = qxl->width - output->x;
	}
	if (height > qxl->height) {
		height = qxl->height;
	}
	struct spb_image cur = {
		.data = data,
		.stride = stride,
		.width = width,
		.height = height,
	};
	if (width > 0 && height > 0 && shadow_ensure(output, width, height)) {
		find_copies(output, &cur, &region);
	}
	output->n_hints = 0;
	push_changes(output, &cur, &region);
	wlr_buffer_end_data_ptr_access(output->front);
	pixman_region32_fini(&region);
	backend->stats.flushes++;
	struct spb_link_pace *pacer = &backend->link_pace;
	if (pixman_region32_not_empty(&output->policy.pending)) {
		// Something could not be queued, or is held for a slow link: try again shortly.
		wl_event_source_timer_update(output->flush_timer, spb_link_pace_active(pacer) ?
				spb_link_pace_wait_ms(pacer) : SPB_BACKLOG_RETRY_MS);
	}

	spb_qxl_maybe_flush_tree(qxl);
}

/* Flushes now or arms the flush timer, as the frame policy says. */
static void schedule_flush(struct spb_output *output) {
	int queued = spb_qxl_queued(&output->backend->qxl);
	int64_t now = swl_clock_now(SWL_CLOCK_MS);
	bool paced = spb_link_pace_active(&output->backend->link_pace);
	output->policy.link_paced = paced;
	int delay = spb_frame_policy_next_flush(&output->policy, now, queued);
	if (delay < 0) {
		wl_event_source_timer_update(output->flush_timer, 0);
		return;
	}
	spb_listener_sample_links(&output->backend->listener, now,
			paced ? 0 : SPB_LINK_SAMPLE_MS);
	if (delay == 0) {
		wl_event_source_timer_update(output->flush_timer, 0);
		flush(output);
		return;
	}
	if (queued >= output->policy.queue_bound) {
		output->backend->stats.coalesced++;
	}
	wl_event_source_timer_update(output->flush_timer, delay);
}

static int handle_flush_timer(void *data) {
	struct spb_output *output = data;
	schedule_flush(output);
	return 0;
}

static int handle_frame_timer(void *data) {
	struct spb_output *output = data;
	// Per-op paces clients by the worker: no new frame while it is behind.
	if (output->policy.mode == WLR_SPICE_FRAME_MODE_PER_OP &&
			spb_qxl_queued(&output->backend->qxl) >= output->policy.queue_bound) {
		wl_event_source_timer_update(output->frame_timer, SPB_BACKLOG_RETRY_MS);
		return 0;
	}
	wlr_output_send_frame(&output->wlr_output);
	return 0;
}

void spb_output_set_mode(struct spb_output *output, int width, int height) {
	if (output->width == width && output->height == height) {
		return;
	}
	output->width = width;
	output->height = height;
	// The old buffer has the old size: wait for a frame at the new one.
	pixman_region32_clear(&output->policy.pending);
	pixman_region32_clear(&output->shadow_valid);
	output->n_hints = 0;
	output->n_incoming_hints = 0;
	wlr_buffer_unlock(output->front);
	output->front = NULL;
	int refresh_hz = output->policy.mode != WLR_SPICE_FRAME_MODE_PER_OP ?
			1000 / output->policy.period_ms :
			PER_OP_REFRESH_HZ;
	wlr_output_update_custom_mode(&output->wlr_output, width, height, refresh_hz * 1000);
	spb_output_set_physical_size(
			output, output->client_width_mm, output->client_height_mm);
}

#define FALLBACK_DPI 96.0

void spb_output_set_physical_size(struct spb_output *output, int width_mm,
		int height_mm) {
	struct wlr_output *wlr_output = &output->wlr_output;
	output->client_width_mm = width_mm;
	output->client_height_mm = height_mm;
	if (width_mm <= 0 || height_mm <= 0) {
		width_mm = (int)(output->width * 25.4 / FALLBACK_DPI + 0.5);
		height_mm = (int)(output->height * 25.4 / FALLBACK_DPI + 0.5);
	}
	if (wlr_output->phys_width == width_mm && wlr_output->phys_height == height_mm) {
		return;
	}
	wlr_output->phys_width = width_mm;
	wlr_output->phys_height = height_mm;
	// wlroots sends wl_output.geometry only on bind: clients already bound
	// hear of the new size here, and done follows.
	struct wl_resource *resource;
	wl_resource_for_each(resource, &wlr_output->resources) {
		wl_output_send_geometry(resource, 0, 0, width_mm, height_mm, wlr_output->subpixel,
				wlr_output->make, wlr_output->model, wlr_output->transform);
	}
	wlr_output_schedule_done(wlr_output);
}

void spb_output_repaint(struct spb_output *output) {
	// The client's surface was reset: nothing on it can be copied from.
	pixman_region32_clear(&output->shadow_valid);
	// The compositor renders and commits the whole head again.
	wlr_output_damage_whole(&output->wlr_output);
	wlr_output_schedule_frame(&output->wlr_output);
}

static bool output_commit(struct wlr_output *wlr_output) {
	struct spb_output *output = spice_output_from_output(wlr_output);
	const struct wlr_output_state *pending = &wlr_output->pending;
	if (!output_test(wlr_output)) {
		return false;
	}

	if (pending->committed & WLR_OUTPUT_STATE_ENABLED) {
		wlr_output_update_enabled(wlr_output, pending->enabled);
	}
	if (pending->committed & WLR_OUTPUT_STATE_MODE) {
		spb_output_set_mode(output, pending->custom_mode.width, pending->custom_mode.height);
		if (!spb_backend_layout(output->backend)) {
			return false;
		}
	}

	if (pending->committed & WLR_OUTPUT_STATE_BUFFER) {
		struct wlr_buffer *buffer = pending->buffer;
		wlr_buffer_lock(buffer);
		wlr_buffer_unlock(output->front);
		output->front = buffer;

		if (pending->committed & WLR_OUTPUT_STATE_DAMAGE) {
			spb_frame_policy_add_damage(&output->policy, &pending->damage);
		} else {
			pixman_region32_t whole;
			pixman_region32_init_rect(&whole, 0, 0, buffer->width, buffer->height);
			spb_frame_policy_add_damage(&output->policy, &whole);
			pixman_region32_fini(&whole);
		}
		output->backend->stats.commits++;
		// Moves announced before this commit are in its pixels now.
		for (int i = 0; i < output->n_incoming_hints; i++) {
			output->n_hints = spb_motion_add_hint(
					output->hints, output->n_hints, &output->incoming_hints[i]);
		}
		output->n_incoming_hints = 0;
		schedule_flush(output);

		struct timespec now = swl_clock_timespec();
		struct wlr_output_event_present present = {
			.commit_seq = wlr_output->commit_seq + 1,
			.presented = true,
			.when = &now,
		};
		wlr_output_send_present(wlr_output, &present);
		wl_event_source_timer_update(output->frame_timer, output->frame_delay_ms);
	}
	return true;
}

static void push_cursor(struct spb_output *output, struct spb_cursor_cmd *cmd) {
	if (cmd == NULL) {
		return;
	}
	if (!spb_qxl_push_cursor(&output->backend->qxl, cmd)) {
		spb_cursor_cmd_destroy(cmd);
	}
}

static bool output_set_cursor(
		struct wlr_output *wlr_output, struct wlr_buffer *buffer, int hotspot_x, int hotspot_y) {
	struct spb_output *output = spice_output_from_output(wlr_output);
	// Every head gets the same image; one copy to the client is enough.
	if (output->index != 0) {
		return true;
	}
	struct saved_cursor *saved = &output->saved_cursor;
	if (buffer == NULL || output->backend->options.hide_cursor) {
		saved->known = true;
		saved->hidden = true;
		push_cursor(output, spb_cursor_hide_create());
		return true;
	}

	void *data;
	uint32_t format;
	size_t stride;
	if (!wlr_buffer_begin_data_ptr_access(
				buffer, WLR_BUFFER_DATA_PTR_ACCESS_READ, &data, &format, &stride)) {
		return false;
	}
	// A copy, to set the cursor again when spice-server resets it.
	size_t row = (size_t)buffer->width * 4;
	bool ok = format == DRM_FORMAT_ARGB8888 && buffer->width > 0 && buffer->height > 0 &&
			buffer->width <= SPB_CURSOR_MAX_SIZE &&
			buffer->height <= SPB_CURSOR_MAX_SIZE;
	uint8_t *pixels = ok ? realloc(saved->pixels, row * buffer->height) : NULL;
	if (pixels != NULL) {
		saved->pixels = pixels;
		for (int y = 0; y < buffer->height; y++) {
			memcpy(pixels + row * y, (const uint8_t *)data + stride * y, row);
		}
		saved->width = buffer->width;
		saved->height = buffer->height;
		saved->hotspot_x = hotspot_x;
		saved->hotspot_y = hotspot_y;
		saved->known = true;
		saved->hidden = false;
	}
	wlr_buffer_end_data_ptr_access(buffer);
	if (pixels == NULL) {
		// wlroots falls back to drawing the cursor into frames.
		return false;
	}
	spb_output_restore_cursor(output);
	return true;
}

void spb_output_restore_cursor(struct spb_output *output) {
	if (output == NULL || !output->saved_cursor.known) {
		return;
	}
	struct saved_cursor *saved = &output->saved_cursor;
	if (saved->hidden) {
		push_cursor(output, spb_cursor_hide_create());
		return;
	}
	push_cursor(output,
			spb_cursor_set_create(saved->pixels, (size_t)saved->width * 4, saved->width,
					saved->height, saved->hotspot_x, saved->hotspot_y,
					output->x + output->cursor_x, output->cursor_y));
}

static bool output_move_cursor(struct wlr_output *wlr_output, int x, int y) {
	struct spb_output *output = spice_output_from_output(wlr_output);
	output->cursor_x = x;
	output->cursor_y = y;
	// Each head hears about every move; the one the pointer is on reports it.
	if (x < 0 || y < 0 || x >= output->width || y >= output->height) {
		return true;
	}
	// In client mouse mode the client draws the pointer where its own mouse
	// is; echoing every move back would only cost bandwidth.
	if (output->backend->input.client_mouse_mode || output->backend->options.hide_cursor) {
		return true;
	}
	push_cursor(output, spb_cursor_move_create(output->x + x, y));
	return true;
}

static void output_destroy(struct wlr_output *wlr_output) {
	struct spb_output *output = spice_output_from_output(wlr_output);
	if (output->frame_timer != NULL) {
		wl_event_source_remove(output->frame_timer);
	}
	if (output->flush_timer != NULL) {
		wl_event_source_remove(output->flush_timer);
	}
	wlr_buffer_unlock(output->front);
	free(output->saved_cursor.pixels);
	free(output->shadow);
	pixman_region32_fini(&output->shadow_valid);
	spb_frame_policy_finish(&output->policy);
	struct spb_backend *backend = output->backend;
	if (backend->outputs[output->index] == output) {
		backend->outputs[output->index] = NULL;
	}
	free(output);
}

static const struct wlr_output_impl output_impl = {
	.set_cursor = output_set_cursor,
	.move_cursor = output_move_cursor,
	.destroy = output_destroy,
	.test = output_test,
	.commit = output_commit,
};

bool wlr_output_is_spice(struct wlr_output *wlr_output) {
	return wlr_output->impl == &output_impl;
}

void wlr_spice_output_hint_move(
		struct wlr_output *wlr_output, const struct wlr_box *box, int dx, int dy) {
	if (!wlr_output_is_spice(wlr_output)) {
		return;
	}
	struct spb_output *output = spice_output_from_output(wlr_output);
	struct spb_move_hint hint = {
		.dst = { box->x, box->y, box->x + box->width, box->y + box->height },
		.dx = dx,
		.dy = dy,
	};
	output->n_incoming_hints = spb_motion_add_hint(
			output->incoming_hints, output->n_incoming_hints, &hint);
}

struct spb_output *spb_output_create(
		struct spb_backend *backend, int index, int width, int height) {
	struct spb_output *output = calloc(1, sizeof(*output));
	if (output == NULL) {
		return NULL;
	}
	output->backend = backend;
	output->index = index;
	pixman_region32_init(&output->shadow_valid);
	const struct wlr_spice_backend_options *opts = &backend->options;
	spb_frame_policy_init(
			&output->policy, opts->frame_mode, opts->fps, SPB_QUEUE_BOUND);
	output->frame_delay_ms = opts->frame_mode != WLR_SPICE_FRAME_MODE_PER_OP ?
			output->policy.period_ms :
			1000 / PER_OP_REFRESH_HZ;

	wlr_output_init(&output->wlr_output, &backend->backend, &output_impl, backend->display);
	struct wlr_output *wlr_output = &output->wlr_output;
	char name[32];
	snprintf(name, sizeof(name), "SPICE-%d", index + 1);
	wlr_output_set_name(wlr_output, name);
	snprintf(wlr_output->make, sizeof(wlr_output->make), "spice-wl");
	snprintf(wlr_output->model, sizeof(wlr_output->model), "QXL");
	// wlroots' own form, "make model (name)": panels such as waybar take the
	// output's name from the parentheses (and fail without them).
	char description[64];
	snprintf(description, sizeof(description), "spice-wl QXL (%s)", name);
	wlr_output_set_description(wlr_output, description);

	output->frame_timer = wl_event_loop_add_timer(backend->loop, handle_frame_timer, output);
	output->flush_timer = wl_event_loop_add_timer(backend->loop, handle_flush_timer, output);
	if (output->frame_timer == NULL || output->flush_timer == NULL) {
		goto error;
	}
	spb_output_set_mode(output, width, height);
	backend->outputs[index] = output;
	if (opts->hide_cursor && index == 0) {
		output->saved_cursor.known = true;
		output->saved_cursor.hidden = true;
		spb_output_restore_cursor(output);
	}
	return output;

error:
	// wlr_output_destroy calls output_destroy, which frees everything
	wlr_output_destroy(wlr_output);
	return NULL;
}

void spb_output_client_connected(struct spb_output *output) {
	// spice-server sends the current surface image itself; nothing pending
	// needs to wait for a later commit, so push it out now.
	schedule_flush(output);
}
