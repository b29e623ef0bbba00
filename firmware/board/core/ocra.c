/* HOTP, TOTP and OCRA (RFC 4226, 6238, 6287). See ocra.h. */
#include <string.h>
#include "ocra.h"
#include "text.h"

static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* Appends the question "got" tail used by several messages. */
static int parse_fail(char *err, size_t errlen, const char *a, const char *b, const char *c) {
  tb_text t;
  tb_text_init(&t, err, errlen);
  tb_text_str(&t, a);
  if (b) tb_text_str(&t, b);
  if (c) tb_text_str(&t, c);
  return -1;
}

/* Digits only, n of them: value, or -1. */
static long num(const char *p, size_t n) {
  long v = 0;
  if (n == 0) return -1;
  for (size_t i = 0; i < n; i++) {
    if (!is_digit(p[i])) return -1;
    if (v > 100000) return -1;
    v = v * 10 + (p[i] - '0');
  }
  return v;
}

static int hash_of(const char *p, size_t n, enum tb_hash *h) {
  if (n == 4 && memcmp(p, "SHA1", 4) == 0) return *h = TB_SHA1, 1;
  if (n == 6 && memcmp(p, "SHA256", 6) == 0) return *h = TB_SHA256, 1;
  if (n == 6 && memcmp(p, "SHA512", 6) == 0) return *h = TB_SHA512, 1;
  return 0;
}

/*
 * As firmware/crypto/ocra-suite.ts: letters in any case, one- or two-digit question lengths,
 * one- to three-digit session lengths; the parsed suite's text is the canonical form (upper
 * case, QN08, S064, no leading zeros on the response length or time step), which is also the
 * OCRASuite of the MAC input.
 */
int tb_suite_parse(tb_suite *s, const char *text, size_t n, char *err, size_t errlen) {
  char up[129], part[129];
  tb_text canon;
  memset(s, 0, sizeof *s);
  if (n == 0) return parse_fail(err, errlen, "suite is empty; expected e.g. OCRA-1:HOTP-SHA1-6:QN08", 0, 0);
  if (n > 128) return parse_fail(err, errlen, "suite is longer than 128 characters", 0, 0);
  for (size_t i = 0; i < n; i++) up[i] = (char)(text[i] >= 'a' && text[i] <= 'z' ? text[i] - 32 : text[i]);
  up[n] = 0;
  const char *c1 = memchr(up, ':', n);
  const char *c2 = c1 ? memchr(c1 + 1, ':', (size_t)(up + n - c1 - 1)) : 0;
  if (!c1 || !c2 || memchr(c2 + 1, ':', (size_t)(up + n - c2 - 1))) {
    tb_text t;
    tb_text_init(&t, err, errlen);
    tb_text_str(&t, "suite \"");
    tb_text_mem(&t, text, n);
    tb_text_str(&t, "\" must have three parts separated by \":\" (algorithm:crypto function:data input)");
    return -1;
  }
  size_t alen = (size_t)(c1 - up), clen = (size_t)(c2 - c1 - 1), dlen = (size_t)(up + n - c2 - 1);
  if (alen != 6 || memcmp(up, "OCRA-1", 6) != 0) {
    memcpy(part, up, alen), part[alen] = 0;
    return parse_fail(err, errlen, "suite algorithm must be OCRA-1, got \"", part, "\"");
  }
  /* HOTP-SHAx-d */
  const char *cf = c1 + 1;
  memcpy(part, cf, clen), part[clen] = 0;
  const char *dash = clen > 5 ? memchr(cf + 5, '-', clen - 5) : 0;
  enum tb_hash h;
  size_t dl = dash ? (size_t)(cf + clen - dash - 1) : 0;
  int digits_ok = dash && dl > 0;
  for (size_t i = 0; digits_ok && i < dl; i++) digits_ok = is_digit(dash[1 + i]);
  if (clen < 5 || memcmp(cf, "HOTP-", 5) != 0 || !dash || !hash_of(cf + 5, (size_t)(dash - cf - 5), &h) || !digits_ok)
    return parse_fail(err, errlen, "suite crypto function must look like HOTP-SHA1-6 (SHA1, SHA256 or SHA512), got \"", part, "\"");
  long digits = dl <= 2 ? num(dash + 1, dl) : -1;
  if (dl > 2 || !(digits == 0 || (digits >= 4 && digits <= 10))) {
    char d[130];
    memcpy(d, dash + 1, dl), d[dl] = 0;
    return parse_fail(err, errlen, "suite response length must be 0 (no truncation) or 4 to 10 digits, got ", d, 0);
  }
  s->hash = h;
  s->digits = (uint8_t)digits;
  tb_text_init(&canon, s->text, sizeof s->text);
  tb_text_str(&canon, h == TB_SHA1 ? "OCRA-1:HOTP-SHA1-" : h == TB_SHA256 ? "OCRA-1:HOTP-SHA256-" : "OCRA-1:HOTP-SHA512-");
  tb_text_u64(&canon, (uint64_t)digits);
  tb_text_str(&canon, ":");
  /* Data input items separated by '-'. */
  const char *p = c2 + 1, *end = p + dlen;
  const char *items[64];
  size_t lens[64];
  size_t count = 0;
  for (const char *q = p;; q++) {
    if (q == end || *q == '-') {
      if (count == 64) return parse_fail(err, errlen, "suite data input has too many parts", 0, 0);
      items[count] = p, lens[count] = (size_t)(q - p), count++;
      if (q == end) break;
      p = q + 1;
    }
  }
  size_t i = 0;
  if (lens[0] == 1 && items[0][0] == 'C') s->counter = 1, i++, tb_text_str(&canon, "C-");
  int qok = i < count && (lens[i] == 3 || lens[i] == 4) && items[i][0] == 'Q' && (items[i][1] == 'A' || items[i][1] == 'N' || items[i][1] == 'H') && is_digit(items[i][2]) && (lens[i] == 3 || is_digit(items[i][3]));
  if (!qok) {
    tb_text t;
    tb_text_init(&t, err, errlen);
    tb_text_str(&t, "suite data input needs a question like QN08 (QA, QN or QH with 04 to 64)");
    if (i < count && lens[i] > 0) {
      tb_text_str(&t, ", got \"");
      tb_text_mem(&t, items[i], lens[i]);
      tb_text_str(&t, "\"");
    }
    return -1;
  }
  long ql = num(items[i] + 2, lens[i] - 2);
  if (ql < 4 || ql > 64) {
    memcpy(part, items[i] + 2, lens[i] - 2), part[lens[i] - 2] = 0;
    return parse_fail(err, errlen, "suite question length must be 04 to 64, got ", part, 0);
  }
  s->qformat = items[i][1];
  s->qlen = (uint8_t)ql;
  {
    char q[5] = {'Q', s->qformat, (char)('0' + ql / 10), (char)('0' + ql % 10), 0};
    tb_text_str(&canon, q);
  }
  i++;
  int order = 0;
  for (; i < count; i++) {
    const char *it = items[i];
    size_t l = lens[i];
    memcpy(part, it, l), part[l] = 0;
    enum tb_hash ph;
    int all_digits = l >= 2;
    for (size_t k = 1; all_digits && k < l; k++) all_digits = is_digit(it[k]);
    if (l >= 2 && it[0] == 'P' && hash_of(it + 1, l - 1, &ph)) {
      if (order >= 1) return parse_fail(err, errlen, "suite data input has \"", part, "\" out of place; order is C, Q, P, S, T");
      s->pin = ph, order = 1;
      tb_text_str(&canon, "-"), tb_text_str(&canon, part);
    } else if (l >= 2 && l <= 4 && it[0] == 'S' && all_digits) {
      if (order >= 2) return parse_fail(err, errlen, "suite data input has \"", part, "\" out of place; order is C, Q, P, S, T");
      long sl = num(it + 1, l - 1);
      if (sl < 1 || sl > 512) return parse_fail(err, errlen, "suite session length must be 001 to 512 bytes, got ", part + 1, 0);
      s->session = (uint16_t)sl, order = 2;
      char sd[6] = {'-', 'S', (char)('0' + sl / 100), (char)('0' + sl / 10 % 10), (char)('0' + sl % 10), 0};
      tb_text_str(&canon, sd);
    } else if (l >= 3 && it[0] == 'T' && (it[l - 1] == 'S' || it[l - 1] == 'M' || it[l - 1] == 'H') && num(it + 1, l - 2) >= 0) {
      if (order >= 3) return parse_fail(err, errlen, "suite data input has \"", part, "\" out of place; order is C, Q, P, S, T");
      long v = num(it + 1, l - 2);
      char unit = it[l - 1];
      long max = unit == 'H' ? 48 : 59;
      tb_text t;
      if (v == 0) {
        tb_text_init(&t, err, errlen);
        tb_text_str(&t, "suite time step "), tb_text_str(&t, part);
        tb_text_str(&t, " is refused: a step of zero never advances, so no timestamp T can be counted (use 1 to ");
        tb_text_u64(&t, (uint64_t)max), tb_text_mem(&t, &unit, 1), tb_text_str(&t, ")");
        return -1;
      }
      if (l - 2 > 2 || v > max) {
        tb_text_init(&t, err, errlen);
        tb_text_str(&t, "suite time step "), tb_text_str(&t, part), tb_text_str(&t, " is out of range: ");
        tb_text_mem(&t, &unit, 1), tb_text_str(&t, " allows 1 to "), tb_text_u64(&t, (uint64_t)max);
        return -1;
      }
      s->step = (uint32_t)(v * (unit == 'S' ? 1 : unit == 'M' ? 60 : 3600)), order = 3;
      tb_text_str(&canon, "-T"), tb_text_u64(&canon, (uint64_t)v), tb_text_mem(&canon, &unit, 1);
    } else if (l == 1 && it[0] == 'C') {
      return parse_fail(err, errlen, "suite data input has C out of place; the counter must come first", 0, 0);
    } else {
      return parse_fail(err, errlen, "suite data input has an unknown part \"", part, "\" (expected C, Qxnn, PSHAn, Snnn or Tnx)");
    }
  }
  return 0;
}

static const uint32_t POW10[10] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000};

void tb_truncate(const uint8_t *mac, size_t maclen, unsigned digits, char *out) {
  unsigned o = mac[maclen - 1] & 0x0f;
  uint32_t bin = ((uint32_t)(mac[o] & 0x7f) << 24) | ((uint32_t)mac[o + 1] << 16) | ((uint32_t)mac[o + 2] << 8) | mac[o + 3];
  uint32_t code = digits >= 10 ? bin : bin % POW10[digits];
  for (unsigned i = digits; i > 0; i--) out[i - 1] = (char)('0' + code % 10), code /= 10;
  out[digits] = 0;
}

static void put64(uint8_t *b, uint64_t v) {
  for (int i = 7; i >= 0; i--) b[i] = (uint8_t)v, v >>= 8;
}

void tb_hotp(enum tb_hash alg, const uint8_t *key, size_t keylen, uint64_t counter, unsigned digits, char *out) {
  uint8_t c[8], mac[TB_HASH_MAX];
  put64(c, counter);
  tb_hmac(alg, key, keylen, c, 8, mac);
  tb_truncate(mac, tb_hash_len(alg), digits, out);
}

static int nibble(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

int tb_question_ok(const tb_suite *s, const char *q, size_t n) {
  if (n == 0 || n > s->qlen) return 0;
  for (size_t i = 0; i < n; i++) {
    char c = q[i];
    int ok = s->qformat == 'N' ? is_digit(c) : s->qformat == 'H' ? nibble(c) >= 0 : (is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'));
    if (!ok) return 0;
  }
  return 1;
}

/* Q as 128 bytes (RFC 6287 §5.1): decimal as the hex digits of its value, hex as nibbles, text as bytes. */
static void encode_question(const tb_suite *s, const char *q, size_t n, uint8_t *out) {
  memset(out, 0, 128);
  if (s->qformat == 'A') {
    memcpy(out, q, n);
    return;
  }
  if (s->qformat == 'H') {
    for (size_t i = 0; i < n; i++) out[i >> 1] |= (uint8_t)(i & 1 ? nibble(q[i]) : nibble(q[i]) << 4);
    return;
  }
  /* Decimal (up to 64 digits) to a big-endian binary number, then its hex digits without leading zeros. */
  uint8_t big[32];
  memset(big, 0, sizeof big);
  for (size_t i = 0; i < n; i++) {
    unsigned carry = (unsigned)(q[i] - '0');
    for (int j = 31; j >= 0; j--) {
      unsigned v = big[j] * 10u + carry;
      big[j] = (uint8_t)v;
      carry = v >> 8;
    }
  }
  int first = 0;
  while (first < 64 && ((big[first >> 1] >> ((first & 1) ? 0 : 4)) & 15) == 0) first++;
  if (first == 64) return; /* the value 0: hex "0", one zero nibble */
  for (int k = first, o = 0; k < 64; k++, o++) {
    uint8_t nib = (big[k >> 1] >> ((k & 1) ? 0 : 4)) & 15;
    out[o >> 1] |= (uint8_t)(o & 1 ? nib : nib << 4);
  }
}

int tb_ocra(const tb_suite *s, const uint8_t *key, size_t keylen, const tb_ocra_input *in, char *out) {
  uint8_t buf[128], mac[TB_HASH_MAX];
  tb_hmac_ctx h;
  if (!tb_question_ok(s, in->question, in->qlen)) return -1;
  tb_hmac_init(&h, s->hash, key, keylen);
  tb_hmac_update(&h, (const uint8_t *)s->text, strlen(s->text));
  buf[0] = 0;
  tb_hmac_update(&h, buf, 1);
  if (s->counter) put64(buf, in->counter), tb_hmac_update(&h, buf, 8);
  encode_question(s, in->question, in->qlen, buf);
  tb_hmac_update(&h, buf, 128);
  if (s->pin) tb_hmac_update(&h, in->pin_hash, tb_hash_len(s->pin));
  if (s->session) tb_hmac_update(&h, in->session, s->session);
  if (s->step) put64(buf, in->timestamp), tb_hmac_update(&h, buf, 8);
  tb_hmac_final(&h, mac);
  size_t ml = tb_hash_len(s->hash);
  if (s->digits == 0) {
    static const char HEX[] = "0123456789abcdef";
    for (size_t i = 0; i < ml; i++) out[2 * i] = HEX[mac[i] >> 4], out[2 * i + 1] = HEX[mac[i] & 15];
    out[2 * ml] = 0;
  } else {
    tb_truncate(mac, ml, s->digits, out);
  }
  return 0;
}
