/*
 * libFuzzer target for backend/scancode.c: every input byte goes through
 * spb_scancode_feed() as libspice-server would hand it over, and what
 * comes out must agree with the table:
 *
 *   NONE     all outputs zero
 *   KEY      the keycode is the table's for *scancode, or KEY_PAUSE for the
 *            E1 sequence; pressed/released of the same key in any order
 *   UNKNOWN  keycode zero, a make code the table does not have
 *
 * A second decoder fed the same bytes with NULL outputs must stay in the
 * same state (the outputs are optional), and the state is always one the
 * decoder can leave.
 *
 * Built with -DSPB_FUZZ_REPLAY it is a plain program instead that runs
 * the files named on its command line through the target once.
 */
// scancode.c is included rather than linked, to reach its table; first, so
// that its feature test macros come before any system header.
#include "../../backend/scancode.c"

#include <linux/input-event-codes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool in_table(uint16_t scancode, uint32_t keycode) {
	for (size_t i = 0; i < ARRAY_LEN(table); i++) {
		if (table[i].scancode == scancode) {
			return table[i].keycode == keycode;
		}
	}
	return false;
}

/* A make code of the key (any, where two share it), 0 if none. */
static uint16_t make_code(uint32_t keycode) {
	for (size_t i = 0; i < ARRAY_LEN(table); i++) {
		if (table[i].keycode == keycode) {
			return table[i].scancode;
		}
	}
	return 0;
}

static void check_state(const struct spb_scancode_decoder *decoder) {
	CHECK(decoder->prefix == 0 || decoder->prefix == 0xe0 || decoder->prefix == 0xe1);
	CHECK(decoder->pause_code == 0 || decoder->pause_code == 0x1d || decoder->pause_code == 0x9d);
	CHECK(decoder->pause_code == 0 || decoder->prefix == 0xe1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	struct spb_scancode_decoder decoder, quiet;
	spb_scancode_decoder_init(&decoder);
	spb_scancode_decoder_init(&quiet);
	static bool down[KEY_MAX + 1];
	for (size_t i = 0; i <= KEY_MAX; i++) {
		down[i] = false;
	}

	for (size_t i = 0; i < size; i++) {
		uint8_t byte = data[i];
		struct spb_scancode_decoder before = decoder;
		uint32_t keycode = 0xdeadbeef;
		bool pressed = true;
		uint16_t scancode = 0xbeef;
		enum spb_scancode_result result =
				spb_scancode_feed(&decoder, byte, &keycode, &pressed, &scancode);
		CHECK(spb_scancode_feed(&quiet, byte, NULL, NULL, NULL) == result);
		CHECK(quiet.prefix == decoder.prefix && quiet.pause_code == decoder.pause_code);
		check_state(&decoder);

		switch (result) {
		case SPB_SCANCODE_NONE:
			CHECK(keycode == 0 && !pressed && scancode == 0);
			break;
		case SPB_SCANCODE_KEY:
			CHECK(keycode != 0 && keycode <= KEY_MAX);
			CHECK(scancode_to_keycode(scancode) == keycode);
			if (scancode == SPB_SCANCODE_PAUSE) {
				CHECK(keycode == KEY_PAUSE);
			} else {
				CHECK(in_table(scancode, keycode));
				// any make code of the key maps back to it
				CHECK(scancode_to_keycode(make_code(keycode)) == keycode);
			}
			// a complete sequence leaves nothing pending
			CHECK(decoder.prefix == 0);
			down[keycode] = pressed; // released without a press is fine
			break;
		case SPB_SCANCODE_UNKNOWN:
			CHECK(keycode == 0);
			// 0x80 is the break of make code 0x00: UNKNOWN with *scancode 0
			CHECK(scancode != SPB_SCANCODE_PAUSE);
			CHECK(scancode_to_keycode(scancode) == 0);
			CHECK(scancode <= 0x7f || (scancode & 0xff80) == 0xe000);
			CHECK(decoder.prefix == 0);
			break;
		default:
			CHECK(!"unexpected result");
		}

		if (byte == 0x00 || byte == 0xff) {
			// error/overrun codes change nothing
			CHECK(result == SPB_SCANCODE_NONE);
			CHECK(before.prefix == decoder.prefix && before.pause_code == decoder.pause_code);
		}
	}

	// never stuck: at most two plain make codes get the decoder back
	uint32_t keycode = 0;
	int tries = 0;
	while (keycode != KEY_A && tries++ < 3) {
		spb_scancode_feed(&decoder, 0x1e, &keycode, NULL, NULL);
	}
	CHECK(keycode == KEY_A);
	down[KEY_A] = true;

	// every key left pressed is released by its own break code
	for (uint32_t key = 0; key <= KEY_MAX; key++) {
		if (!down[key]) {
			continue;
		}
		uint16_t make = make_code(key);
		CHECK(make != 0);
		uint32_t released = 0;
		bool pressed = true;
		enum spb_scancode_result result = SPB_SCANCODE_NONE;
		if (make > 0xff) {
			CHECK(spb_scancode_feed(&decoder, make >> 8, NULL, NULL, NULL) ==
					SPB_SCANCODE_NONE);
		}
		result =
				spb_scancode_feed(&decoder, (make & 0x7f) | 0x80, &released, &pressed, NULL);
		CHECK(result == SPB_SCANCODE_KEY && released == key && !pressed);
	}
	return 0;
}

#ifdef SPB_FUZZ_REPLAY
#include "fuzz_replay.h"
#endif
