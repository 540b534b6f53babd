/*
 * What the parts of the vdagent protocol code share (agent_proto.c,
 * agent_proto_msg.c, agent_proto_file.c): little-endian access without
 * unaligned casts, and the payload allocator of the builders. Private to
 * those files.
 */
#ifndef SPB_AGENT_PROTO_WIRE_H
#define SPB_AGENT_PROTO_WIRE_H

#include <stdint.h>

static inline uint32_t get_le32(const uint8_t *p) {
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint16_t get_le16(const uint8_t *p) {
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline void put_le32(uint8_t *p, uint32_t v) {
	p[0] = v & 0xff;
	p[1] = (v >> 8) & 0xff;
	p[2] = (v >> 16) & 0xff;
	p[3] = (v >> 24) & 0xff;
}

static inline void put_le64(uint8_t *p, uint64_t v) {
	put_le32(p, (uint32_t)v);
	put_le32(p + 4, (uint32_t)(v >> 32));
}

/*
 * Allocates a zeroed payload of header + extra bytes, if that fits in a
 * uint32 (*size is then set). Never NULL for an empty payload that fits.
 */
uint8_t *spb_agent_alloc_payload(uint64_t header, uint64_t extra, uint32_t *size);

#endif
