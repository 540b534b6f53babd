/*
 * File transfer from the SPICE client into the session: what remote-viewer
 * and spice-html5 send when a person drops files onto the display.
 *
 * The client sends VD_AGENT_FILE_XFER_START (an id, a name and a size), waits
 * for STATUS CAN_SEND_DATA, then sends DATA messages of up to 64 KiB under
 * the agent's flow control; the agent ends each transfer with a STATUS
 * (SUCCESS, ERROR, NOT_ENOUGH_SPACE, ...) and the client may cancel with a
 * STATUS of its own. The payload parsing is in agent_proto.c; this file is
 * the state machine and the file system side.
 *
 * Names are untrusted: only a sanitised base name is used, every file is
 * created relative to the download directory's descriptor with O_EXCL and
 * O_NOFOLLOW, first under a hidden temporary name, and linked to its final,
 * unique name only once complete. Whatever ends a transfer early (an error,
 * the client's cancel, its disconnection, spice-wl's exit) removes the
 * temporary file.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include <wlr/util/log.h>
#include "agent.h"
#include "backend.h"
#include "file_xfer.h"

/* Files received at once; more are refused (spice-gtk sends several files in parallel). */
#define MAX_FILE_XFERS 16
/* Candidates "name (1)" .. "name (N)" tried for a free final name. */
#define MAX_NAME_VARIANTS 9999

/* GIO error codes (GIOErrorEnum) for the detailed errors: the protocol speaks GLib's. */
enum {
	GIO_ERROR_FAILED = 0,
	GIO_ERROR_NOT_FOUND = 1,
	GIO_ERROR_INVALID_FILENAME = 10,
	GIO_ERROR_NO_SPACE = 12,
	GIO_ERROR_PERMISSION_DENIED = 14,
	GIO_ERROR_TOO_MANY_OPEN_FILES = 31,
};

struct file_xfer {
	struct spb_agent *agent;
	struct wl_list link; // spb_agent.file_xfers
	uint32_t id;
	int dir_fd, fd;
	char name[SPB_AGENT_FILE_NAME_MAX + 1]; // sanitised, as the client named it
	char tmp_name[64]; // the hidden file being written
	uint64_t size, received;
};

bool spb_file_xfer_enabled(struct spb_agent *agent) {
	const struct wlr_spice_backend_options *o = &agent->backend->options;
	// Dropping a file is input: a view-only client may not.
	return o->download_dir != NULL && !o->view_only;
}

static void send_status(struct spb_agent *agent, uint32_t id, uint32_t result,
		const void *detail, uint32_t detail_size) {
	if (!spb_agent_client_has_cap(agent, VD_AGENT_CAP_FILE_XFER_DETAILED_ERRORS)) {
		detail_size = 0;
	}
	uint8_t *payload;
	uint32_t size;
	if (spb_agent_build_file_status(id, result, detail, detail_size, &payload, &size)) {
		spb_agent_send(agent, VD_AGENT_FILE_XFER_STATUS, payload, size);
	}
}

/* STATUS ERROR with a GIO error code, for clients that understand details. */
static void send_error(struct spb_agent *agent, uint32_t id, uint32_t gio_code) {
	uint8_t detail[sizeof(VDAgentFileXferStatusError)];
	detail[0] = VD_AGENT_FILE_XFER_STATUS_ERROR_GLIB_IO;
	for (int i = 0; i < 4; i++) {
		detail[1 + i] = (uint8_t)(gio_code >> (8 * i));
	}
	send_status(agent, id, VD_AGENT_FILE_XFER_STATUS_ERROR, detail, sizeof(detail));
}

static void send_no_space(struct spb_agent *agent, uint32_t id, uint64_t free_bytes) {
	uint8_t detail[sizeof(VDAgentFileXferStatusNotEnoughSpace)];
	for (int i = 0; i < 8; i++) {
		detail[i] = (uint8_t)(free_bytes >> (8 * i));
	}
	send_status(agent, id, VD_AGENT_FILE_XFER_STATUS_NOT_ENOUGH_SPACE, detail, sizeof(detail));
}

static uint32_t errno_to_gio(int err) {
	switch (err) {
	case ENOSPC:
	case EDQUOT:
		return GIO_ERROR_NO_SPACE;
	case EACCES:
	case EPERM:
	case EROFS:
		return GIO_ERROR_PERMISSION_DENIED;
	case ENOENT:
		return GIO_ERROR_NOT_FOUND;
	case EMFILE:
	case ENFILE:
		return GIO_ERROR_TOO_MANY_OPEN_FILES;
	default:
		return GIO_ERROR_FAILED;
	}
}

/* Ends a transfer; its temporary file goes unless it was linked to its final name. */
static void xfer_destroy(struct file_xfer *xfer) {
	if (xfer == NULL) {
		return;
	}
	if (xfer->fd >= 0) {
		close(xfer->fd);
	}
	if (xfer->tmp_name[0] != '\0') {
		unlinkat(xfer->dir_fd, xfer->tmp_name, 0);
	}
	if (xfer->dir_fd >= 0) {
		close(xfer->dir_fd);
	}
	wl_list_remove(&xfer->link);
	xfer->agent->n_file_xfers--;
	free(xfer);
}

static struct file_xfer *xfer_find(struct spb_agent *agent, uint32_t id) {
	struct file_xfer *xfer;
	wl_list_for_each(xfer, &agent->file_xfers, link) {
		if (xfer->id == id) {
			return xfer;
		}
	}
	return NULL;
}

/* The download directory, created (0700, the user's own) if it is missing. */
static int open_download_dir(const char *path) {
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && mkdir(path, 0700) == 0) {
		wlr_log(WLR_INFO, "file transfer: created %s", path);
		fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	return fd;
}

/* Bytes the other transfers still have to write: the space they will take. */
static uint64_t bytes_promised(struct spb_agent *agent) {
	uint64_t sum = 0;
	struct file_xfer *xfer;
	wl_list_for_each(xfer, &agent->file_xfers, link) {
		sum += xfer->size - xfer->received;
	}
	return sum;
}

/* Refuses a start the agent cannot take now, with the status the client expects; true if it may. */
static bool start_allowed(struct spb_agent *agent, uint32_t id) {
	if (!spb_file_xfer_enabled(agent)) {
		send_status(agent, id, VD_AGENT_FILE_XFER_STATUS_DISABLED, NULL, 0);
		// Older clients do not know DISABLED.
		if (!spb_agent_client_has_cap(agent, VD_AGENT_CAP_FILE_XFER_DETAILED_ERRORS)) {
			send_status(agent, id, VD_AGENT_FILE_XFER_STATUS_ERROR, NULL, 0);
		}
		return false;
	}
	if (xfer_find(agent, id) != NULL) {
		wlr_log(WLR_INFO, "file transfer %" PRIu32 ": the id is in use; refused", id);
		send_error(agent, id, GIO_ERROR_FAILED);
		return false;
	}
	if (agent->n_file_xfers >= MAX_FILE_XFERS) {
		wlr_log(WLR_INFO, "file transfer: %d files at once; one more refused", MAX_FILE_XFERS);
		send_error(agent, id, GIO_ERROR_TOO_MANY_OPEN_FILES);
		return false;
	}
	return true;
}

/* A transfer with no file yet, counted in the agent's list. */
static struct file_xfer *xfer_create(struct spb_agent *agent, uint32_t id, uint64_t file_size) {
	struct file_xfer *xfer = calloc(1, sizeof(*xfer));
	if (xfer == NULL) {
		return NULL;
	}
	xfer->agent = agent;
	xfer->id = id;
	xfer->dir_fd = -1;
	xfer->fd = -1;
	xfer->size = file_size;
	wl_list_insert(agent->file_xfers.prev, &xfer->link);
	agent->n_file_xfers++;
	return xfer;
}

/*
 * Whether the file fits in the download directory next to what the other
 * transfers still have to write; refuses it (NOT_ENOUGH_SPACE) if not. A file
 * system that cannot tell its free space is given the benefit of the doubt.
 */
static bool xfer_fits(struct file_xfer *xfer, const char *dir) {
	struct spb_agent *agent = xfer->agent;
	struct statvfs vfs;
	if (fstatvfs(xfer->dir_fd, &vfs) != 0) {
		return true;
	}
	uint64_t free_bytes = (uint64_t)vfs.f_bavail * vfs.f_frsize;
	uint64_t promised = bytes_promised(agent) - xfer->size; // the others' share
	uint64_t available = free_bytes > promised ? free_bytes - promised : 0;
	if (xfer->size <= available) {
		return true;
	}
	wlr_log(WLR_INFO, "file transfer %" PRIu32 ": '%s' (%" PRIu64 " bytes) does not "
			"fit in %s (%" PRIu64 " bytes free); refused", xfer->id, xfer->name, xfer->size,
			dir, available);
	send_no_space(agent, xfer->id, available);
	if (!spb_agent_client_has_cap(agent, VD_AGENT_CAP_FILE_XFER_DETAILED_ERRORS)) {
		// NOT_ENOUGH_SPACE is the detailed form; others know only ERROR.
		send_status(agent, xfer->id, VD_AGENT_FILE_XFER_STATUS_ERROR, NULL, 0);
	}
	return false;
}

/* Creates the hidden file the data goes into; false (the client told) when it cannot. */
static bool xfer_create_file(struct file_xfer *xfer, const char *dir) {
	// A hidden name of our own; O_EXCL and O_NOFOLLOW: nothing already
	// there, not even a symlink planted by someone else, is followed.
	for (unsigned attempt = 0; attempt < 100; attempt++) {
		snprintf(xfer->tmp_name, sizeof(xfer->tmp_name), ".spice-wl-%ld-%" PRIu32 "-%u.part",
				(long)getpid(), xfer->id, attempt);
		xfer->fd = openat(xfer->dir_fd, xfer->tmp_name,
				O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (xfer->fd >= 0 || errno != EEXIST) {
			break;
		}
	}
	if (xfer->fd >= 0) {
		return true;
	}
	int err = errno;
	xfer->tmp_name[0] = '\0';
	wlr_log(WLR_ERROR, "file transfer %" PRIu32 ": cannot create a file in %s: %s", xfer->id,
			dir, strerror(err));
	send_error(xfer->agent, xfer->id, errno_to_gio(err));
	return false;
}

static void handle_start(struct spb_agent *agent, const uint8_t *payload, uint32_t size) {
	const char *dir = agent->backend->options.download_dir;
	uint32_t id = 0;
	uint64_t file_size = 0;
	char raw_name[1024];
	if (!spb_agent_parse_file_start(
				payload, size, &id, raw_name, sizeof(raw_name), &file_size)) {
		wlr_log(WLR_INFO, "file transfer: malformed start message refused");
		if (size >= sizeof(uint32_t)) {
			send_error(agent, (uint32_t)payload[0] | (uint32_t)payload[1] << 8 |
					(uint32_t)payload[2] << 16 | (uint32_t)payload[3] << 24,
					GIO_ERROR_INVALID_FILENAME);
		}
		return;
	}
	if (!start_allowed(agent, id)) {
		return;
	}
	struct file_xfer *xfer = xfer_create(agent, id, file_size);
	if (xfer == NULL) {
		send_error(agent, id, GIO_ERROR_FAILED);
		return;
	}
	if (!spb_agent_file_name_safe(raw_name, xfer->name, sizeof(xfer->name))) {
		wlr_log(WLR_INFO, "file transfer %" PRIu32 ": unusable file name refused", id);
		send_error(agent, id, GIO_ERROR_INVALID_FILENAME);
		goto fail;
	}
	xfer->dir_fd = open_download_dir(dir);
	if (xfer->dir_fd < 0) {
		int err = errno;
		wlr_log(WLR_ERROR, "file transfer: cannot open the download directory %s: %s", dir,
				strerror(err));
		send_error(agent, id, errno_to_gio(err));
		goto fail;
	}
	if (!xfer_fits(xfer, dir) || !xfer_create_file(xfer, dir)) {
		goto fail;
	}
	wlr_log(WLR_INFO, "file transfer %" PRIu32 ": receiving '%s' (%" PRIu64 " bytes) into %s",
			id, xfer->name, file_size, dir);
	send_status(agent, id, VD_AGENT_FILE_XFER_STATUS_CAN_SEND_DATA, NULL, 0);
	return;

fail:
	xfer_destroy(xfer);
}

/* Links the complete file to its first free name; false with errno set. */
static bool xfer_publish(struct file_xfer *xfer, char *final, size_t final_cap) {
	for (unsigned n = 0; n <= MAX_NAME_VARIANTS; n++) {
		if (!spb_agent_file_name_variant(xfer->name, n, final, final_cap)) {
			errno = ENAMETOOLONG;
			return false;
		}
		// linkat fails on an existing name where renameat would replace it.
		if (linkat(xfer->dir_fd, xfer->tmp_name, xfer->dir_fd, final, 0) == 0) {
			return true;
		}
		if (errno == EEXIST) {
			continue;
		}
		if (errno != EPERM && errno != EOPNOTSUPP && errno != EMLINK) {
			return false;
		}
		// No hard links here (vfat, some FUSE): rename onto a name seen free.
		struct stat st;
		if (fstatat(xfer->dir_fd, final, &st, AT_SYMLINK_NOFOLLOW) == 0) {
			continue;
		}
		if (errno != ENOENT) {
			return false;
		}
		if (renameat(xfer->dir_fd, xfer->tmp_name, xfer->dir_fd, final) != 0) {
			return false;
		}
		xfer->tmp_name[0] = '\0';
		return true;
	}
	errno = EEXIST;
	return false;
}

static void xfer_complete(struct file_xfer *xfer) {
	struct spb_agent *agent = xfer->agent;
	char final[SPB_AGENT_FILE_NAME_MAX + 32];
	int err = 0;
	if (close(xfer->fd) != 0) {
		err = errno;
	}
	xfer->fd = -1;
	if (err == 0 && !xfer_publish(xfer, final, sizeof(final))) {
		err = errno;
	}
	// The temporary name goes before the client hears the outcome: what
	// watches the directory then (a user, a test) never sees it linger.
	if (xfer->tmp_name[0] != '\0') {
		unlinkat(xfer->dir_fd, xfer->tmp_name, 0);
		xfer->tmp_name[0] = '\0';
	}
	if (err != 0) {
		wlr_log(WLR_ERROR, "file transfer %" PRIu32 ": cannot save '%s': %s", xfer->id,
				xfer->name, strerror(err));
		send_error(agent, xfer->id, errno_to_gio(err));
	} else {
		wlr_log(WLR_INFO, "file transfer %" PRIu32 ": saved '%s' (%" PRIu64 " bytes) as %s/%s",
				xfer->id, xfer->name, xfer->size, agent->backend->options.download_dir, final);
		send_status(agent, xfer->id, VD_AGENT_FILE_XFER_STATUS_SUCCESS, NULL, 0);
	}
	xfer_destroy(xfer);
}

static void handle_data(struct spb_agent *agent, const uint8_t *payload, uint32_t size) {
	uint32_t id = 0, len = 0;
	const uint8_t *data = NULL;
	if (!spb_agent_parse_file_data(payload, size, &id, &data, &len)) {
		wlr_log(WLR_INFO, "file transfer: malformed data message dropped");
		return;
	}
	struct file_xfer *xfer = xfer_find(agent, id);
	if (xfer == NULL) {
		return; // cancelled or failed: the client learns it from our status
	}
	if (len > xfer->size - xfer->received) {
		wlr_log(WLR_INFO, "file transfer %" PRIu32 ": more data than the %" PRIu64
				" bytes announced; cancelled", id, xfer->size);
		send_error(agent, id, GIO_ERROR_FAILED);
		xfer_destroy(xfer);
		return;
	}
	size_t off = 0;
	while (off < len) {
		ssize_t n = write(xfer->fd, data + off, len - off);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n <= 0) {
			int err = n < 0 ? errno : ENOSPC;
			wlr_log(WLR_ERROR, "file transfer %" PRIu32 ": writing '%s' failed: %s", id,
					xfer->name, strerror(err));
			send_error(agent, id, errno_to_gio(err));
			xfer_destroy(xfer);
			return;
		}
		off += (size_t)n;
	}
	xfer->received += len;
	if (xfer->received == xfer->size) {
		xfer_complete(xfer);
	}
}

static void handle_status(struct spb_agent *agent, const uint8_t *payload, uint32_t size) {
	uint32_t id = 0, result = 0;
	if (!spb_agent_parse_file_status(payload, size, &id, &result)) {
		return;
	}
	struct file_xfer *xfer = xfer_find(agent, id);
	if (xfer == NULL) {
		return;
	}
	if (result == VD_AGENT_FILE_XFER_STATUS_CAN_SEND_DATA) {
		return; // not meaningful from the client
	}
	wlr_log(WLR_INFO, "file transfer %" PRIu32 ": the client %s '%s' after %" PRIu64 " of %"
			PRIu64 " bytes; nothing kept", id,
			result == VD_AGENT_FILE_XFER_STATUS_CANCELLED ? "cancelled" : "ended", xfer->name,
			xfer->received, xfer->size);
	xfer_destroy(xfer);
}

void spb_file_xfer_handle(
		struct spb_agent *agent, uint32_t type, const uint8_t *payload, uint32_t size) {
	switch (type) {
	case VD_AGENT_FILE_XFER_START:
		handle_start(agent, payload, size);
		break;
	case VD_AGENT_FILE_XFER_DATA:
		handle_data(agent, payload, size);
		break;
	case VD_AGENT_FILE_XFER_STATUS:
		handle_status(agent, payload, size);
		break;
	}
}

void spb_file_xfer_cancel_all(struct spb_agent *agent) {
	struct file_xfer *xfer, *tmp;
	wl_list_for_each_safe(xfer, tmp, &agent->file_xfers, link) {
		wlr_log(WLR_INFO, "file transfer %" PRIu32 ": '%s' ends unfinished (%" PRIu64 " of %"
				PRIu64 " bytes); nothing kept", xfer->id, xfer->name, xfer->received,
				xfer->size);
		xfer_destroy(xfer);
	}
}
