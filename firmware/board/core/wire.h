/*
 * The wire layers of docs/protocol.md: CRC-32 (§2), COBS (§2), the stream-frame receiver (§2),
 * ISO 7816-4 command APDUs (§1.1) and BER-TLV (§1.2). Decoders never read past their input and
 * return a reason text on failure, worded as the TypeScript protocol/ decoders word it.
 */
#ifndef TB_WIRE_H
#define TB_WIRE_H
#include <stddef.h>
#include <stdint.h>
#include "config.h"

uint32_t tb_crc32(const uint8_t *p, size_t n);
/** COBS-encodes n bytes into out (room for n + n/254 + 1) and returns the encoded length. */
size_t tb_cobs_encode(const uint8_t *in, size_t n, uint8_t *out);
/** Decodes in place; returns the decoded length or -1 if malformed. */
long tb_cobs_decode(uint8_t *buf, size_t n);

enum { TB_FT_REQUEST = 1, TB_FT_RESPONSE = 2, TB_FT_EVENT = 3, TB_FT_ERROR = 4 };
enum { TB_FE_BAD_CRC = 1, TB_FE_BAD_COBS, TB_FE_TOO_SHORT, TB_FE_TOO_LONG, TB_FE_BAD_VERSION, TB_FE_BAD_TYPE, TB_FE_TIMEOUT };

/** Stream receiver: the state machine of §2, one byte at a time, no allocation. */
typedef struct {
  uint8_t buf[TB_MAX_ENCODED];
  size_t len;
  int discarding;
  int64_t last; /* when the last byte of a partial (or discarded) frame came */
} tb_rx;

typedef struct {
  int type; /* TB_FT_*, or 0 for an error */
  uint8_t channel, seq;
  const uint8_t *payload;
  size_t n;
  int error;           /* TB_FE_* when type is 0 */
  int has_address;     /* the error knows channel and seq */
  char detail[64];
} tb_frame;

void tb_rx_init(tb_rx *r);
/** Called before a chunk of bytes: drops a partial frame silent for over the timeout (fills f, returns 1). */
int tb_rx_begin(tb_rx *r, int64_t now, tb_frame *f);
/** Feeds one byte. Returns 1 when a frame or an error is complete in f (valid until the next call). */
int tb_rx_byte(tb_rx *r, uint8_t b, int64_t now, tb_frame *f);

/** Encodes a frame with the delimiter into out (room: TB_MAX_ENCODED + 1 for the largest). */
size_t tb_frame_encode(int type, uint8_t channel, uint8_t seq, const uint8_t *payload, size_t n, uint8_t *scratch, uint8_t *out);

typedef struct {
  uint8_t cla, ins, p1, p2;
  const uint8_t *data;
  size_t n;
} tb_apdu;

/** ISO 7816-4 §5.1 command APDU; 0, or -1 with the reason in err. */
int tb_apdu_decode(const uint8_t *b, size_t n, tb_apdu *a, char *err, size_t errlen);

typedef struct {
  uint16_t tag;
  const uint8_t *value;
  size_t n;
} tb_tlv;

#define TB_TLV_MAX 64
/** Decodes a flat TLV sequence of at most TB_TLV_MAX fields; returns the count or -1 (reason in err). */
int tb_tlv_decode(const uint8_t *b, size_t n, tb_tlv *items, char *err, size_t errlen);

/** A TLV writer over a fixed buffer; `overflow` is set instead of writing past the end. */
typedef struct {
  uint8_t *buf;
  size_t cap, len;
  int overflow;
} tb_out;

void tb_out_init(tb_out *o, uint8_t *buf, size_t cap);
void tb_out_tlv(tb_out *o, uint16_t tag, const void *value, size_t n);
/** A uint field in the fewest bytes (at least one), big-endian. */
void tb_out_uint(tb_out *o, uint16_t tag, uint64_t v);
void tb_out_u8(tb_out *o, uint16_t tag, uint8_t v);

#endif
