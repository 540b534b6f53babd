/*
 * CHECK() for the fuzz targets: an invariant that does not hold prints where
 * and aborts, which libFuzzer reports as a crash with the input saved, and the
 * replay build as a failed test.
 */
#ifndef SPB_FUZZ_CHECK_H
#define SPB_FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond)                                                                               \
	do {                                                                                          \
		if (!(cond)) {                                                                            \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);              \
			abort();                                                                              \
		}                                                                                         \
	} while (0)

#endif
