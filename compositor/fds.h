/*
 * Descriptor hygiene for exec: spice-server and libraries open descriptors
 * without close-on-exec, so whatever spice-wl starts would inherit them (the
 * SPICE listening socket above all). These mark every descriptor from a given
 * number on close-on-exec. All are async-signal-safe: they run in a child
 * between fork and exec.
 */
#ifndef SWL_FDS_H
#define SWL_FDS_H

#include <stdbool.h>

/* Marks every fd >= from close-on-exec: close_range, else one of the two below. */
void swl_fds_cloexec_from(int from);
/* The same by listing /proc/self/fd; false if it cannot be read. */
bool swl_fds_cloexec_scan(int from);
/* The same by trying every number below the descriptor limit. */
void swl_fds_cloexec_loop(int from);

#endif
