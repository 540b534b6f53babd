/*
 * Unit tests for backend/scancode.c: the set-1 table (sorted, no duplicate
 * scancodes, no duplicate keycodes but the whitelisted aliases, every key of a
 * 105-key PC keyboard present), lookups both ways, the decoder on every entry's
 * make and break bytes, Pause, Ctrl+Break, Print Screen and navigation keys
 * with fake shifts, unknown codes, ignored and malformed bytes, and a seeded
 * random-garbage run after which the decoder still works.
 */
// scancode.c is included rather than linked, to reach its table; first, so
// that its feature test macros come before any system header.
#include "../../backend/scancode.c"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <linux/input-event-codes.h>


#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

enum {
	NONE = SPB_SCANCODE_NONE,
	KEY = SPB_SCANCODE_KEY,
	UNKNOWN = SPB_SCANCODE_UNKNOWN,
};

/*
 * Table entries that intentionally share a keycode with another entry. The
 * canonical one is what keycode_to_scancode() returns.
 */
static const struct {
	uint16_t alias;
	uint16_t canonical;
	uint32_t keycode;
} aliases[] = {
	// Alt+SysRq; spice-gtk also sends it for Print Screen
	{ 0x54, 0xe037, KEY_SYSRQ },
};

/* Every key of a PC 105-key (ISO) keyboard. */
static const uint32_t keys_105[] = {
	// function row
	KEY_ESC, KEY_F1, KEY_F2, KEY_F3, KEY_F4, KEY_F5, KEY_F6, KEY_F7, KEY_F8,
	KEY_F9, KEY_F10, KEY_F11, KEY_F12, KEY_SYSRQ, KEY_SCROLLLOCK, KEY_PAUSE,
	// digit row
	KEY_GRAVE, KEY_1, KEY_2, KEY_3, KEY_4, KEY_5, KEY_6, KEY_7, KEY_8, KEY_9,
	KEY_0, KEY_MINUS, KEY_EQUAL, KEY_BACKSPACE,
	// top letter row
	KEY_TAB, KEY_Q, KEY_W, KEY_E, KEY_R, KEY_T, KEY_Y, KEY_U, KEY_I, KEY_O,
	KEY_P, KEY_LEFTBRACE, KEY_RIGHTBRACE, KEY_BACKSLASH,
	// home row
	KEY_CAPSLOCK, KEY_A, KEY_S, KEY_D, KEY_F, KEY_G, KEY_H, KEY_J, KEY_K,
	KEY_L, KEY_SEMICOLON, KEY_APOSTROPHE, KEY_ENTER,
	// bottom letter row
	KEY_LEFTSHIFT, KEY_102ND, KEY_Z, KEY_X, KEY_C, KEY_V, KEY_B, KEY_N, KEY_M,
	KEY_COMMA, KEY_DOT, KEY_SLASH, KEY_RIGHTSHIFT,
	// space row
	KEY_LEFTCTRL, KEY_LEFTMETA, KEY_LEFTALT, KEY_SPACE, KEY_RIGHTALT,
	KEY_RIGHTMETA, KEY_COMPOSE, KEY_RIGHTCTRL,
	// navigation cluster and arrows
	KEY_INSERT, KEY_HOME, KEY_PAGEUP, KEY_DELETE, KEY_END, KEY_PAGEDOWN,
	KEY_UP, KEY_LEFT, KEY_DOWN, KEY_RIGHT,
	// keypad
	KEY_NUMLOCK, KEY_KPSLASH, KEY_KPASTERISK, KEY_KPMINUS, KEY_KP7, KEY_KP8,
	KEY_KP9, KEY_KPPLUS, KEY_KP4, KEY_KP5, KEY_KP6, KEY_KP1, KEY_KP2, KEY_KP3,
	KEY_KPENTER, KEY_KP0, KEY_KPDOT,
};

struct event {
	enum spb_scancode_result result;
	uint32_t keycode;
	bool pressed;
	uint16_t scancode;
};

static struct event feed(struct spb_scancode_decoder *decoder, uint8_t byte) {
	struct event ev;
	// Poison the outputs: feed must write all three every time.
	ev.keycode = 0xdeadbeef;
	ev.pressed = true;
	ev.scancode = 0xbeef;
	ev.result = spb_scancode_feed(decoder, byte, &ev.keycode, &ev.pressed,
		&ev.scancode);
	return ev;
}

static void assert_none(struct spb_scancode_decoder *decoder, uint8_t byte) {
	struct event ev = feed(decoder, byte);
	assert_int_equal(ev.result, NONE);
	assert_int_equal(ev.keycode, 0);
	assert_false(ev.pressed);
	assert_int_equal(ev.scancode, 0);
}

static void assert_key(struct spb_scancode_decoder *decoder, uint8_t byte,
		uint32_t keycode, bool pressed, uint16_t scancode) {
	struct event ev = feed(decoder, byte);
	assert_int_equal(ev.result, KEY);
	assert_int_equal(ev.keycode, keycode);
	assert_int_equal(ev.pressed, pressed);
	assert_int_equal(ev.scancode, scancode);
}

static void assert_unknown(struct spb_scancode_decoder *decoder, uint8_t byte,
		bool pressed, uint16_t scancode) {
	struct event ev = feed(decoder, byte);
	assert_int_equal(ev.result, UNKNOWN);
	assert_int_equal(ev.keycode, 0);
	assert_int_equal(ev.pressed, pressed);
	assert_int_equal(ev.scancode, scancode);
}

static bool is_extended(uint16_t scancode) {
	return (scancode & 0xff00) == 0xe000;
}

/* Feeds the make (or break) bytes of a table scancode; the last must give the key. */
static void assert_stroke(struct spb_scancode_decoder *decoder, uint16_t scancode,
		uint32_t keycode, bool pressed) {
	uint8_t code = (scancode & 0x7f) | (pressed ? 0 : 0x80);
	if (is_extended(scancode)) {
		assert_none(decoder, 0xe0);
	}
	assert_key(decoder, code, keycode, pressed, scancode);
}

static const struct spb_scancode_entry *entries(size_t *count) {
	*count = ARRAY_LEN(table);
	assert_true(*count > 0);
	return table;
}

/* The scancode keycode_to_scancode() gives for this one's keycode. */
static uint16_t canonical(uint16_t scancode) {
	for (size_t i = 0; i < ARRAY_LEN(aliases); i++) {
		if (aliases[i].alias == scancode) {
			return aliases[i].canonical;
		}
	}
	return scancode;
}

/*
 * The usual make code of an evdev keycode, 0 if none: where two make codes
 * share a keycode the canonical one, so KEY_SYSRQ gives 0xe037 (Print
 * Screen), not 0x54 (Alt+SysRq). What a client sends for the key.
 */
static uint16_t keycode_to_scancode(uint32_t keycode) {
	for (size_t i = 0; keycode != 0 && i < ARRAY_LEN(table); i++) {
		if (table[i].keycode == keycode && canonical(table[i].scancode) == table[i].scancode) {
			return table[i].scancode;
		}
	}
	return 0;
}

static void test_table_well_formed(void **state) {
	size_t n;
	const struct spb_scancode_entry *t = entries(&n);

	for (size_t i = 0; i < n; i++) {
		uint16_t sc = t[i].scancode;
		uint16_t code = sc & 0xff;
		assert_true(sc <= 0x7f || is_extended(sc));
		assert_true(code >= 0x01 && code <= 0x7f);
		// E0 2A / E0 36 are the fake shifts and must never map to a key
		assert_false(sc == 0xe02a || sc == 0xe036);
		assert_int_not_equal(t[i].keycode, 0);
		assert_true(t[i].keycode <= KEY_MAX);
		assert_non_null(t[i].name);
		assert_int_equal(strncmp(t[i].name, "KEY_", 4), 0);
		assert_true(strlen(t[i].name) > 4);
		// strictly ascending: sorted, and no scancode twice
		if (i > 0) {
			assert_true(t[i - 1].scancode < sc);
		}
	}
}

static void test_table_unique_keycodes(void **state) {
	size_t n;
	const struct spb_scancode_entry *t = entries(&n);

	for (size_t i = 0; i < n; i++) {
		for (size_t j = i + 1; j < n; j++) {
			if (t[i].keycode != t[j].keycode) {
				continue;
			}
			// a duplicate keycode must be a whitelisted alias pair
			bool listed = false;
			for (size_t k = 0; k < ARRAY_LEN(aliases); k++) {
				uint16_t a = aliases[k].alias, c = aliases[k].canonical;
				if (((t[i].scancode == a && t[j].scancode == c) ||
						(t[i].scancode == c && t[j].scancode == a)) &&
						aliases[k].keycode == t[i].keycode) {
					listed = true;
				}
			}
			if (!listed) {
				fail_msg("%s at 0x%04x and 0x%04x is not a listed alias",
					t[i].name, t[i].scancode, t[j].scancode);
			}
		}
	}

	// and the whitelist is not stale
	for (size_t k = 0; k < ARRAY_LEN(aliases); k++) {
		assert_int_equal(scancode_to_keycode(aliases[k].alias),
			aliases[k].keycode);
		assert_int_equal(scancode_to_keycode(aliases[k].canonical),
			aliases[k].keycode);
	}
}

static void test_table_lookup_roundtrip(void **state) {
	size_t n;
	const struct spb_scancode_entry *t = entries(&n);

	for (size_t i = 0; i < n; i++) {
		assert_int_equal(scancode_to_keycode(t[i].scancode), t[i].keycode);

		uint16_t back = keycode_to_scancode(t[i].keycode);
		assert_int_equal(back, canonical(t[i].scancode));
		assert_int_equal(scancode_to_keycode(back), t[i].keycode);
	}
}

static void test_table_decoder_roundtrip(void **state) {
	size_t n;
	const struct spb_scancode_entry *t = entries(&n);
	struct spb_scancode_decoder decoder;
	spb_scancode_decoder_init(&decoder);

	for (size_t i = 0; i < n; i++) {
		assert_stroke(&decoder, t[i].scancode, t[i].keycode, true);
		assert_stroke(&decoder, t[i].scancode, t[i].keycode, false);
	}
	// and all pressed first, then all released
	for (size_t i = 0; i < n; i++) {
		assert_stroke(&decoder, t[i].scancode, t[i].keycode, true);
	}
	for (size_t i = n; i-- > 0;) {
		assert_stroke(&decoder, t[i].scancode, t[i].keycode, false);
	}
}

static void test_105_keys_present(void **state) {
	assert_int_equal(ARRAY_LEN(keys_105), 105);
	for (size_t i = 0; i < ARRAY_LEN(keys_105); i++) {
		for (size_t j = i + 1; j < ARRAY_LEN(keys_105); j++) {
			assert_int_not_equal(keys_105[i], keys_105[j]);
		}
		uint16_t sc = keycode_to_scancode(keys_105[i]);
		if (sc == 0) {
			fail_msg("keycode %u has no scancode", keys_105[i]);
		}
		assert_int_equal(scancode_to_keycode(sc), keys_105[i]);
	}

	// the usual make codes of a few keys that are easy to get wrong
	assert_int_equal(keycode_to_scancode(KEY_102ND), 0x56);
	assert_int_equal(keycode_to_scancode(KEY_BACKSLASH), 0x2b);
	assert_int_equal(keycode_to_scancode(KEY_KPASTERISK), 0x37);
	assert_int_equal(keycode_to_scancode(KEY_SYSRQ), 0xe037);
	assert_int_equal(keycode_to_scancode(KEY_PAUSE), 0xe046);
	assert_int_equal(keycode_to_scancode(KEY_COMPOSE), 0xe05d);
	assert_int_equal(keycode_to_scancode(KEY_KPENTER), 0xe01c);
	assert_int_equal(keycode_to_scancode(KEY_F11), 0x57);
	assert_int_equal(keycode_to_scancode(KEY_F12), 0x58);
}

static void test_pause(void **state) {
	struct spb_scancode_decoder decoder;
	spb_scancode_decoder_init(&decoder);

	// what a keyboard sends, all on press
	assert_none(&decoder, 0xe1);
	assert_none(&decoder, 0x1d);
	assert_key(&decoder, 0x45, KEY_PAUSE, true, SPB_SCANCODE_PAUSE);
	assert_none(&decoder, 0xe1);
	assert_none(&decoder, 0x9d);
	assert_key(&decoder, 0xc5, KEY_PAUSE, false, SPB_SCANCODE_PAUSE);

	// the decoder is idle again
	assert_key(&decoder, 0x1d, KEY_LEFTCTRL, true, 0x1d);
	assert_key(&decoder, 0x45, KEY_NUMLOCK, true, 0x45);
	assert_key(&decoder, 0xc5, KEY_NUMLOCK, false, 0x45);
	assert_key(&decoder, 0x9d, KEY_LEFTCTRL, false, 0x1d);

	assert_int_equal(scancode_to_keycode(SPB_SCANCODE_PAUSE), KEY_PAUSE);
}

static void test_ctrl_break(void **state) {
	struct spb_scancode_decoder decoder;
	spb_scancode_decoder_init(&decoder);

	assert_key(&decoder, 0x1d, KEY_LEFTCTRL, true, 0x1d);
	assert_none(&decoder, 0xe0);
	assert_key(&decoder, 0x46, KEY_PAUSE, true, 0xe046);
	assert_none(&decoder, 0xe0);
	assert_key(&decoder, 0xc6, KEY_PAUSE, false, 0xe046);
	assert_key(&decoder, 0x9d, KEY_LEFTCTRL, false, 0x1d);
}

static void test_print_screen(void **state) {
	struct spb_scancode_decoder decoder;
	spb_scancode_decoder_init(&decoder);

	// with fake shifts, as a keyboard sends it
	const uint8_t make[] = { 0xe0, 0x2a, 0xe0 };
	for (size_t i = 0; i < ARRAY_LEN(make); i++) {
		assert_none(&decoder, make[i]);
	}
	assert_key(&decoder, 0x37, KEY_SYSRQ, true, 0xe037);
	assert_none(&decoder, 0xe0);
	assert_key(&decoder, 0xb7, KEY_SYSRQ, false, 0xe037);
	assert_none(&decoder, 0xe0);
	assert_none(&decoder, 0xaa);

	// without them
	assert_none(&decoder, 0xe0);
	assert_key(&decoder, 0x37, KEY_SYSRQ, true, 0xe037);
	assert_none(&decoder, 0xe0);
	assert_key(&decoder, 0xb7, KEY_SYSRQ, false, 0xe037);

	// Alt+SysRq, and spice-gtk's Print Screen
	assert_key(&decoder, 0x54, KEY_SYSRQ, true, 0x54);
	assert_key(&decoder, 0xd4, KEY_SYSRQ, false, 0x54);

	// plain 0x37 is still the keypad's *
	assert_key(&decoder, 0x37, KEY_KPASTERISK, true, 0x37);
	assert_key(&decoder, 0xb7, KEY_KPASTERISK, false, 0x37);
}

static void test_fake_shifts_around_navigation(void **state) {
	struct spb_scancode_decoder decoder;
	spb_scancode_decoder_init(&decoder);

	// Num Lock on: Insert wrapped in a fake left shift press/release
	assert_none(&decoder, 0xe0);
	assert_none(&decoder, 0x2a);
	assert_stroke(&decoder, 0xe052, KEY_INSERT, true);
	assert_stroke(&decoder, 0xe052, KEY_INSERT, false);
	assert_none(&decoder, 0xe0);
	assert_none(&decoder, 0xaa);

	// left shift held: Home wrapped in a fake shift release/press
	assert_key(&decoder, 0x2a, KEY_LEFTSHIFT, true, 0x2a);
	assert_none(&decoder, 0xe0);
	assert_none(&decoder, 0xaa);
	assert_stroke(&decoder, 0xe047, KEY_HOME, true);
	assert_stroke(&decoder, 0xe047, KEY_HOME, false);
	assert_none(&decoder, 0xe0);
	assert_none(&decoder, 0x2a);
	assert_key(&decoder, 0xaa, KEY_LEFTSHIFT, false, 0x2a);

	// right shift held: KP / wrapped in E0 B6 / E0 36
	assert_key(&decoder, 0x36, KEY_RIGHTSHIFT, true, 0x36);
	assert_none(&decoder, 0xe0);
	assert_none(&decoder, 0xb6);
	assert_stroke(&decoder, 0xe035, KEY_KPSLASH, true);
	assert_stroke(&decoder, 0xe035, KEY_KPSLASH, false);
	assert_none(&decoder, 0xe0);
	assert_none(&decoder, 0x36);
	assert_key(&decoder, 0xb6, KEY_RIGHTSHIFT, false, 0x36);
}

static void test_unknown(void **state) {
	struct spb_scancode_decoder decoder;
	spb_scancode_decoder_init(&decoder);

	assert_unknown(&decoder, 0x55, true, 0x55);
	assert_unknown(&decoder, 0xd5, false, 0x55);
	assert_unknown(&decoder, 0x7f, true, 0x7f);
	assert_unknown(&decoder, 0x80, false, 0x00);

	// an E0 code whose plain code is a key is not that key
	assert_none(&decoder, 0xe0);
	assert_unknown(&decoder, 0x1e, true, 0xe01e);
	assert_none(&decoder, 0xe0);
	assert_unknown(&decoder, 0x9e, false, 0xe01e);
	assert_none(&decoder, 0xe0);
	assert_unknown(&decoder, 0x01, true, 0xe001);
	assert_none(&decoder, 0xe0);
	assert_unknown(&decoder, 0xfe, false, 0xe07e);

	// decoding carries on
	assert_key(&decoder, 0x1e, KEY_A, true, 0x1e);
	assert_key(&decoder, 0x9e, KEY_A, false, 0x1e);

	// lookups
	assert_int_equal(scancode_to_keycode(0), 0);
	assert_int_equal(scancode_to_keycode(0x55), 0);
	assert_int_equal(scancode_to_keycode(0xe01e), 0);
	assert_int_equal(scancode_to_keycode(0xe02a), 0);
	assert_int_equal(scancode_to_keycode(0xe036), 0);
	assert_int_equal(scancode_to_keycode(0x9e), 0);
	assert_int_equal(scancode_to_keycode(0xffff), 0);
	assert_int_equal(keycode_to_scancode(KEY_RESERVED), 0);
	assert_int_equal(keycode_to_scancode(KEY_F24), 0);
	assert_int_equal(keycode_to_scancode(BTN_LEFT), 0);
	assert_int_equal(keycode_to_scancode(KEY_MAX), 0);
	assert_int_equal(keycode_to_scancode(UINT32_MAX), 0);
}

static void test_ignored_bytes(void **state) {
	struct spb_scancode_decoder decoder;
	spb_scancode_decoder_init(&decoder);

	assert_none(&decoder, 0x00);
	assert_none(&decoder, 0xff);

	// inside an E0 sequence: ignored, prefix kept; E0 E0 keeps it too
	assert_none(&decoder, 0xe0);
	assert_none(&decoder, 0x00);
	assert_none(&decoder, 0xe0);
	assert_none(&decoder, 0xff);
	assert_key(&decoder, 0x1d, KEY_RIGHTCTRL, true, 0xe01d);
	assert_none(&decoder, 0xe0);
	assert_none(&decoder, 0xe0);
	assert_none(&decoder, 0xe0);
	assert_key(&decoder, 0x9d, KEY_RIGHTCTRL, false, 0xe01d);

	// inside the Pause sequence
	assert_none(&decoder, 0xe1);
	assert_none(&decoder, 0x00);
	assert_none(&decoder, 0x1d);
	assert_none(&decoder, 0xff);
	assert_key(&decoder, 0x45, KEY_PAUSE, true, SPB_SCANCODE_PAUSE);
}

static void test_malformed(void **state) {
	struct spb_scancode_decoder decoder;
	spb_scancode_decoder_init(&decoder);

	// the byte that breaks an E1 sequence is decoded afresh
	assert_none(&decoder, 0xe1);
	assert_key(&decoder, 0x1e, KEY_A, true, 0x1e);
	assert_none(&decoder, 0xe1);
	assert_none(&decoder, 0x1d);
	assert_key(&decoder, 0x9e, KEY_A, false, 0x1e);
	assert_none(&decoder, 0xe1);
	assert_none(&decoder, 0x9d);
	assert_key(&decoder, 0x45, KEY_NUMLOCK, true, 0x45); // E1 9D wants C5
	assert_none(&decoder, 0xe1);
	assert_none(&decoder, 0x1d);
	assert_key(&decoder, 0xc5, KEY_NUMLOCK, false, 0x45); // E1 1D wants 45
	assert_none(&decoder, 0xe1);
	assert_none(&decoder, 0xe0);
	assert_key(&decoder, 0x38, KEY_RIGHTALT, true, 0xe038);
	assert_none(&decoder, 0xe1);
	assert_none(&decoder, 0x1d);
	assert_none(&decoder, 0xe0);
	assert_key(&decoder, 0xb8, KEY_RIGHTALT, false, 0xe038);

	// E1 restarts an E1 sequence; E0 E1 drops the E0 and starts one
	assert_none(&decoder, 0xe1);
	assert_none(&decoder, 0xe1);
	assert_none(&decoder, 0x1d);
	assert_key(&decoder, 0x45, KEY_PAUSE, true, SPB_SCANCODE_PAUSE);
	assert_none(&decoder, 0xe1);
	assert_none(&decoder, 0x9d);
	assert_none(&decoder, 0xe1);
	assert_none(&decoder, 0x9d);
	assert_key(&decoder, 0xc5, KEY_PAUSE, false, SPB_SCANCODE_PAUSE);
	assert_none(&decoder, 0xe0);
	assert_none(&decoder, 0xe1);
	assert_none(&decoder, 0x1d);
	assert_key(&decoder, 0x45, KEY_PAUSE, true, SPB_SCANCODE_PAUSE);

	// init forgets a pending prefix
	assert_none(&decoder, 0xe0);
	spb_scancode_decoder_init(&decoder);
	assert_key(&decoder, 0x1d, KEY_LEFTCTRL, true, 0x1d);
	assert_none(&decoder, 0xe1);
	assert_none(&decoder, 0x1d);
	spb_scancode_decoder_init(&decoder);
	assert_key(&decoder, 0x45, KEY_NUMLOCK, true, 0x45);
}

static void test_null_outputs(void **state) {
	struct spb_scancode_decoder decoder;
	spb_scancode_decoder_init(&decoder);

	assert_int_equal(spb_scancode_feed(&decoder, 0xe0, NULL, NULL, NULL), NONE);
	assert_int_equal(spb_scancode_feed(&decoder, 0x48, NULL, NULL, NULL), KEY);
	assert_int_equal(spb_scancode_feed(&decoder, 0x55, NULL, NULL, NULL), UNKNOWN);
	uint32_t keycode = 0;
	assert_int_equal(spb_scancode_feed(&decoder, 0x9e, &keycode, NULL, NULL), KEY);
	assert_int_equal(keycode, KEY_A);
}

/* xorshift32: the same bytes on every libc. */
static uint32_t next_random(uint32_t *s) {
	uint32_t x = *s;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*s = x;
	return x;
}

/*
 * After any state, 'A' pressed and released twice decodes: the first press
 * only fails (as E0 1E) when an E0 prefix was pending, everything else exactly.
 */
static void assert_recovers(struct spb_scancode_decoder *decoder, bool e0_pending) {
	if (e0_pending) {
		assert_unknown(decoder, 0x1e, true, 0xe01e);
	} else {
		assert_key(decoder, 0x1e, KEY_A, true, 0x1e);
	}
	assert_key(decoder, 0x9e, KEY_A, false, 0x1e);
	assert_key(decoder, 0x1e, KEY_A, true, 0x1e);
	assert_key(decoder, 0x9e, KEY_A, false, 0x1e);
}

static void test_random_garbage(void **state) {
	// bytes that drive the decoder's states, mixed into the uniform ones
	static const uint8_t special[] = {
		0x00, 0xff, 0xe0, 0xe1, 0x1d, 0x9d, 0x45, 0xc5, 0x2a, 0xaa, 0x36, 0xb6,
		0x37, 0xb7, 0x46, 0xc6,
	};
	struct spb_scancode_decoder decoder;
	spb_scancode_decoder_init(&decoder);
	uint32_t seed = 0x5c4bc0de;
	bool e0_pending = false;
	size_t counts[3] = {0}, pauses = 0;

	for (int i = 0; i < 100000; i++) {
		uint32_t r = next_random(&seed);
		uint8_t byte = (r & 0x100) ? special[(r >> 9) % ARRAY_LEN(special)] : (r & 0xff);

		struct event ev = feed(&decoder, byte);
		switch (ev.result) {
		case SPB_SCANCODE_NONE:
			assert_int_equal(ev.keycode, 0);
			assert_int_equal(ev.scancode, 0);
			break;
		case SPB_SCANCODE_KEY:
			assert_int_not_equal(ev.keycode, 0);
			assert_int_equal(scancode_to_keycode(ev.scancode), ev.keycode);
			if (ev.scancode == SPB_SCANCODE_PAUSE) {
				pauses++;
			}
			break;
		case SPB_SCANCODE_UNKNOWN:
			assert_int_equal(ev.keycode, 0);
			assert_int_equal(scancode_to_keycode(ev.scancode), 0);
			break;
		default:
			fail_msg("result %d", ev.result);
		}
		counts[ev.result]++;

		if (byte != 0x00 && byte != 0xff) {
			e0_pending = byte == 0xe0;
		}
		if (i % 97 == 0) {
			// on a copy, so the garbage stream goes on undisturbed
			struct spb_scancode_decoder copy = decoder;
			assert_recovers(&copy, e0_pending);
		}
	}

	// all paths were taken
	assert_true(counts[NONE] > 0);
	assert_true(counts[KEY] > 0);
	assert_true(counts[UNKNOWN] > 0);
	assert_true(pauses > 0);

	// and the decoder itself, after all of it
	assert_recovers(&decoder, e0_pending);
	assert_key(&decoder, 0x1e, KEY_A, true, 0x1e);
	assert_key(&decoder, 0x9e, KEY_A, false, 0x1e);
}

int main(void) {
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_well_formed),
		cmocka_unit_test(test_table_unique_keycodes),
		cmocka_unit_test(test_table_lookup_roundtrip),
		cmocka_unit_test(test_table_decoder_roundtrip),
		cmocka_unit_test(test_105_keys_present),
		cmocka_unit_test(test_pause),
		cmocka_unit_test(test_ctrl_break),
		cmocka_unit_test(test_print_screen),
		cmocka_unit_test(test_fake_shifts_around_navigation),
		cmocka_unit_test(test_unknown),
		cmocka_unit_test(test_ignored_bytes),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_null_outputs),
		cmocka_unit_test(test_random_garbage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
