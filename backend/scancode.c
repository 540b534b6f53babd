/*
 * PC scancode set 1 to evdev keycodes: the table and the byte-at-a-time
 * decoder for what SPICE clients send through libspice-server.
 *
 * The table follows the "XT KBD" column of QEMU's keycodemapdb, which is what
 * spice-gtk (remote-viewer) uses to produce these scancodes, so what it sends
 * comes back as the keycode the client's own kernel reported.
 */
#include <linux/input-event-codes.h>

#include "scancode.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define ENTRY(code, key)                                                                          \
	{ (code), (key), #key }
#define EXT(code) (0xe000 | (code))

#define PREFIX_E0 0xe0
#define PREFIX_E1 0xe1
#define BREAK_BIT 0x80
#define CODE_MASK 0x7f

/* Pause: E1 1D 45 on press, E1 9D C5 on release. */
#define PAUSE_MAKE_1 0x1d
#define PAUSE_MAKE_2 0x45

/* One table entry: a set-1 make code (0xE0xx for extended keys) and its evdev keycode. */
struct spb_scancode_entry {
	uint16_t scancode; // 0x01..0x7f, or 0xe000 | code for E0-prefixed keys
	uint32_t keycode; // evdev KEY_*
	const char *name; // "KEY_A" etc., for tests
};

/*
 * Sorted by scancode, strictly ascending: scancode_to_keycode() searches it
 * by halves. Two make codes may share a keycode (the unit test lists them).
 */
static const struct spb_scancode_entry table[] = {
	ENTRY(0x01, KEY_ESC),
	ENTRY(0x02, KEY_1),
	ENTRY(0x03, KEY_2),
	ENTRY(0x04, KEY_3),
	ENTRY(0x05, KEY_4),
	ENTRY(0x06, KEY_5),
	ENTRY(0x07, KEY_6),
	ENTRY(0x08, KEY_7),
	ENTRY(0x09, KEY_8),
	ENTRY(0x0a, KEY_9),
	ENTRY(0x0b, KEY_0),
	ENTRY(0x0c, KEY_MINUS),
	ENTRY(0x0d, KEY_EQUAL),
	ENTRY(0x0e, KEY_BACKSPACE),
	ENTRY(0x0f, KEY_TAB),
	ENTRY(0x10, KEY_Q),
	ENTRY(0x11, KEY_W),
	ENTRY(0x12, KEY_E),
	ENTRY(0x13, KEY_R),
	ENTRY(0x14, KEY_T),
	ENTRY(0x15, KEY_Y),
	ENTRY(0x16, KEY_U),
	ENTRY(0x17, KEY_I),
	ENTRY(0x18, KEY_O),
	ENTRY(0x19, KEY_P),
	ENTRY(0x1a, KEY_LEFTBRACE),
	ENTRY(0x1b, KEY_RIGHTBRACE),
	ENTRY(0x1c, KEY_ENTER),
	ENTRY(0x1d, KEY_LEFTCTRL),
	ENTRY(0x1e, KEY_A),
	ENTRY(0x1f, KEY_S),
	ENTRY(0x20, KEY_D),
	ENTRY(0x21, KEY_F),
	ENTRY(0x22, KEY_G),
	ENTRY(0x23, KEY_H),
	ENTRY(0x24, KEY_J),
	ENTRY(0x25, KEY_K),
	ENTRY(0x26, KEY_L),
	ENTRY(0x27, KEY_SEMICOLON),
	ENTRY(0x28, KEY_APOSTROPHE),
	ENTRY(0x29, KEY_GRAVE),
	ENTRY(0x2a, KEY_LEFTSHIFT),
	ENTRY(0x2b, KEY_BACKSLASH),
	ENTRY(0x2c, KEY_Z),
	ENTRY(0x2d, KEY_X),
	ENTRY(0x2e, KEY_C),
	ENTRY(0x2f, KEY_V),
	ENTRY(0x30, KEY_B),
	ENTRY(0x31, KEY_N),
	ENTRY(0x32, KEY_M),
	ENTRY(0x33, KEY_COMMA),
	ENTRY(0x34, KEY_DOT),
	ENTRY(0x35, KEY_SLASH),
	ENTRY(0x36, KEY_RIGHTSHIFT),
	ENTRY(0x37, KEY_KPASTERISK),
	ENTRY(0x38, KEY_LEFTALT),
	ENTRY(0x39, KEY_SPACE),
	ENTRY(0x3a, KEY_CAPSLOCK),
	ENTRY(0x3b, KEY_F1),
	ENTRY(0x3c, KEY_F2),
	ENTRY(0x3d, KEY_F3),
	ENTRY(0x3e, KEY_F4),
	ENTRY(0x3f, KEY_F5),
	ENTRY(0x40, KEY_F6),
	ENTRY(0x41, KEY_F7),
	ENTRY(0x42, KEY_F8),
	ENTRY(0x43, KEY_F9),
	ENTRY(0x44, KEY_F10),
	ENTRY(0x45, KEY_NUMLOCK),
	ENTRY(0x46, KEY_SCROLLLOCK),
	ENTRY(0x47, KEY_KP7),
	ENTRY(0x48, KEY_KP8),
	ENTRY(0x49, KEY_KP9),
	ENTRY(0x4a, KEY_KPMINUS),
	ENTRY(0x4b, KEY_KP4),
	ENTRY(0x4c, KEY_KP5),
	ENTRY(0x4d, KEY_KP6),
	ENTRY(0x4e, KEY_KPPLUS),
	ENTRY(0x4f, KEY_KP1),
	ENTRY(0x50, KEY_KP2),
	ENTRY(0x51, KEY_KP3),
	ENTRY(0x52, KEY_KP0),
	ENTRY(0x53, KEY_KPDOT),
	// Alt+SysRq, and what spice-gtk sends for Print Screen; alias of E0 37
	ENTRY(0x54, KEY_SYSRQ),
	ENTRY(0x56, KEY_102ND),
	ENTRY(0x57, KEY_F11),
	ENTRY(0x58, KEY_F12),
	ENTRY(0x59, KEY_KPEQUAL),
	ENTRY(0x5c, KEY_KPJPCOMMA),
	ENTRY(0x5d, KEY_F13),
	ENTRY(0x5e, KEY_F14),
	ENTRY(0x5f, KEY_F15),
	ENTRY(0x70, KEY_KATAKANAHIRAGANA),
	ENTRY(0x73, KEY_RO),
	ENTRY(0x76, KEY_ZENKAKUHANKAKU),
	ENTRY(0x77, KEY_HIRAGANA),
	ENTRY(0x78, KEY_KATAKANA),
	ENTRY(0x79, KEY_HENKAN),
	ENTRY(0x7b, KEY_MUHENKAN),
	ENTRY(0x7d, KEY_YEN),
	ENTRY(0x7e, KEY_KPCOMMA),

	ENTRY(EXT(0x10), KEY_PREVIOUSSONG),
	ENTRY(EXT(0x19), KEY_NEXTSONG),
	ENTRY(EXT(0x1c), KEY_KPENTER),
	ENTRY(EXT(0x1d), KEY_RIGHTCTRL),
	ENTRY(EXT(0x20), KEY_MUTE),
	ENTRY(EXT(0x21), KEY_CALC),
	ENTRY(EXT(0x22), KEY_PLAYPAUSE),
	ENTRY(EXT(0x24), KEY_STOPCD),
	ENTRY(EXT(0x2e), KEY_VOLUMEDOWN),
	ENTRY(EXT(0x30), KEY_VOLUMEUP),
	ENTRY(EXT(0x32), KEY_HOMEPAGE),
	ENTRY(EXT(0x35), KEY_KPSLASH),
	ENTRY(EXT(0x37), KEY_SYSRQ), // Print Screen
	ENTRY(EXT(0x38), KEY_RIGHTALT),
	ENTRY(EXT(0x46), KEY_PAUSE), // Ctrl+Break
	ENTRY(EXT(0x47), KEY_HOME),
	ENTRY(EXT(0x48), KEY_UP),
	ENTRY(EXT(0x49), KEY_PAGEUP),
	ENTRY(EXT(0x4b), KEY_LEFT),
	ENTRY(EXT(0x4d), KEY_RIGHT),
	ENTRY(EXT(0x4f), KEY_END),
	ENTRY(EXT(0x50), KEY_DOWN),
	ENTRY(EXT(0x51), KEY_PAGEDOWN),
	ENTRY(EXT(0x52), KEY_INSERT),
	ENTRY(EXT(0x53), KEY_DELETE),
	ENTRY(EXT(0x5b), KEY_LEFTMETA),
	ENTRY(EXT(0x5c), KEY_RIGHTMETA),
	ENTRY(EXT(0x5d), KEY_COMPOSE), // Menu
	ENTRY(EXT(0x5e), KEY_POWER),
	ENTRY(EXT(0x5f), KEY_SLEEP),
	ENTRY(EXT(0x63), KEY_WAKEUP),
	ENTRY(EXT(0x65), KEY_SEARCH),
	ENTRY(EXT(0x66), KEY_BOOKMARKS),
	ENTRY(EXT(0x67), KEY_REFRESH),
	ENTRY(EXT(0x68), KEY_STOP),
	ENTRY(EXT(0x69), KEY_FORWARD),
	ENTRY(EXT(0x6a), KEY_BACK),
	ENTRY(EXT(0x6b), KEY_COMPUTER),
	ENTRY(EXT(0x6c), KEY_MAIL),
	ENTRY(EXT(0x6d), KEY_MEDIA),
};

/*
 * evdev keycode for a make code (0xe0xx for extended), 0 if unknown.
 * Also maps SPB_SCANCODE_PAUSE to KEY_PAUSE.
 */
static uint32_t scancode_to_keycode(uint16_t scancode) {
	if (scancode == SPB_SCANCODE_PAUSE) {
		return KEY_PAUSE;
	}
	size_t lo = 0, hi = ARRAY_LEN(table);
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (table[mid].scancode == scancode) {
			return table[mid].keycode;
		} else if (table[mid].scancode < scancode) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	return 0;
}

void spb_scancode_decoder_init(struct spb_scancode_decoder *decoder) {
	decoder->prefix = 0;
	decoder->pause_code = 0;
}

struct output {
	uint32_t keycode;
	bool pressed;
	uint16_t scancode;
};

/* Looks a complete sequence up: KEY if it is in the table, else UNKNOWN. */
static enum spb_scancode_result lookup(uint16_t scancode, bool pressed, struct output *out) {
	out->scancode = scancode;
	out->pressed = pressed;
	out->keycode = scancode_to_keycode(scancode);
	return out->keycode != 0 ? SPB_SCANCODE_KEY : SPB_SCANCODE_UNKNOWN;
}

/* A byte with no prefix pending. */
static enum spb_scancode_result feed_plain(
		struct spb_scancode_decoder *decoder, uint8_t byte, struct output *out) {
	switch (byte) {
	case PREFIX_E0:
		decoder->prefix = PREFIX_E0;
		return SPB_SCANCODE_NONE;
	case PREFIX_E1:
		decoder->prefix = PREFIX_E1;
		decoder->pause_code = 0;
		return SPB_SCANCODE_NONE;
	default:
		return lookup(byte & CODE_MASK, !(byte & BREAK_BIT), out);
	}
}

/* A byte after E0. */
static enum spb_scancode_result feed_extended(
		struct spb_scancode_decoder *decoder, uint8_t byte, struct output *out) {
	if (byte == PREFIX_E0) {
		return SPB_SCANCODE_NONE;
	}
	decoder->prefix = 0;
	if (byte == PREFIX_E1) {
		return feed_plain(decoder, byte, out);
	}
	uint8_t code = byte & CODE_MASK;
	// Fake shifts that keyboards wrap around Print Screen and, with Num
	// Lock on or Shift held, around the navigation keys and KP /.
	if (code == 0x2a || code == 0x36) {
		return SPB_SCANCODE_NONE;
	}
	return lookup(EXT(code), !(byte & BREAK_BIT), out);
}

/* A byte after E1, or after E1 1D / E1 9D. */
static enum spb_scancode_result feed_pause(
		struct spb_scancode_decoder *decoder, uint8_t byte, struct output *out) {
	if (decoder->pause_code == 0) {
		if ((byte & CODE_MASK) == PAUSE_MAKE_1) {
			decoder->pause_code = byte;
			return SPB_SCANCODE_NONE;
		}
	} else {
		bool pressed = !(decoder->pause_code & BREAK_BIT);
		uint8_t expected = pressed ? PAUSE_MAKE_2 : (PAUSE_MAKE_2 | BREAK_BIT);
		if (byte == expected) {
			spb_scancode_decoder_init(decoder);
			out->keycode = KEY_PAUSE;
			out->pressed = pressed;
			out->scancode = SPB_SCANCODE_PAUSE;
			return SPB_SCANCODE_KEY;
		}
	}
	// Malformed: drop what was gathered and decode this byte on its own.
	spb_scancode_decoder_init(decoder);
	return feed_plain(decoder, byte, out);
}

enum spb_scancode_result spb_scancode_feed(struct spb_scancode_decoder *decoder,
		uint8_t byte, uint32_t *keycode, bool *pressed, uint16_t *scancode) {
	struct output out = { 0 };
	enum spb_scancode_result result = SPB_SCANCODE_NONE;

	// 0x00 and 0xff are keyboard error/overrun codes, never part of a key.
	if (byte != 0x00 && byte != 0xff) {
		switch (decoder->prefix) {
		case PREFIX_E0:
			result = feed_extended(decoder, byte, &out);
			break;
		case PREFIX_E1:
			result = feed_pause(decoder, byte, &out);
			break;
		default:
			result = feed_plain(decoder, byte, &out);
			break;
		}
	}

	if (keycode != NULL) {
		*keycode = out.keycode;
	}
	if (pressed != NULL) {
		*pressed = out.pressed;
	}
	if (scancode != NULL) {
		*scancode = out.scancode;
	}
	return result;
}
