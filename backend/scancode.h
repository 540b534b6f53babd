/*
 * Keyboard input from SPICE clients: PC scancode set 1 bytes, as libspice-server
 * hands them to SpiceKbdInterface.push_scan_freg one at a time, decoded into
 * evdev keycodes. Pure: no SPICE, no wlroots, so it is unit-tested alone.
 */
#ifndef SPB_SCANCODE_H
#define SPB_SCANCODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The make code reported in *scancode for the Pause key's E1 1D 45 / E1 9D C5
 * sequence: its first two bytes, as spice-gtk names it. It is not a table entry
 * (the table's Pause entry is Ctrl+Break, E0 46, the inverse of KEY_PAUSE), but
 * the decoder reports it as KEY_PAUSE.
 */
#define SPB_SCANCODE_PAUSE 0xe11d

enum spb_scancode_result {
	SPB_SCANCODE_NONE, // byte consumed, sequence incomplete (or ignored fake shift)
	SPB_SCANCODE_KEY, // *keycode and *pressed are set
	SPB_SCANCODE_UNKNOWN, // complete sequence with no mapping; *scancode set
};

struct spb_scancode_decoder {
	// private state
	uint8_t prefix; // 0, 0xe0 or 0xe1: the prefix byte waiting for its code
	uint8_t pause_code; // after E1: 0x1d or 0x9d once seen, else 0
};

void spb_scancode_decoder_init(struct spb_scancode_decoder *decoder);

/*
 * Feeds one byte. For the Pause sequence it returns KEY with pressed=true after E1 1D 45
 * and KEY with pressed=false after E1 9D C5. *scancode always receives the complete make
 * code of the sequence when the result is KEY or UNKNOWN.
 *
 * All three outputs are always written (0 and false where they do not apply:
 * *keycode is 0 for UNKNOWN, everything is 0 for NONE; *pressed is also set
 * for UNKNOWN); any of them may be NULL. Breaks are reported whether or not the
 * key was pressed; tracking key state is up to the caller.
 *
 * Any byte sequence is accepted: 0x00 and 0xff are ignored, E0 E0 keeps the
 * prefix, E0 2A / E0 AA / E0 36 / E0 B6 (fake shifts) are dropped, and a
 * malformed E0 or E1 sequence is abandoned with the offending byte decoded
 * afresh, so the decoder never stays stuck.
 */
enum spb_scancode_result spb_scancode_feed(struct spb_scancode_decoder *decoder,
		uint8_t byte, uint32_t *keycode, bool *pressed, uint16_t *scancode);

#endif
