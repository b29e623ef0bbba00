/*
 * The posix build's own tests: HMAC/HOTP (RFC 4226 appendix D), TOTP (RFC 6238 appendix B) and
 * OCRA (RFC 6287 appendix C) published vectors, the suite grammar, COBS/CRC and TLV decoding.
 * Exit status 0 when every check passes; each failure prints one line.
 */
#include <stdio.h>
#include <string.h>
#include "../core/ocra.h"
#include "../core/sha.h"
#include "../core/wire.h"

static int failures, checks;

static void expect(const char *what, const char *got, const char *want) {
  checks++;
  if (strcmp(got, want) != 0) failures++, printf("FAIL %s: got %s, want %s\n", what, got, want);
}

static const char K20[] = "12345678901234567890";
static const char K32[] = "12345678901234567890123456789012";
static const char K64[] = "1234567890123456789012345678901234567890123456789012345678901234";

static void hex(const uint8_t *p, size_t n, char *out) {
  for (size_t i = 0; i < n; i++) sprintf(out + 2 * i, "%02x", p[i]);
}

static void hashes(void) {
  uint8_t d[64];
  char h[129];
  tb_hash(TB_SHA1, (const uint8_t *)"abc", 3, d), hex(d, 20, h);
  expect("SHA-1 abc", h, "a9993e364706816aba3e25717850c26c9cd0d89d");
  tb_hash(TB_SHA256, (const uint8_t *)"abc", 3, d), hex(d, 32, h);
  expect("SHA-256 abc", h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  tb_hash(TB_SHA512, (const uint8_t *)"abc", 3, d), hex(d, 64, h);
  expect("SHA-512 abc", h, "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
  const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  tb_hash(TB_SHA256, (const uint8_t *)two, strlen(two), d), hex(d, 32, h);
  expect("SHA-256 two blocks", h, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  /* RFC 4231 test case 2 (HMAC-SHA-256 and -512, key "Jefe"). */
  const char *msg = "what do ya want for nothing?";
  tb_hmac(TB_SHA256, (const uint8_t *)"Jefe", 4, (const uint8_t *)msg, strlen(msg), d), hex(d, 32, h);
  expect("HMAC-SHA-256 RFC 4231 #2", h, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  tb_hmac(TB_SHA512, (const uint8_t *)"Jefe", 4, (const uint8_t *)msg, strlen(msg), d), hex(d, 64, h);
  expect("HMAC-SHA-512 RFC 4231 #2", h, "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737");
  /* RFC 2202 test case 2 (HMAC-SHA-1). */
  tb_hmac(TB_SHA1, (const uint8_t *)"Jefe", 4, (const uint8_t *)msg, strlen(msg), d), hex(d, 20, h);
  expect("HMAC-SHA-1 RFC 2202 #2", h, "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
}

static void hotp_totp(void) {
  static const char *want[10] = {"755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"};
  char out[16], what[64];
  for (int c = 0; c < 10; c++) {
    tb_hotp(TB_SHA1, (const uint8_t *)K20, 20, (uint64_t)c, 6, out);
    sprintf(what, "RFC 4226 HOTP count %d", c);
    expect(what, out, want[c]);
  }
  static const uint64_t times[6] = {59, 1111111109, 1111111111, 1234567890, 2000000000, 20000000000ULL};
  static const char *t1[6] = {"94287082", "07081804", "14050471", "89005924", "69279037", "65353130"};
  static const char *t256[6] = {"46119246", "68084774", "67062674", "91819424", "90698825", "77737706"};
  static const char *t512[6] = {"90693936", "25091201", "99943326", "93441116", "38618901", "47863826"};
  for (int i = 0; i < 6; i++) {
    uint64_t step = times[i] / 30;
    sprintf(what, "RFC 6238 TOTP SHA1 T=%llu", (unsigned long long)times[i]);
    tb_hotp(TB_SHA1, (const uint8_t *)K20, 20, step, 8, out), expect(what, out, t1[i]);
    sprintf(what, "RFC 6238 TOTP SHA256 T=%llu", (unsigned long long)times[i]);
    tb_hotp(TB_SHA256, (const uint8_t *)K32, 32, step, 8, out), expect(what, out, t256[i]);
    sprintf(what, "RFC 6238 TOTP SHA512 T=%llu", (unsigned long long)times[i]);
    tb_hotp(TB_SHA512, (const uint8_t *)K64, 64, step, 8, out), expect(what, out, t512[i]);
  }
}

static void ocra_case(const char *suite, const char *key, const char *q, uint64_t counter, const char *pin, uint64_t t, const char *want) {
  tb_suite s;
  char err[200], out[140], what[160];
  uint8_t ph[64];
  snprintf(what, sizeof what, "RFC 6287 %s Q=%s C=%llu", suite, q, (unsigned long long)counter);
  if (tb_suite_parse(&s, suite, strlen(suite), err, sizeof err) != 0) {
    checks++, failures++;
    printf("FAIL %s: suite refused: %s\n", what, err);
    return;
  }
  tb_ocra_input in = {q, strlen(q), counter, 0, 0, t};
  if (s.pin) tb_hash(s.pin, (const uint8_t *)pin, strlen(pin), ph), in.pin_hash = ph;
  tb_ocra(&s, (const uint8_t *)key, strlen(key), &in, out);
  expect(what, out, want);
}

static void ocra(void) {
  static const char *qn[10] = {"237653", "243178", "653583", "740991", "608993", "388898", "816933", "224598", "750600", "294470"};
  char q[9];
  for (int i = 0; i < 10; i++) {
    memset(q, '0' + i, 8), q[8] = 0;
    ocra_case("OCRA-1:HOTP-SHA1-6:QN08", K20, q, 0, 0, 0, qn[i]);
  }
  static const char *c256[10] = {"65347737", "86775851", "78192410", "71565254", "10104329", "65983500", "70069104", "91771096", "75011558", "08522129"};
  for (int i = 0; i < 10; i++) ocra_case("OCRA-1:HOTP-SHA256-8:C-QN08-PSHA1", K32, "12345678", (uint64_t)i, "1234", 0, c256[i]);
  static const char *p256[5] = {"83238735", "01501458", "17957585", "86776967", "86807031"};
  for (int i = 0; i < 5; i++) {
    memset(q, '0' + i, 8), q[8] = 0;
    ocra_case("OCRA-1:HOTP-SHA256-8:QN08-PSHA1", K32, q, 0, "1234", 0, p256[i]);
  }
  static const char *c512[10] = {"07016083", "63947962", "70123924", "25341727", "33203315", "34205738", "44343969", "51946085", "20403879", "31409299"};
  for (int i = 0; i < 10; i++) {
    memset(q, '0' + i, 8), q[8] = 0;
    ocra_case("OCRA-1:HOTP-SHA512-8:C-QN08", K64, q, (uint64_t)i, 0, 0, c512[i]);
  }
  static const char *t512[5] = {"95209754", "55907591", "22048402", "24218844", "36209546"};
  for (int i = 0; i < 5; i++) {
    memset(q, '0' + i, 8), q[8] = 0;
    ocra_case("OCRA-1:HOTP-SHA512-8:QN08-T1M", K64, q, 0, 0, 0x132d0b6, t512[i]);
  }
}

static void grammar(void) {
  tb_suite s;
  char err[200];
  static const char *good[] = {"OCRA-1:HOTP-SHA1-6:QN08", "OCRA-1:HOTP-SHA256-8:C-QN08-PSHA1", "OCRA-1:HOTP-SHA512-8:QA10-S064-T1M", "OCRA-1:HOTP-SHA1-0:QH40"};
  static const char *bad[][2] = {
    {"OCRA-2:HOTP-SHA1-6:QN08", "suite algorithm must be OCRA-1, got \"OCRA-2\""},
    {"OCRA-1:HOTP-MD5-6:QN08", "suite crypto function must look like HOTP-SHA1-6 (SHA1, SHA256 or SHA512), got \"HOTP-MD5-6\""},
    {"OCRA-1:HOTP-SHA1-3:QN08", "suite response length must be 0 (no truncation) or 4 to 10 digits, got 3"},
    {"OCRA-1:HOTP-SHA1-6:QN03", "suite question length must be 04 to 64, got 03"},
    {"OCRA-1:HOTP-SHA1-6:QN08-C", "suite data input has C out of place; the counter must come first"},
    {"OCRA-1:HOTP-SHA1-6:QN08-T1M-PSHA1", "suite data input has \"PSHA1\" out of place; order is C, Q, P, S, T"},
    {"OCRA-1:HOTP-SHA1-6:QN08-T60M", "suite time step T60M is out of range: M allows 1 to 59"},
    {"OCRA-1:HOTP-SHA1-6:QN08-T0M", "suite time step T0M is refused: a step of zero never advances, so no timestamp T can be counted (use 1 to 59M)"},
    {"OCRA-1:HOTP-SHA1-6", "suite \"OCRA-1:HOTP-SHA1-6\" must have three parts separated by \":\" (algorithm:crypto function:data input)"},
    {"OCRA-1:HOTP-SHA1-6:X", "suite data input needs a question like QN08 (QA, QN or QH with 04 to 64), got \"X\""},
  };
  /* Any case and short lengths are taken; the text becomes the canonical form (as the model's). */
  static const char *canon[][2] = {
    {"ocra-1:hotp-sha1-06:c-qn6", "OCRA-1:HOTP-SHA1-6:C-QN06"},
    {"OCRA-1:HOTP-SHA1-4:QH8-S512", "OCRA-1:HOTP-SHA1-4:QH08-S512"},
    {"OCRA-1:HOTP-SHA256-8:QN7-psha1-S64-T05S", "OCRA-1:HOTP-SHA256-8:QN07-PSHA1-S064-T5S"},
  };
  for (size_t i = 0; i < sizeof canon / sizeof canon[0]; i++) {
    checks++;
    if (tb_suite_parse(&s, canon[i][0], strlen(canon[i][0]), err, sizeof err) != 0) failures++, printf("FAIL suite %s refused: %s\n", canon[i][0], err);
    else expect(canon[i][0], s.text, canon[i][1]);
  }
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
    checks++;
    if (tb_suite_parse(&s, good[i], strlen(good[i]), err, sizeof err) != 0) failures++, printf("FAIL suite %s refused: %s\n", good[i], err);
  }
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    checks++;
    if (tb_suite_parse(&s, bad[i][0], strlen(bad[i][0]), err, sizeof err) == 0) failures++, printf("FAIL suite %s accepted\n", bad[i][0]);
    else expect(bad[i][0], err, bad[i][1]);
  }
}

static void wire(void) {
  char h[64];
  uint32_t c = tb_crc32((const uint8_t *)"123456789", 9);
  sprintf(h, "%08x", c);
  expect("CRC-32 check value", h, "cbf43926");
  uint8_t in[4] = {0x11, 0x22, 0x00, 0x33}, out[8];
  size_t n = tb_cobs_encode(in, 4, out);
  hex(out, n, h);
  expect("COBS example of docs/protocol.md §2", h, "0311220233");
  long m = tb_cobs_decode(out, n);
  hex(out, (size_t)m, h);
  expect("COBS round trip", h, "11220033");
  /* GET_INFO request frame of docs/protocol.md §4 (channel 00, seq 01). */
  uint8_t scratch[64], frame[64];
  uint8_t apdu[4] = {0x80, 0x01, 0x00, 0x00};
  n = tb_frame_encode(TB_FT_REQUEST, 0, 1, apdu, 4, scratch, frame);
  hex(frame, n, h);
  expect("GET_INFO request frame", h, "0211040180010105" "8d3ebdb800");
}

/* §2, P-2.6: a partial frame is dropped after 1000 ms of silence, however old it is. */
static void stream_timeout(void) {
  static tb_rx r;
  tb_frame f;
  uint8_t scratch[64], frame[64];
  uint8_t apdu[4] = {0x80, 0x01, 0x00, 0x00};
  size_t n = tb_frame_encode(TB_FT_REQUEST, 0, 1, apdu, 4, scratch, frame);
  char got[80];
  /* One byte every 900 ms: 9 s old at its delimiter, never silent for 1000 ms. */
  tb_rx_init(&r);
  int done = 0, errors = 0;
  for (size_t i = 0; i < n; i++) {
    int64_t now = (int64_t)i * 900;
    errors += tb_rx_begin(&r, now, &f);
    if (tb_rx_byte(&r, frame[i], now, &f)) done = 1;
  }
  sprintf(got, "done %d, errors %d, type %d", done, errors, done ? f.type : -1);
  expect("a frame that trickles in, 900 ms between bytes", got, "done 1, errors 0, type 1");
  /* The same frame with one gap of 1001 ms: TIMEOUT when the next byte comes. */
  tb_rx_init(&r);
  for (size_t i = 0; i < 4; i++) tb_rx_byte(&r, frame[i], 0, &f);
  int dropped = tb_rx_begin(&r, 1001, &f);
  sprintf(got, "%d %d %s", dropped, dropped ? f.error : 0, dropped ? f.detail : "");
  expect("a partial frame silent for 1001 ms", got, "1 7 partial frame of 4 bytes timed out");
  /* At exactly 1000 ms of silence it is kept. */
  tb_rx_init(&r);
  for (size_t i = 0; i < 4; i++) tb_rx_byte(&r, frame[i], 0, &f);
  sprintf(got, "%d", tb_rx_begin(&r, 1000, &f));
  expect("a partial frame silent for 1000 ms", got, "0");
}

int main(void) {
  hashes();
  hotp_totp();
  ocra();
  grammar();
  wire();
  stream_timeout();
  printf("%d checks, %d failed\n", checks, failures);
  return failures ? 1 : 0;
}
