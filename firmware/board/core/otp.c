/* The DSC's passcode setting and its passcode (see otp.h). */
#include <string.h>
#include "otp.h"
#include "ocra.h"
#include "text.h"

static int upper(char c) { return c >= 'a' && c <= 'z' ? c - 32 : c; }

/* Matches `word` (upper case) at p, any case; returns its length or 0. */
static size_t word_at(const char *p, size_t n, const char *word) {
  size_t k = strlen(word);
  if (n < k) return 0;
  for (size_t i = 0; i < k; i++)
    if (upper(p[i]) != word[i]) return 0;
  return k;
}

/* 1..max ASCII digits at p; returns how many (0 if none or too many before a non-digit). */
static size_t number_at(const char *p, size_t n, size_t max, uint32_t *v) {
  size_t i = 0;
  *v = 0;
  while (i < n && p[i] >= '0' && p[i] <= '9') *v = *v * 10 + (uint32_t)(p[i++] - '0');
  return i >= 1 && i <= max ? i : 0;
}

int tb_otp_parse(tb_otp *o, const char *text, size_t n, char *err, size_t errlen) {
  tb_text t;
  size_t i = 0, k;
  uint32_t digits = 0, step = 30;
  int has_step = 0, ok = 1;
  memset(o, 0, sizeof *o);
  tb_text_init(&t, err, errlen);
  /* ^(TOTP|HOTP)-(SHA1|SHA256|SHA512)-(\d{1,2})(?:-(\d{1,4}))?$ with the i flag */
  if ((k = word_at(text, n, "TOTP-")) != 0) o->hotp = 0;
  else if ((k = word_at(text, n, "HOTP-")) != 0) o->hotp = 1;
  else ok = 0;
  i += k;
  if (ok) {
    if ((k = word_at(text + i, n - i, "SHA256-")) != 0) o->hash = TB_SHA256;
    else if ((k = word_at(text + i, n - i, "SHA512-")) != 0) o->hash = TB_SHA512;
    else if ((k = word_at(text + i, n - i, "SHA1-")) != 0) o->hash = TB_SHA1;
    else ok = 0;
    i += k;
  }
  if (ok && (k = number_at(text + i, n - i, 2, &digits)) == 0) ok = 0;
  i += k;
  if (ok && i < n) {
    if (text[i] != '-' || (k = number_at(text + i + 1, n - i - 1, 4, &step)) == 0) ok = 0;
    else i += 1 + k, has_step = 1;
  }
  if (ok && i != n) ok = 0;
  if (!ok) {
    tb_text_str(&t, "a DSC algorithm looks like TOTP-SHA1-6-30 or HOTP-SHA1-6, got \""), tb_text_mem(&t, text, n), tb_text_str(&t, "\"");
    return -1;
  }
  if (o->hotp && has_step) return tb_text_str(&t, "an HOTP setting has no time step"), -1;
  if (digits < 6 || digits > 8) return tb_text_str(&t, "a DSC shows passcodes of 6 to 8 digits, got "), tb_text_u64(&t, digits), -1;
  if (step < 1 || step > 3600) return tb_text_str(&t, "passcode step must be 1 to 3600 seconds, got "), tb_text_u64(&t, step), -1;
  o->digits = (uint8_t)digits, o->step = (uint16_t)step;
  /* otpText: TOTP-SHA1-6-30 or HOTP-SHA256-8 */
  tb_text_init(&t, o->text, sizeof o->text);
  tb_text_str(&t, o->hotp ? "HOTP-" : "TOTP-");
  tb_text_str(&t, o->hash == TB_SHA1 ? "SHA1-" : o->hash == TB_SHA256 ? "SHA256-" : "SHA512-");
  tb_text_u64(&t, digits);
  if (!o->hotp) tb_text_str(&t, "-"), tb_text_u64(&t, step);
  return 0;
}

void tb_otp_code(const tb_otp *o, const uint8_t *key, size_t keylen, uint64_t counter, int64_t now, char *out) {
  /* TOTP: T = floor(unix seconds / step), T0 = 0 (RFC 6238 §4.2). */
  uint64_t moving = o->hotp ? counter : (uint64_t)(now < 0 ? 0 : now / 1000) / o->step;
  tb_hotp(o->hash, key, keylen, moving, o->digits, out);
}
