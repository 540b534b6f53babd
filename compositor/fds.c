/*
 * Marks descriptors close-on-exec in bulk (see fds.h). Only system calls
 * here, no malloc or stdio: these run in forked children of a threaded
 * process.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "fds.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/* Above this, a descriptor limit is not worth walking number by number. */
#define LOOP_LIMIT (1 << 20)

static void set_cloexec(int fd) {
	int flags = fcntl(fd, F_GETFD);
	if (flags >= 0 && !(flags & FD_CLOEXEC)) {
		fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
	}
}

/* One getdents64 record, as the kernel lays it out. */
struct dirent64_rec {
	uint64_t ino;
	int64_t off;
	unsigned short reclen;
	unsigned char type;
	char name[];
};

/* Marks every fd >= from close-on-exec by listing /proc/self/fd; false if it cannot be read. */
static bool cloexec_scan(int from) {
	int dir = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0) {
		return false;
	}
	// Aligned for the records' 64-bit fields.
	uint64_t buf[512];
	for (;;) {
		long n = syscall(SYS_getdents64, dir, buf, sizeof(buf));
		if (n <= 0) {
			close(dir);
			return n == 0;
		}
		for (long pos = 0; pos < n;) {
			const struct dirent64_rec *rec =
					(const struct dirent64_rec *)((const char *)buf + pos);
			pos += rec->reclen;
			int fd = 0;
			const char *c = rec->name;
			if (*c < '0' || *c > '9') {
				continue; // "." and ".."
			}
			for (; *c >= '0' && *c <= '9'; c++) {
				fd = fd * 10 + (*c - '0');
			}
			if (fd >= from && fd != dir) {
				set_cloexec(fd);
			}
		}
	}
}

/* The same by trying every number below the descriptor limit. */
static void cloexec_loop(int from) {
	struct rlimit lim;
	long max = LOOP_LIMIT;
	if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY &&
			lim.rlim_cur < (rlim_t)LOOP_LIMIT) {
		max = (long)lim.rlim_cur;
	}
	for (long fd = from; fd < max; fd++) {
		set_cloexec((int)fd);
	}
}

void swl_fds_cloexec_from(int from) {
	// One call on Linux 5.11 and later; older kernels say EINVAL or ENOSYS.
	if (syscall(SYS_close_range, (unsigned int)from, ~0U, CLOSE_RANGE_CLOEXEC) == 0) {
		return;
	}
	if (!cloexec_scan(from)) {
		cloexec_loop(from);
	}
}
