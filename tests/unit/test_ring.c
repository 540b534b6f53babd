/*
 * Unit tests for backend/ring.c, the command rings between the main thread
 * and spice-server's worker: order and wrap-around, a full ring, the wakeup
 * handshake, cursor moves coalesced in place, and a producer and a worker
 * thread using the ring under a lock as qxl.c does, where a lost wakeup
 * would leave commands waiting.
 */
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include <cmocka.h>

#include "ring.h"

/* A command whose data is n, to tell commands apart. */
static QXLCommandExt command(uint64_t n) {
	return (QXLCommandExt){ .cmd = { .type = QXL_CMD_DRAW, .data = n } };
}

static void push(struct spb_ring *ring, uint64_t n) {
	QXLCommandExt *slot = spb_ring_push(ring);
	assert_non_null(slot);
	*slot = command(n);
}

static uint64_t pop(struct spb_ring *ring) {
	QXLCommandExt cmd;
	assert_true(spb_ring_pop(ring, &cmd));
	return cmd.cmd.data;
}

static void test_order_and_wrap_around(void **state) {
	QXLCommandExt slots[4];
	struct spb_ring ring;
	spb_ring_init(&ring, slots, 4);
	QXLCommandExt cmd;
	assert_false(spb_ring_pop(&ring, &cmd));

	uint64_t next_in = 1, next_out = 1;
	// every offset of head in the slots, with 1 to 4 commands waiting
	for (int round = 0; round < 12; round++) {
		int n = round % 4 + 1;
		for (int i = 0; i < n; i++) {
			push(&ring, next_in++);
		}
		assert_int_equal(ring.count, n);
		for (int i = 0; i < n; i++) {
			assert_int_equal(pop(&ring), next_out++);
		}
		assert_false(spb_ring_pop(&ring, &cmd));
	}
}

static void test_full_ring_refuses(void **state) {
	QXLCommandExt slots[3];
	struct spb_ring ring;
	spb_ring_init(&ring, slots, 3);
	push(&ring, 1);
	push(&ring, 2);
	push(&ring, 3);
	assert_null(spb_ring_push(&ring));
	assert_int_equal(ring.count, 3);
	// a pop makes room for one, behind the others
	assert_int_equal(pop(&ring), 1);
	push(&ring, 4);
	assert_null(spb_ring_push(&ring));
	assert_int_equal(pop(&ring), 2);
	assert_int_equal(pop(&ring), 3);
	assert_int_equal(pop(&ring), 4);
}

static void test_wakeup_handshake(void **state) {
	QXLCommandExt slots[8];
	struct spb_ring ring;
	spb_ring_init(&ring, slots, 8);
	// the worker may not have asked yet: the first push wakes it anyway
	push(&ring, 1);
	assert_true(spb_ring_take_notify(&ring));
	push(&ring, 2);
	assert_false(spb_ring_take_notify(&ring));

	// commands waiting: the worker is told to pop again, and no wakeup follows
	assert_false(spb_ring_request_notify(&ring));
	push(&ring, 3);
	assert_false(spb_ring_take_notify(&ring));

	// empty: the worker sleeps, and the next push, only that one, wakes it
	pop(&ring);
	pop(&ring);
	pop(&ring);
	assert_true(spb_ring_request_notify(&ring));
	push(&ring, 4);
	assert_true(spb_ring_take_notify(&ring));
	push(&ring, 5);
	assert_false(spb_ring_take_notify(&ring));
}

/* A cursor command in the ring: the ring holds its address as QXL does. */
static void push_cursor(struct spb_ring *ring, QXLCursorCmd *cursor) {
	QXLCommandExt *slot = spb_ring_push(ring);
	assert_non_null(slot);
	*slot = (QXLCommandExt){
		.cmd = { .type = QXL_CMD_CURSOR, .data = (QXLPHYSICAL)(uintptr_t)cursor },
	};
}

static QXLCursorCmd move_to(int16_t x, int16_t y) {
	return (QXLCursorCmd){ .type = QXL_CURSOR_MOVE, .u.position = { .x = x, .y = y } };
}

static void test_cursor_moves_coalesce(void **state) {
	QXLCommandExt slots[8];
	struct spb_ring ring;
	spb_ring_init(&ring, slots, 8);
	QXLCursorCmd move = move_to(5, 6);
	// nothing waiting: the move is pushed
	assert_false(spb_ring_coalesce_move(&ring, &move));

	// a shape waiting: the move must follow it
	QXLCursorCmd set = { .type = QXL_CURSOR_SET };
	push_cursor(&ring, &set);
	assert_false(spb_ring_coalesce_move(&ring, &move));

	// a move waiting last: it goes to the new position, nothing is pushed
	QXLCursorCmd queued = move_to(1, 2);
	push_cursor(&ring, &queued);
	assert_true(spb_ring_coalesce_move(&ring, &move));
	assert_int_equal(ring.count, 2);
	assert_int_equal(queued.u.position.x, 5);
	assert_int_equal(queued.u.position.y, 6);
	assert_int_equal(set.type, QXL_CURSOR_SET);

	// only moves coalesce
	QXLCursorCmd hide = { .type = QXL_CURSOR_HIDE };
	assert_false(spb_ring_coalesce_move(&ring, &hide));
	// and only with the last command: after a hide, a move is a new command
	push_cursor(&ring, &hide);
	assert_false(spb_ring_coalesce_move(&ring, &move));

	// a move the worker has taken is not touched any more
	QXLCommandExt cmd;
	while (spb_ring_pop(&ring, &cmd)) {
	}
	QXLCursorCmd taken = move_to(7, 8);
	push_cursor(&ring, &taken);
	assert_true(spb_ring_pop(&ring, &cmd));
	assert_false(spb_ring_coalesce_move(&ring, &move));
	assert_int_equal(taken.u.position.x, 7);
}

/*
 * The main thread and the worker, as qxl.c and spice-server drive the ring:
 * push and take_notify under the lock, the wakeup after it; the worker pops
 * until empty, asks for a wakeup, and sleeps until one comes. Wakeups are
 * counted like spice_qxl_wakeup's messages: one sent while the worker is
 * awake still ends its next sleep.
 */
#define COMMANDS 200000

struct seam {
	pthread_mutex_t lock; // qxl.c's: guards ring
	QXLCommandExt slots[16];
	struct spb_ring ring;

	pthread_mutex_t wake_lock; // the wakeup channel: guards the rest
	pthread_cond_t woken;
	int wakeups;
	bool done;

	// the worker's findings
	uint64_t received, out_of_order, lost_wakeups;
};

static void wake(struct seam *seam) {
	pthread_mutex_lock(&seam->wake_lock);
	seam->wakeups++;
	pthread_cond_signal(&seam->woken);
	pthread_mutex_unlock(&seam->wake_lock);
}

/*
 * Sleeps until a wakeup; false once the producer is done and none came, or
 * when the worker slept for seconds with commands waiting: a lost wakeup,
 * which ends the test.
 */
static bool sleep_until_woken(struct seam *seam) {
	pthread_mutex_lock(&seam->wake_lock);
	while (seam->wakeups == 0 && !seam->done) {
		struct timespec deadline;
		clock_gettime(CLOCK_REALTIME, &deadline);
		deadline.tv_sec += 2;
		if (pthread_cond_timedwait(&seam->woken, &seam->wake_lock, &deadline) == 0) {
			continue;
		}
		pthread_mutex_lock(&seam->lock);
		bool lost = seam->ring.count > 0;
		seam->lost_wakeups += lost;
		pthread_mutex_unlock(&seam->lock);
		if (lost) {
			pthread_mutex_unlock(&seam->wake_lock);
			return false;
		}
	}
	bool woken = seam->wakeups > 0;
	seam->wakeups = 0;
	pthread_mutex_unlock(&seam->wake_lock);
	return woken;
}

/* get_command and req_cmd_notification: two calls, each taking the lock. */
static void *worker(void *data) {
	struct seam *seam = data;
	while (true) {
		pthread_mutex_lock(&seam->lock);
		QXLCommandExt cmd;
		bool got = spb_ring_pop(&seam->ring, &cmd);
		pthread_mutex_unlock(&seam->lock);
		if (got) {
			seam->out_of_order += cmd.cmd.data != seam->received + 1;
			seam->received++;
			continue;
		}
		pthread_mutex_lock(&seam->lock);
		bool empty = spb_ring_request_notify(&seam->ring);
		pthread_mutex_unlock(&seam->lock);
		if (empty && !sleep_until_woken(seam)) {
			return NULL; // done and nothing pushed since the ring went empty, or lost
		}
	}
}

static void test_threads_lose_no_wakeup(void **state) {
	struct seam *seam = calloc(1, sizeof(*seam));
	assert_non_null(seam);
	pthread_mutex_init(&seam->lock, NULL);
	pthread_mutex_init(&seam->wake_lock, NULL);
	pthread_cond_init(&seam->woken, NULL);
	spb_ring_init(&seam->ring, seam->slots, 16);
	pthread_t thread;
	assert_int_equal(pthread_create(&thread, NULL, worker, seam), 0);

	uint64_t sent = 0;
	bool lost = false;
	while (sent < COMMANDS && !lost) {
		pthread_mutex_lock(&seam->lock);
		lost = seam->lost_wakeups > 0;
		QXLCommandExt *slot = spb_ring_push(&seam->ring);
		if (slot != NULL) {
			*slot = command(++sent);
		}
		bool wake_worker = slot != NULL && spb_ring_take_notify(&seam->ring);
		pthread_mutex_unlock(&seam->lock);
		if (wake_worker) {
			wake(seam);
		} else if (slot == NULL) {
			sched_yield(); // full: the flush timer would retry
		}
	}
	pthread_mutex_lock(&seam->wake_lock);
	seam->done = true;
	pthread_cond_signal(&seam->woken);
	pthread_mutex_unlock(&seam->wake_lock);
	assert_int_equal(pthread_join(thread, NULL), 0);

	assert_int_equal(seam->lost_wakeups, 0);
	assert_int_equal(seam->received, COMMANDS);
	assert_int_equal(seam->out_of_order, 0);
	pthread_cond_destroy(&seam->woken);
	pthread_mutex_destroy(&seam->wake_lock);
	pthread_mutex_destroy(&seam->lock);
	free(seam);
}

int main(void) {
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_and_wrap_around),
		cmocka_unit_test(test_full_ring_refuses),
		cmocka_unit_test(test_wakeup_handshake),
		cmocka_unit_test(test_cursor_moves_coalesce),
		cmocka_unit_test(test_threads_lose_no_wakeup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
