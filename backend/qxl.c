/*
 * The QXL instance: spice-server's view of our "graphics card". Owns the
 * primary surface memory and the command rings the worker thread pulls from.
 * The worker callbacks (get_command, req_cmd_notification, release_resource
 * and the cursor twins) run on spice-server's worker thread and touch only
 * qxl->shared (the rings, ring.c, and the outstanding commands), under the
 * lock; so does the main thread, here and nowhere else.
 */
#include <stdlib.h>
#include <string.h>
#include <wlr/util/log.h>
#include "backend.h"
#include "clock.h"
#include "cursor.h"
#include "draw.h"

#define MEMSLOT_GROUP 0
#define MEMSLOT_ID 0

static struct spb_qxl *qxl_from_instance(QXLInstance *qin) {
	struct spb_qxl *qxl = wl_container_of(qin, qxl, instance);
	return qxl;
}

static struct spb_resource *command_resource(const QXLCommandExt *cmd) {
	// Draws and cursor commands both start with their release info.
	const QXLReleaseInfo *info = (const QXLReleaseInfo *)(uintptr_t)cmd->cmd.data;
	return (struct spb_resource *)(uintptr_t)info->id;
}

static void resource_destroy(struct spb_resource *resource) {
	if (resource->kind == SPB_RESOURCE_DRAW) {
		struct spb_draw *draw = wl_container_of(resource, draw, resource);
		spb_draw_destroy(draw);
	} else {
		struct spb_cursor_cmd *cmd = wl_container_of(resource, cmd, resource);
		spb_cursor_cmd_destroy(cmd);
	}
}

static void qxl_attached_worker(QXLInstance *qin) {
	// One slot covering the whole address space with a zero delta: pointers
	// are QXL physical addresses. Generation and id take the top two bits,
	// which user-space pointers never use.
	QXLDevMemSlot slot = {
		.slot_group_id = MEMSLOT_GROUP,
		.slot_id = MEMSLOT_ID,
		.generation = 0,
		.virt_start = 0,
		.virt_end = ~(uintptr_t)0,
		.addr_delta = 0,
		.qxl_ram_size = ~(uint32_t)0,
	};
	spice_qxl_add_memslot(qin, &slot);
}

static void qxl_set_compression_level(QXLInstance *qin, int level) {
	// spice-server picks its own encoders; nothing to do here
}

static void qxl_get_init_info(QXLInstance *qin, QXLDevInitInfo *info) {
	memset(info, 0, sizeof(*info));
	info->num_memslots_groups = 1;
	info->num_memslots = 1;
	info->memslot_gen_bits = 1;
	info->memslot_id_bits = 1;
	info->qxl_ram_size = ~(uint32_t)0;
	info->internal_groupslot_id = 0;
	info->n_surfaces = 1;
}

static int get_from_ring(
		struct spb_qxl *qxl, struct spb_ring *ring, QXLCommandExt *cmd) {
	pthread_mutex_lock(&qxl->lock);
	bool got = spb_ring_pop(ring, cmd);
	pthread_mutex_unlock(&qxl->lock);
	return got ? 1 : 0;
}

static int request_notification(struct spb_qxl *qxl, struct spb_ring *ring) {
	pthread_mutex_lock(&qxl->lock);
	bool empty = spb_ring_request_notify(ring);
	pthread_mutex_unlock(&qxl->lock);
	return empty ? 1 : 0;
}

static int qxl_get_command(QXLInstance *qin, QXLCommandExt *cmd) {
	struct spb_qxl *qxl = qxl_from_instance(qin);
	return get_from_ring(qxl, &qxl->shared.draws, cmd);
}

static int qxl_req_cmd_notification(QXLInstance *qin) {
	struct spb_qxl *qxl = qxl_from_instance(qin);
	return request_notification(qxl, &qxl->shared.draws);
}

static int qxl_get_cursor_command(QXLInstance *qin, QXLCommandExt *cmd) {
	struct spb_qxl *qxl = qxl_from_instance(qin);
	return get_from_ring(qxl, &qxl->shared.cursors, cmd);
}

static int qxl_req_cursor_notification(QXLInstance *qin) {
	struct spb_qxl *qxl = qxl_from_instance(qin);
	return request_notification(qxl, &qxl->shared.cursors);
}

static void qxl_release_resource(QXLInstance *qin, QXLReleaseInfoExt release) {
	struct spb_qxl *qxl = qxl_from_instance(qin);
	struct spb_resource *resource = spb_resource_from_release(release);
	if (resource == NULL) {
		return;
	}
	pthread_mutex_lock(&qxl->lock);
	wl_list_remove(&resource->link);
	if (resource->kind == SPB_RESOURCE_DRAW) {
		qxl->shared.outstanding_count--;
		qxl->shared.released++;
	}
	pthread_mutex_unlock(&qxl->lock);
	resource_destroy(resource);
}

static void qxl_notify_update(QXLInstance *qin, uint32_t update_id) {
}

static int qxl_flush_resources(QXLInstance *qin) {
	return 0;
}

static void qxl_async_complete(QXLInstance *qin, uint64_t cookie) {
	// The only asynchronous call is the monitors config; its memory was
	// read by spice-server and is ours to free (on the worker thread).
	free((void *)(uintptr_t)cookie);
}

static void qxl_update_area_complete(QXLInstance *qin, uint32_t surface_id, QXLRect *updated_rects,
		uint32_t num_updated_rects) {
}

static void qxl_set_client_capabilities(
		QXLInstance *qin, uint8_t client_present, uint8_t caps[SPICE_CAPABILITIES_SIZE]) {
}

static int qxl_client_monitors_config(QXLInstance *qin, VDAgentMonitorsConfig *config) {
	// Resizing to the client window arrives through the agent instead.
	return 0;
}

static const QXLInterface qxl_interface = {
	.base = {
		.type = SPICE_INTERFACE_QXL,
		.description = "spice-wl qxl",
		.major_version = SPICE_INTERFACE_QXL_MAJOR,
		.minor_version = SPICE_INTERFACE_QXL_MINOR,
	},
	.attached_worker = qxl_attached_worker,
	.set_compression_level = qxl_set_compression_level,
	.get_init_info = qxl_get_init_info,
	.get_command = qxl_get_command,
	.req_cmd_notification = qxl_req_cmd_notification,
	.release_resource = qxl_release_resource,
	.get_cursor_command = qxl_get_cursor_command,
	.req_cursor_notification = qxl_req_cursor_notification,
	.notify_update = qxl_notify_update,
	.flush_resources = qxl_flush_resources,
	.async_complete = qxl_async_complete,
	.update_area_complete = qxl_update_area_complete,
	.set_client_capabilities = qxl_set_client_capabilities,
	.client_monitors_config = qxl_client_monitors_config,
};

void spb_qxl_init(struct spb_qxl *qxl, struct spb_backend *backend) {
	memset(qxl, 0, sizeof(*qxl));
	qxl->backend = backend;
	qxl->instance.base.sif = &qxl_interface.base;
	qxl->instance.id = 0;
	pthread_mutex_init(&qxl->lock, NULL);
	struct spb_qxl_shared *shared = &qxl->shared;
	spb_ring_init(&shared->draws, shared->draw_slots, SPB_RING_SIZE);
	spb_ring_init(&shared->cursors, shared->cursor_slots, SPB_CURSOR_RING_SIZE);
	wl_list_init(&shared->outstanding);
}

bool spb_qxl_add(struct spb_qxl *qxl, SpiceServer *server, int max_heads) {
	if (spice_server_add_interface(server, &qxl->instance.base) != 0) {
		wlr_log(WLR_ERROR, "spice-server refused the QXL interface");
		return false;
	}
	// One device whose heads are the client's monitors.
	spice_qxl_set_device_info(&qxl->instance, "pci/0000/00.0", 0, (uint32_t)max_heads);
	return true;
}

void spb_qxl_set_heads(struct spb_qxl *qxl, const QXLHead *heads, int n, int max) {
	QXLMonitorsConfig *config = calloc(1, sizeof(*config) + sizeof(QXLHead) * (size_t)n);
	if (config == NULL) {
		return;
	}
	config->count = (uint16_t)n;
	config->max_allowed = (uint16_t)max;
	memcpy(config->heads, heads, sizeof(QXLHead) * (size_t)n);
	spice_qxl_monitors_config_async(&qxl->instance, (QXLPHYSICAL)(uintptr_t)config, MEMSLOT_GROUP,
			(uint64_t)(uintptr_t)config);
}

/* Frees commands the worker has not fetched; call with the lock held. */
static void drop_ring(struct spb_qxl_shared *shared, struct spb_ring *ring) {
	QXLCommandExt cmd;
	while (spb_ring_pop(ring, &cmd)) {
		struct spb_resource *resource = command_resource(&cmd);
		wl_list_remove(&resource->link);
		if (resource->kind == SPB_RESOURCE_DRAW) {
			shared->outstanding_count--;
		}
		resource_destroy(resource);
	}
}

void spb_qxl_finish(struct spb_qxl *qxl) {
	// Only after spice_server_destroy: nothing references the commands now.
	struct spb_qxl_shared *shared = &qxl->shared;
	pthread_mutex_lock(&qxl->lock);
	drop_ring(shared, &shared->draws);
	drop_ring(shared, &shared->cursors);
	struct spb_resource *resource, *tmp;
	wl_list_for_each_safe(resource, tmp, &shared->outstanding, link) {
		wl_list_remove(&resource->link);
		resource_destroy(resource);
	}
	shared->outstanding_count = 0;
	pthread_mutex_unlock(&qxl->lock);
	free(qxl->primary);
	qxl->primary = NULL;
	pthread_mutex_destroy(&qxl->lock);
}

static void destroy_primary(struct spb_qxl *qxl) {
	if (!qxl->primary_active) {
		return;
	}
	// Commands still in the ring draw on the old surface: drop them.
	pthread_mutex_lock(&qxl->lock);
	drop_ring(&qxl->shared, &qxl->shared.draws);
	pthread_mutex_unlock(&qxl->lock);
	spice_qxl_destroy_primary_surface(&qxl->instance, 0);
	qxl->primary_active = false;
}

bool spb_qxl_create_primary(struct spb_qxl *qxl, int width, int height) {
	destroy_primary(qxl);
	uint8_t *mem = calloc((size_t)width * height, 4);
	if (mem == NULL) {
		wlr_log(WLR_ERROR, "cannot allocate a %dx%d primary surface", width, height);
		return false;
	}
	free(qxl->primary);
	qxl->primary = mem;
	qxl->width = width;
	qxl->height = height;

	QXLDevSurfaceCreate surface = {
		.width = width,
		.height = height,
		.stride = width * 4,
		.format = SPICE_SURFACE_FMT_32_xRGB,
		.position = 0,
		.mouse_mode = SPICE_MOUSE_MODE_CLIENT,
		.flags = 0,
		.type = QXL_SURF_TYPE_PRIMARY,
		.mem = (uint64_t)(uintptr_t)mem,
		.group_id = MEMSLOT_GROUP,
	};
	spice_qxl_create_primary_surface(&qxl->instance, 0, &surface);
	qxl->primary_active = true;
	wlr_log(WLR_DEBUG, "primary surface %dx%d created", width, height);
	return true;
}

/* Puts a command on ring and outstanding, or returns false when the ring is full. */
static bool push(struct spb_qxl *qxl, struct spb_ring *ring,
		struct spb_resource *resource, const QXLCommandExt *cmd) {
	struct spb_qxl_shared *shared = &qxl->shared;
	pthread_mutex_lock(&qxl->lock);
	QXLCommandExt *slot = spb_ring_push(ring);
	if (slot != NULL) {
		*slot = *cmd;
		wl_list_insert(shared->outstanding.prev, &resource->link);
		if (resource->kind == SPB_RESOURCE_DRAW) {
			shared->outstanding_count++;
		}
	}
	bool wake = slot != NULL && spb_ring_take_notify(ring);
	pthread_mutex_unlock(&qxl->lock);

	if (wake) {
		spice_qxl_wakeup(&qxl->instance);
	}
	return slot != NULL;
}

bool spb_qxl_push_draw(struct spb_qxl *qxl, struct spb_draw *draw) {
	draw->drawable.mm_time = (uint32_t)swl_clock_now(SWL_CLOCK_MS);
	QXLCommandExt cmd;
	spb_draw_to_command(draw, &cmd);
	return push(qxl, &qxl->shared.draws, &draw->resource, &cmd);
}

bool spb_qxl_push_cursor(struct spb_qxl *qxl, struct spb_cursor_cmd *cmd) {
	pthread_mutex_lock(&qxl->lock);
	bool coalesced = spb_ring_coalesce_move(&qxl->shared.cursors, &cmd->cmd);
	pthread_mutex_unlock(&qxl->lock);
	if (coalesced) {
		spb_cursor_cmd_destroy(cmd);
		return true;
	}
	QXLCommandExt ext;
	spb_cursor_cmd_to_command(cmd, &ext);
	return push(qxl, &qxl->shared.cursors, &cmd->resource, &ext);
}

int spb_qxl_queued(struct spb_qxl *qxl) {
	pthread_mutex_lock(&qxl->lock);
	int n = (int)qxl->shared.draws.count;
	pthread_mutex_unlock(&qxl->lock);
	return n;
}

uint64_t spb_qxl_released(struct spb_qxl *qxl) {
	pthread_mutex_lock(&qxl->lock);
	uint64_t released = qxl->shared.released;
	pthread_mutex_unlock(&qxl->lock);
	return released;
}

void spb_qxl_maybe_flush_tree(struct spb_qxl *qxl) {
	pthread_mutex_lock(&qxl->lock);
	size_t held = qxl->shared.outstanding_count - qxl->shared.draws.count;
	pthread_mutex_unlock(&qxl->lock);
	if (!qxl->primary_active || held < SPB_OUTSTANDING_FLUSH) {
		return;
	}
	// Rendering the whole surface lets spice-server release every drawable
	// it was keeping for clients that are not there.
	QXLRect area = { .left = 0, .top = 0, .right = qxl->width, .bottom = qxl->height };
	spice_qxl_update_area(&qxl->instance, 0, &area, NULL, 0, 1);
}
