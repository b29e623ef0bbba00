/* CRC-32, COBS, stream frames, APDUs and TLV: see wire.h and docs/protocol.md §1-2. */
#include <string.h>
#include "wire.h"
#include "text.h"

uint32_t tb_crc32(const uint8_t *p, size_t n) {
  uint32_t c = 0xffffffffu;
  for (size_t i = 0; i < n; i++) {
    c ^= p[i];
    for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
  }
  return c ^ 0xffffffffu;
}

size_t tb_cobs_encode(const uint8_t *in, size_t n, uint8_t *out) {
  size_t code_at = 0, o = 1;
  uint8_t code = 1;
  for (size_t i = 0; i < n; i++) {
    if (in[i] == 0) {
      out[code_at] = code, code_at = o++, code = 1;
    } else {
      out[o++] = in[i], code++;
      if (code == 0xff) out[code_at] = code, code_at = o++, code = 1;
    }
  }
  out[code_at] = code;
  return o;
}

long tb_cobs_decode(uint8_t *buf, size_t n) {
  size_t i = 0, o = 0;
  while (i < n) {
    uint8_t code = buf[i++];
    if (code == 0) return -1;
    size_t end = i + code - 1;
    if (end > n) return -1;
    for (; i < end; i++) {
      if (buf[i] == 0) return -1;
      buf[o++] = buf[i];
    }
    if (code != 0xff && i < n) buf[o++] = 0;
  }
  return (long)o;
}

void tb_rx_init(tb_rx *r) { r->len = 0, r->discarding = 0, r->last = 0; }

static void fail(tb_frame *f, int code, const char *a, uint64_t n, const char *b) {
  tb_text t;
  f->type = 0, f->error = code, f->has_address = 0;
  tb_text_init(&t, f->detail, sizeof f->detail);
  tb_text_str(&t, a);
  if (b) tb_text_u64(&t, n), tb_text_str(&t, b);
}

int tb_rx_begin(tb_rx *r, int64_t now, tb_frame *f) {
  /* §2, P-2.6: silence since the frame's last byte counts, not its age (a slow link is no stall). */
  if ((r->len > 0 || r->discarding) && now - r->last > TB_STREAM_TIMEOUT_MS) {
    int report = !r->discarding;
    size_t len = r->len;
    r->len = 0, r->discarding = 0;
    if (report) {
      fail(f, TB_FE_TIMEOUT, "partial frame of ", len, " bytes timed out");
      return 1;
    }
  }
  return 0;
}

static void decode(tb_rx *r, tb_frame *f) {
  long n = tb_cobs_decode(r->buf, r->len);
  if (n < 0) return fail(f, TB_FE_BAD_COBS, "frame is not valid COBS", 0, 0);
  if (n < 7) return fail(f, TB_FE_TOO_SHORT, "frame of ", (uint64_t)n, " bytes is shorter than header and CRC (7)");
  const uint8_t *raw = r->buf;
  size_t body = (size_t)n - 4;
  uint32_t want = ((uint32_t)raw[body] << 24) | ((uint32_t)raw[body + 1] << 16) | ((uint32_t)raw[body + 2] << 8) | raw[body + 3];
  if (tb_crc32(raw, body) != want) return fail(f, TB_FE_BAD_CRC, "frame CRC does not match", 0, 0);
  int version = raw[0] >> 4, type = raw[0] & 15;
  if (version != 1) {
    fail(f, TB_FE_BAD_VERSION, "frame version ", (uint64_t)version, " is not 1");
  } else if (type < 1 || type > 4) {
    fail(f, TB_FE_BAD_TYPE, "frame type ", (uint64_t)type, " is unknown");
  } else {
    f->type = type, f->channel = raw[1], f->seq = raw[2], f->payload = raw + 3, f->n = body - 3;
    return;
  }
  f->has_address = 1, f->channel = raw[1], f->seq = raw[2];
}

int tb_rx_byte(tb_rx *r, uint8_t b, int64_t now, tb_frame *f) {
  if (b == 0) {
    int done = 0;
    if (!r->discarding && r->len > 0) decode(r, f), done = 1;
    r->len = 0, r->discarding = 0;
    return done;
  }
  r->last = now;
  if (r->discarding) return 0;
  if (r->len == TB_MAX_ENCODED) {
    fail(f, TB_FE_TOO_LONG, "frame is longer than ", TB_MAX_ENCODED, " bytes");
    r->discarding = 1, r->len = 0;
    return 1;
  }
  r->buf[r->len++] = b;
  return 0;
}

size_t tb_frame_encode(int type, uint8_t channel, uint8_t seq, const uint8_t *payload, size_t n, uint8_t *scratch, uint8_t *out) {
  scratch[0] = (uint8_t)(0x10 | type), scratch[1] = channel, scratch[2] = seq;
  if (n) memmove(scratch + 3, payload, n);
  uint32_t c = tb_crc32(scratch, 3 + n);
  scratch[3 + n] = (uint8_t)(c >> 24), scratch[4 + n] = (uint8_t)(c >> 16), scratch[5 + n] = (uint8_t)(c >> 8), scratch[6 + n] = (uint8_t)c;
  size_t m = tb_cobs_encode(scratch, n + 7, out);
  out[m] = 0;
  return m + 1;
}

static int apdu_bad(char *err, size_t errlen, const char *a, long x, const char *b, long y, const char *c) {
  tb_text t;
  tb_text_init(&t, err, errlen);
  tb_text_str(&t, a);
  if (b) {
    tb_text_u64(&t, (uint64_t)x), tb_text_str(&t, b);
    if (c) tb_text_u64(&t, (uint64_t)y), tb_text_str(&t, c);
  }
  return -1;
}

int tb_apdu_decode(const uint8_t *b, size_t n, tb_apdu *a, char *err, size_t errlen) {
  if (n < 4) return apdu_bad(err, errlen, "APDU of ", (long)n, " bytes is shorter than its 4-byte header", 0, 0);
  a->cla = b[0], a->ins = b[1], a->p1 = b[2], a->p2 = b[3], a->data = b + 4, a->n = 0;
  size_t body = n - 4;
  if (body <= 1) return 0;
  if (b[4] != 0) {
    size_t lc = b[4];
    if (body == 1 + lc || body == 2 + lc) return a->data = b + 5, a->n = lc, 0;
    return apdu_bad(err, errlen, "APDU Lc says ", (long)lc, " data bytes but ", (long)body - 1, " follow the header");
  }
  if (body < 3) return apdu_bad(err, errlen, "extended APDU length is cut short", 0, 0, 0, 0);
  size_t lc = ((size_t)b[5] << 8) | b[6];
  if (body == 3) return 0;
  if (lc == 0) return apdu_bad(err, errlen, "extended APDU Lc is 0", 0, 0, 0, 0);
  if (body == 3 + lc || body == 5 + lc) return a->data = b + 7, a->n = lc, 0;
  return apdu_bad(err, errlen, "extended APDU Lc says ", (long)lc, " data bytes but ", (long)body - 3, " follow");
}

int tb_tlv_decode(const uint8_t *b, size_t n, tb_tlv *items, char *err, size_t errlen) {
  tb_text t;
  size_t i = 0;
  int count = 0;
  tb_text_init(&t, err, errlen);
  while (i < n) {
    if (count >= TB_TLV_MAX) return tb_text_str(&t, "more than 64 TLV fields"), -1;
    unsigned tag = b[i++];
    if (tag == 0x00 || tag == 0xff) {
      tb_text_str(&t, tag == 0 ? "TLV tag 00 at byte " : "TLV tag ff at byte "), tb_text_u64(&t, i - 1), tb_text_str(&t, " is not allowed");
      return -1;
    }
    if ((tag & 0x1f) == 0x1f) {
      if (i >= n) return tb_text_str(&t, "TLV tag is cut short"), -1;
      unsigned second = b[i++];
      if (second & 0x80) {
        static const char H[] = "0123456789abcdef";
        char h[5] = {H[tag >> 4], H[tag & 15], H[second >> 4], H[second & 15], 0};
        return tb_text_str(&t, "TLV tag "), tb_text_str(&t, h), tb_text_str(&t, "... is longer than two bytes"), -1;
      }
      tag = (tag << 8) | second;
    }
    if (i >= n) return tb_text_str(&t, "TLV "), tb_text_hex(&t, tag), tb_text_str(&t, " has no length"), -1;
    size_t len = b[i++];
    if (len == 0x81 || len == 0x82) {
      size_t k = len - 0x80;
      if (i + k > n) return tb_text_str(&t, "TLV "), tb_text_hex(&t, tag), tb_text_str(&t, " length is cut short"), -1;
      len = k == 1 ? b[i] : ((size_t)b[i] << 8) | b[i + 1];
      i += k;
    } else if (len >= 0x80) {
      static const char H[] = "0123456789abcdef";
      char h[3] = {H[len >> 4], H[len & 15], 0};
      return tb_text_str(&t, "TLV "), tb_text_hex(&t, tag), tb_text_str(&t, " has an unsupported length form "), tb_text_str(&t, h), -1;
    }
    if (i + len > n) {
      tb_text_str(&t, "TLV "), tb_text_hex(&t, tag), tb_text_str(&t, " claims "), tb_text_u64(&t, len), tb_text_str(&t, " bytes but "), tb_text_u64(&t, n - i), tb_text_str(&t, " remain");
      return -1;
    }
    items[count].tag = (uint16_t)tag, items[count].value = b + i, items[count].n = len;
    count++;
    i += len;
  }
  return count;
}

void tb_out_init(tb_out *o, uint8_t *buf, size_t cap) { o->buf = buf, o->cap = cap, o->len = 0, o->overflow = 0; }

void tb_out_tlv(tb_out *o, uint16_t tag, const void *value, size_t n) {
  size_t need = (tag > 0xff ? 2 : 1) + (n < 0x80 ? 1 : n <= 0xff ? 2 : 3) + n;
  if (o->len + need > o->cap) {
    o->overflow = 1;
    return;
  }
  if (tag > 0xff) o->buf[o->len++] = (uint8_t)(tag >> 8);
  o->buf[o->len++] = (uint8_t)tag;
  if (n < 0x80) o->buf[o->len++] = (uint8_t)n;
  else if (n <= 0xff) o->buf[o->len++] = 0x81, o->buf[o->len++] = (uint8_t)n;
  else o->buf[o->len++] = 0x82, o->buf[o->len++] = (uint8_t)(n >> 8), o->buf[o->len++] = (uint8_t)n;
  if (n) memcpy(o->buf + o->len, value, n);
  o->len += n;
}

void tb_out_uint(tb_out *o, uint16_t tag, uint64_t v) {
  uint8_t b[8];
  int k = 8;
  do b[--k] = (uint8_t)v, v >>= 8;
  while (v);
  tb_out_tlv(o, tag, b + k, (size_t)(8 - k));
}

void tb_out_u8(tb_out *o, uint16_t tag, uint8_t v) { tb_out_tlv(o, tag, &v, 1); }
