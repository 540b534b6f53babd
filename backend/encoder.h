/*
 * spice-server's encoder settings by the names spice-wl's options give them:
 * the one table of what each takes, for checking values (the public
 * wlr_spice_encoder_check) and for handing them to spice-server. Pure: the
 * option parser's unit test links it alone.
 */
#ifndef SPB_ENCODER_H
#define SPB_ENCODER_H

#include <stdbool.h>

/*
 * The spice-server value (SPICE_IMAGE_COMPRESSION_*, SPICE_WAN_COMPRESSION_*,
 * SPICE_STREAM_VIDEO_*) of an encoder option with a fixed set of values;
 * false for other options and unknown values.
 */
bool spb_encoder_lookup(const char *option, const char *value, int *out);

#endif
