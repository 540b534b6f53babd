/*
 * The vdagent file transfer messages (VD_AGENT_FILE_XFER_START / DATA /
 * STATUS): GLib's key file in START, the DATA and STATUS layouts, and the
 * names a sent file may be given in the download directory. file_xfer.c
 * does the rest. See agent_proto.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent_proto.h"
#include "agent_proto_wire.h"

_Static_assert(sizeof(VDAgentFileXferStartMessage) == 4, "VDAgentFileXferStartMessage layout");
_Static_assert(sizeof(VDAgentFileXferDataMessage) == 12, "VDAgentFileXferDataMessage layout");
_Static_assert(sizeof(VDAgentFileXferStatusMessage) == 8, "VDAgentFileXferStatusMessage");

#define FILE_XFER_GROUP "vdagent-file-xfer"

static bool is_blank(char c) {
	return c == ' ' || c == '\t';
}

/* GKeyFile's value escapes; false for any other backslash sequence or a NUL. */
static bool unescape_value(const char *v, size_t len, char *out, size_t out_cap) {
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		char c = v[i];
		if (c == '\\') {
			if (++i == len) {
				return false;
			}
			switch (v[i]) {
			case 's':
				c = ' ';
				break;
			case 'n':
				c = '\n';
				break;
			case 't':
				c = '\t';
				break;
			case 'r':
				c = '\r';
				break;
			case '\\':
				c = '\\';
				break;
			default:
				return false;
			}
		}
		if (c == '\0' || n + 1 >= out_cap) {
			return false;
		}
		out[n++] = c;
	}
	out[n] = '\0';
	return true;
}

static bool parse_u64(const char *v, size_t len, uint64_t *out) {
	if (len == 0 || len > 20) {
		return false;
	}
	uint64_t value = 0;
	for (size_t i = 0; i < len; i++) {
		if (v[i] < '0' || v[i] > '9') {
			return false;
		}
		uint64_t digit = (uint64_t)(v[i] - '0');
		if (value > (UINT64_MAX - digit) / 10) {
			return false;
		}
		value = value * 10 + digit;
	}
	*out = value;
	return true;
}

bool spb_agent_parse_file_start(const uint8_t *payload, uint32_t size, uint32_t *id,
		char *name, size_t name_cap, uint64_t *file_size) {
	if (size < sizeof(VDAgentFileXferStartMessage) || name_cap == 0) {
		return false;
	}
	const char *text = (const char *)payload + sizeof(VDAgentFileXferStartMessage);
	size_t text_len = size - sizeof(VDAgentFileXferStartMessage);
	const char *nul = memchr(text, '\0', text_len);
	if (nul != NULL) {
		text_len = (size_t)(nul - text);
	}
	bool in_group = false, have_name = false, have_size = false;
	uint64_t value_size = 0;
	const char *line = text, *end = text + text_len;
	while (line < end) {
		const char *eol = memchr(line, '\n', (size_t)(end - line));
		if (eol == NULL) {
			eol = end;
		}
		size_t len = (size_t)(eol - line);
		if (len > 0 && line[len - 1] == '\r') {
			len--;
		}
		size_t skip = 0;
		while (skip < len && is_blank(line[skip])) {
			skip++;
		}
		const char *l = line + skip;
		len -= skip;
		if (len == 0 || l[0] == '#') {
			// blank or comment
		} else if (l[0] == '[') {
			if (l[len - 1] != ']') {
				return false;
			}
			in_group = len - 2 == strlen(FILE_XFER_GROUP) &&
					memcmp(l + 1, FILE_XFER_GROUP, len - 2) == 0;
		} else {
			const char *eq = memchr(l, '=', len);
			if (eq == NULL || eq == l) {
				return false;
			}
			size_t key_len = (size_t)(eq - l);
			while (key_len > 0 && is_blank(l[key_len - 1])) {
				key_len--;
			}
			const char *v = eq + 1;
			size_t v_len = len - (size_t)(v - l);
			while (v_len > 0 && is_blank(*v)) {
				v++;
				v_len--;
			}
			if (!in_group) {
				// another group's key: not ours
			} else if (key_len == 4 && memcmp(l, "name", 4) == 0) {
				if (!unescape_value(v, v_len, name, name_cap)) {
					return false;
				}
				have_name = true;
			} else if (key_len == 4 && memcmp(l, "size", 4) == 0) {
				while (v_len > 0 && is_blank(v[v_len - 1])) {
					v_len--;
				}
				if (!parse_u64(v, v_len, &value_size)) {
					return false;
				}
				have_size = true;
			}
		}
		line = eol + 1;
	}
	if (!have_name || !have_size) {
		return false;
	}
	*id = get_le32(payload);
	*file_size = value_size;
	return true;
}

bool spb_agent_parse_file_data(const uint8_t *payload, uint32_t size, uint32_t *id,
		const uint8_t **data, uint32_t *data_size) {
	if (size < sizeof(VDAgentFileXferDataMessage)) {
		return false;
	}
	uint64_t declared = (uint64_t)get_le32(payload + 4) | (uint64_t)get_le32(payload + 8) << 32;
	if (declared != size - sizeof(VDAgentFileXferDataMessage)) {
		return false;
	}
	*id = get_le32(payload);
	*data = payload + sizeof(VDAgentFileXferDataMessage);
	*data_size = (uint32_t)declared;
	return true;
}

bool spb_agent_parse_file_status(
		const uint8_t *payload, uint32_t size, uint32_t *id, uint32_t *result) {
	if (size < sizeof(VDAgentFileXferStatusMessage)) {
		return false;
	}
	*id = get_le32(payload);
	*result = get_le32(payload + 4);
	return true;
}

bool spb_agent_build_file_status(uint32_t id, uint32_t result, const void *detail,
		uint32_t detail_size, uint8_t **out, uint32_t *size) {
	uint8_t *buf =
			spb_agent_alloc_payload(sizeof(VDAgentFileXferStatusMessage), detail_size, size);
	if (buf == NULL) {
		return false;
	}
	put_le32(buf, id);
	put_le32(buf + 4, result);
	if (detail_size > 0) {
		memcpy(buf + sizeof(VDAgentFileXferStatusMessage), detail, detail_size);
	}
	*out = buf;
	return true;
}

bool spb_agent_file_name_safe(const char *name, char *out, size_t out_cap) {
	const char *base = name;
	for (const char *c = name; *c != '\0'; c++) {
		if (*c == '/' || *c == '\\') {
			base = c + 1;
		}
	}
	size_t len = strlen(base);
	if (len == 0 || len > SPB_AGENT_FILE_NAME_MAX || len + 1 > out_cap ||
			strcmp(base, ".") == 0 || strcmp(base, "..") == 0) {
		return false;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)base[i];
		if (c == 0xc2 && i + 1 < len && (unsigned char)base[i + 1] >= 0x80 &&
				(unsigned char)base[i + 1] <= 0x9f) {
			// a C1 control character in UTF-8: two bytes become one '_'
			out[i] = '_';
			out[i + 1] = '_';
			i++;
			continue;
		}
		out[i] = c < 0x20 || c == 0x7f ? '_' : (char)c;
	}
	out[len] = '\0';
	return true;
}

bool spb_agent_file_name_variant(const char *name, unsigned n, char *out, size_t out_cap) {
	int written;
	if (n == 0) {
		written = snprintf(out, out_cap, "%s", name);
	} else {
		const char *dot = strrchr(name, '.');
		if (dot == NULL || dot == name) {
			dot = name + strlen(name);
		}
		written = snprintf(out, out_cap, "%.*s (%u)%s", (int)(dot - name), name, n, dot);
	}
	return written >= 0 && (size_t)written < out_cap;
}
