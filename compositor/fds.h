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

/*
 * Marks every fd >= from close-on-exec: close_range, else by listing
 * /proc/self/fd, else by trying every number below the descriptor limit.
 */
void swl_fds_cloexec_from(int from);

#endif
