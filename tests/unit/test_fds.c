/*
 * Unit tests for compositor/fds.c: each way of marking descriptors
 * close-on-exec (close_range, the /proc/self/fd listing, the loop up to the
 * descriptor limit) marks every open fd from the given number on, a high one
 * included, and leaves the ones below it alone.
 */
// fds.c is included rather than linked, to reach each way on its own;
// first, so that its feature test macros come before any system header.
#include "../../compositor/fds.c"

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include <cmocka.h>


#define HIGH_FD 900

struct fixture {
	int fds[5]; // a pipe, /dev/null, a dup above, a high number
};

static bool cloexec(int fd) {
	int flags = fcntl(fd, F_GETFD);
	assert_true(flags >= 0);
	return (flags & FD_CLOEXEC) != 0;
}

static int setup(void **state) {
	static struct fixture f;
	int p[2];
	assert_int_equal(pipe(p), 0); // no O_CLOEXEC, as spice-server's sockets
	f.fds[0] = p[0];
	f.fds[1] = p[1];
	f.fds[2] = open("/dev/null", O_RDONLY);
	f.fds[3] = dup(f.fds[2]);
	f.fds[4] = dup2(f.fds[2], HIGH_FD);
	for (size_t i = 0; i < 5; i++) {
		assert_true(f.fds[i] >= 3);
		assert_false(cloexec(f.fds[i]));
	}
	*state = &f;
	return 0;
}

static int teardown(void **state) {
	struct fixture *f = *state;
	for (size_t i = 0; i < 5; i++) {
		close(f->fds[i]);
	}
	return 0;
}

static void check_marked(struct fixture *f, int from) {
	for (size_t i = 0; i < 5; i++) {
		assert_int_equal(cloexec(f->fds[i]), f->fds[i] >= from);
	}
}

static void test_from(void **state) {
	struct fixture *f = *state;
	swl_fds_cloexec_from(3);
	check_marked(f, 3);
}

static void test_scan(void **state) {
	struct fixture *f = *state;
	assert_true(cloexec_scan(3));
	check_marked(f, 3);
}

static void test_loop(void **state) {
	struct fixture *f = *state;
	cloexec_loop(3);
	check_marked(f, 3);
}

static void test_from_leaves_lower(void **state) {
	struct fixture *f = *state;
	// Only the fds from the third of ours on: the first two stay inheritable.
	int from = f->fds[2];
	swl_fds_cloexec_from(from);
	check_marked(f, from);
}

static void test_scan_leaves_lower(void **state) {
	struct fixture *f = *state;
	int from = f->fds[2];
	assert_true(cloexec_scan(from));
	check_marked(f, from);
}

static void test_loop_leaves_lower(void **state) {
	struct fixture *f = *state;
	int from = f->fds[2];
	cloexec_loop(from);
	check_marked(f, from);
}

int main(void) {
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_from, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scan, setup, teardown),
		cmocka_unit_test_setup_teardown(test_loop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_from_leaves_lower, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scan_leaves_lower, setup, teardown),
		cmocka_unit_test_setup_teardown(test_loop_leaves_lower, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
