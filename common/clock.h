/*
 * The one clock of spice-wl, backend and compositor alike: CLOCK_MONOTONIC,
 * the clock wlroots' presentation feedback (the backend's
 * get_presentation_clock) and spice-server's timers use too. Header-only, so
 * that the backend library exports nothing for it.
 */
#ifndef SWL_CLOCK_H
#define SWL_CLOCK_H

#include <stdint.h>
#include <time.h>

/* Units per second for swl_clock_now. */
#define SWL_CLOCK_MS 1000
#define SWL_CLOCK_US 1000000
#define SWL_CLOCK_NS 1000000000

/* Now, in per_second units: SWL_CLOCK_MS, SWL_CLOCK_US or SWL_CLOCK_NS. */
static inline int64_t swl_clock_now(int64_t per_second) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * per_second + ts.tv_nsec / (SWL_CLOCK_NS / per_second);
}

/* Now as a struct timespec, for wlroots' frame-done and present events. */
static inline struct timespec swl_clock_timespec(void) {
	int64_t ns = swl_clock_now(SWL_CLOCK_NS);
	return (struct timespec){ .tv_sec = ns / SWL_CLOCK_NS, .tv_nsec = ns % SWL_CLOCK_NS };
}

#endif
