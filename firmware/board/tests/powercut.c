/*
 * Power cut at every NV operation of a session, in every way a flash write can tear: the board
 * runs a scripted session (provisioning, wrong and right PINs on the keypad and through
 * TEST_COMPUTE, responses with a counter suite, a lock and the unlock flow with a wrong code) on a RAM flash. A
 * reference run numbers every erase and program; then, for each operation and each tear (nothing
 * written, 1, half, all but one word, all words), the session is run again, cut there, and booted
 * from what the flash holds. Checked after each cut:
 *   - the flash holds a valid record (the newest whole one);
 *   - it is exactly the record of the last operation that completed (or of the cut one if all
 *     its words landed): nothing completed is lost, nothing torn is taken;
 *   - every wrong PIN the host was told about is paid for (stored tries <= tries reported, unless
 *     the cut came while a right PIN was being checked, whose write gives every try back), and
 *     every response shown used a counter below the stored one (no reuse).
 * Built for the DSC+ (tests/powercut) and, with TB_MODEL_DSC, the DSC (tests/powercut-dsc): its
 * session holds PRESS 2 s, shows HOTP passcodes after the PIN and calls TEST_COMPUTE without a
 * challenge; the lock and the unlock flow are the same.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../core/hal.h"
#include "../core/token.h"

static uint8_t flash[2 * TB_NV_SECTOR];
static long ops, cut_at = -1, tear;
static int dead;

uint32_t tb_hal_ms(void) { return 1000; }
void tb_hal_seed(uint8_t *out, size_t n) { memset(out, 7, n); }
void tb_hal_serial_write(const uint8_t *p, size_t n) { (void)p, (void)n; }
void tb_hal_display_show(const char *text, uint8_t indicators) { (void)text, (void)indicators; }
void tb_hal_nv_read(uint32_t off, void *buf, size_t n) { memcpy(buf, flash + off, n); }

int tb_hal_nv_erase(unsigned sector) {
  if (dead) return -1;
  if (ops++ == cut_at) {
    size_t n = (size_t)tear * 4 < TB_NV_SECTOR ? (size_t)tear * 4 : TB_NV_SECTOR;
    memset(flash + sector * TB_NV_SECTOR, 0xff, n);
    dead = 1;
    return -1;
  }
  memset(flash + sector * TB_NV_SECTOR, 0xff, TB_NV_SECTOR);
  return 0;
}

int tb_hal_nv_program(uint32_t off, const uint32_t *words, size_t n) {
  if (dead) return -1;
  size_t limit = n;
  int cut = ops++ == cut_at;
  if (cut) limit = (size_t)tear < n ? (size_t)tear : n;
  for (size_t i = 0; i < limit; i++) {
    uint32_t old;
    memcpy(&old, flash + off + 4 * i, 4);
    old &= words[i];
    memcpy(flash + off + 4 * i, &old, 4);
  }
  if (cut) dead = 1;
  return cut ? -1 : 0;
}

/* The firmware staging area in RAM (this test's sessions do not update firmware). */
static uint8_t stage[TB_STAGE_SIZE];
void tb_hal_stage_read(uint32_t off, void *buf, size_t n) { memcpy(buf, stage + off, n); }
int tb_hal_stage_erase(void) { return memset(stage, 0xff, sizeof stage), 0; }
int tb_hal_stage_program(uint32_t off, const uint32_t *words, size_t n) {
  for (size_t i = 0; i < n; i++) {
    uint32_t old;
    memcpy(&old, stage + off + 4 * i, 4);
    old &= words[i];
    memcpy(stage + off + 4 * i, &old, 4);
  }
  return 0;
}

/*
 * The order of a PIN check: the build wraps tb_ct_equal (-Wl,--wrap), so every 32-byte compare
 * (a PIN hash) checks that the flash already holds one try fewer than before the attempt, and every
 * 8-byte compare (an unlock code) that the attempt is already counted.
 */
static int stored_before = -1, unlock_before = -1, order_failures;
int __real_tb_ct_equal(const uint8_t *a, const uint8_t *b, size_t n);
int __wrap_tb_ct_equal(const uint8_t *a, const uint8_t *b, size_t n);
int __wrap_tb_ct_equal(const uint8_t *a, const uint8_t *b, size_t n) {
  if (n == 32 && stored_before >= 0 && !dead) {
    tb_journal j;
    tb_nv nv;
    if (!tb_journal_load(&j, &nv) || nv.tries != stored_before - 1) {
      order_failures++;
      printf("FAIL the PIN was compared before its try was written (stored %d, before %d)\n", nv.tries, stored_before);
    }
    stored_before = -1;
  }
  /* An 8-digit compare is the unlock code: its attempt must be counted in flash first. */
  if (n == 8 && unlock_before >= 0 && !dead) {
    tb_journal j;
    tb_nv nv;
    if (!tb_journal_load(&j, &nv) || nv.unlock_fails != unlock_before + 1) {
      order_failures++;
      printf("FAIL the unlock code was compared before its attempt was written (stored %d, before %d)\n", nv.unlock_fails, unlock_before);
    }
    unlock_before = -1;
  }
  return __real_tb_ct_equal(a, b, n);
}

static void expect_pin_check(void) {
  tb_journal j;
  tb_nv nv;
  stored_before = tb_journal_load(&j, &nv) ? nv.tries : -1;
}

/* ---- the session ---- */

static tb_token token;
static uint8_t resp[TB_MAX_RESPONSE];
static int told_tries; /* the fewest tries the host was told were left since they were last reset */
static long shown_counter; /* the highest counter a shown response used */
static int right_pin_in_flight; /* the cut came while the right PIN was being checked */

static size_t apdu(uint8_t ins, uint8_t p1, const uint8_t *data, size_t n) {
  uint8_t a[300];
  a[0] = 0x80, a[1] = ins, a[2] = p1, a[3] = 0;
  size_t m = 4;
  if (n) a[4] = (uint8_t)n, memcpy(a + 5, data, n), m = 5 + n;
  return tb_token_handle(&token, 0, a, m, resp, sizeof resp);
}

static uint16_t sw_of(size_t n) { return (uint16_t)((resp[n - 2] << 8) | resp[n - 1]); }

static void key(int k) {
  uint8_t d[3] = {0x8b, 1, (uint8_t)k};
  apdu(0x12, 0, d, 3);
  const char *text = token.dev.display;
  if (!strncmp(text, "FAIL ", 5) && atoi(text + 5) < told_tries) told_tries = atoi(text + 5);
#if TB_MODEL_DSC
  /* The counter a shown passcode used, found from the code itself (not from what was stored). */
  if (token.dev.mode == TB_RESPONSE && text[0]) {
    for (long c = 0; c < 16; c++) {
      char code[12];
      tb_otp_code(&token.dev.otp, (const uint8_t *)"12345678901234567890", 20, (uint64_t)c, 0, code);
      if (!strcmp(code, text) && c > shown_counter) shown_counter = c;
    }
  }
#else
  if (token.dev.mode == TB_RESPONSE) shown_counter = (long)token.dev.nv.counter - 1;
#endif
  /* The right PIN gave every try back: CHALLNG> (DSC+) or the passcode itself (DSC). */
  if (!strcmp(text, "CHALLNG>") || !strcmp(text, "PIN SET") || token.dev.mode == TB_RESPONSE) told_tries = token.dev.nv.max_tries;
}

/* Turns the token on or off: PRESS on a DSC+; on a DSC, PRESS held 2 s (KEY_HOLD, then the clock moves). */
static void power_key(void) {
#if TB_MODEL_DSC
  static const uint8_t hold[] = {0x8b, 1, TB_KEY_PRESS, 0x8c, 2, 0x07, 0xd0};
  static const uint8_t wait[] = {0x8c, 2, 0x07, 0xd0};
  apdu(0x13, 0, hold, sizeof hold);
  if (!dead) apdu(0x32, 0, wait, sizeof wait);
#else
  key(TB_KEY_PRESS);
#endif
}

static void type(const char *digits) {
  for (; *digits; digits++) key(*digits - '0');
}

static void compute(const char *pin) {
  expect_pin_check();
#if TB_MODEL_DSC
  uint8_t d[8] = {0x96, 0, 0x92, 4}; /* a DSC takes no challenge */
  memcpy(d + 4, pin, 4);
  size_t n = apdu(0x60, 0, d, 8);
#else
  uint8_t d[20] = {0x96, 6, '1', '2', '3', '4', '5', '6', 0x92, 4};
  memcpy(d + 10, pin, 4);
  size_t n = apdu(0x60, 0, d, 14);
#endif
  uint16_t sw = sw_of(n);
  if ((sw & 0xfff0) == 0x63c0 && (int)(sw & 15) < told_tries) told_tries = sw & 15;
  if (sw == 0x9000) told_tries = token.dev.nv.max_tries, shown_counter = (long)token.dev.nv.counter - 1;
}

static void unlock(void) {
  uint8_t key_bytes[TB_SECRET_MAX];
  char code[12], err[8];
  tb_suite s;
  key(TB_KEY_OK); /* LOCKED -> U-nnnnnn */
  if (token.dev.mode != TB_UNLOCK_SHOW) return;
  tb_suite_parse(&s, "OCRA-1:HOTP-SHA1-8:QN06", 23, err, sizeof err);
  size_t kl = tb_unlock_key(&token.dev.nv, key_bytes);
  tb_ocra_input in = {token.dev.challenge, 6, 0, 0, 0, 0};
  tb_ocra(&s, key_bytes, kl, &in, code);
  /* One wrong code first (BAD CODE, 2 s, the same challenge again), then the right one. */
  key(TB_KEY_OK);
  type("00000000");
  unlock_before = token.dev.nv.unlock_fails;
  key(TB_KEY_OK);
  if (dead) return;
  uint8_t wait[] = {0x8c, 2, 0x07, 0xd0};
  apdu(0x32, 0, wait, sizeof wait);
  if (dead) return;
  key(TB_KEY_OK);
  type(code);
  unlock_before = token.dev.nv.unlock_fails;
  key(TB_KEY_OK);
  if (dead) return;
  type("4321"), key(TB_KEY_OK), type("4321"), key(TB_KEY_OK);
}

/* Runs the session; stops as soon as the power is cut. Returns the number of NV operations. */
static long session(void) {
  static const uint8_t secret[] = {0x91, 20, '1', '2', '3', '4', '5', '6', '7', '8', '9', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '0'};
#if TB_MODEL_DSC
  static const char suite[] = "HOTP-SHA1-8"; /* a passcode setting with the event counter */
#else
  static const char suite[] = "OCRA-1:HOTP-SHA1-8:C-QN06";
#endif
  uint8_t sd[40] = {0x87, (uint8_t)strlen(suite)};
  memcpy(sd + 2, suite, strlen(suite));
  const uint8_t policy[] = {0x86, 1, 4, 0x88, 1, 3};
  const uint8_t wait[] = {0x8c, 2, 0x07, 0xd0};
  memset(flash, 0xff, sizeof flash);
  ops = 0, dead = 0, told_tries = 3, shown_counter = -1, right_pin_in_flight = 0, unlock_before = -1, stored_before = -1;
  tb_token_boot(&token, (const uint8_t *)"powercut", 8, 1, "CUT-0001");
#define STEP(x) do { x; if (dead) return ops; } while (0)
  STEP(apdu(0x40, 0, secret, sizeof secret));
  STEP(apdu(0x41, 0, sd, 2 + strlen(suite)));
  STEP(apdu(0x42, 0, policy, sizeof policy));
  const char *pin = "1234";
  for (int round = 0; round < 3; round++) {
    STEP(power_key());
    STEP(type("9999"));
    expect_pin_check();
    STEP(key(TB_KEY_OK));
    STEP(apdu(0x32, 0, wait, sizeof wait));
    STEP(type(pin));
    right_pin_in_flight = 1;
    expect_pin_check();
    STEP(key(TB_KEY_OK));
    right_pin_in_flight = 0;
    if (!TB_MODEL_DSC) {
      STEP(type("123456"));
      STEP(key(TB_KEY_OK));
    }
    STEP(power_key());
    STEP(compute("0000"));
    right_pin_in_flight = 1;
    STEP(compute(pin));
    right_pin_in_flight = 0;
  }
  /* Lock it with wrong PINs, then unlock and set PIN 4321. */
  STEP(power_key());
  for (int i = 0; i < 3; i++) {
    STEP(type("9999"));
    STEP(key(TB_KEY_OK));
    STEP(apdu(0x32, 0, wait, sizeof wait));
  }
  right_pin_in_flight = 1; /* the new PIN is written with every try back */
  STEP(unlock());
  right_pin_in_flight = 0;
  STEP(apdu(0x32, 0, wait, sizeof wait));
  STEP(type("4321"));
  right_pin_in_flight = 1;
  STEP(key(TB_KEY_OK));
  right_pin_in_flight = 0;
  if (!TB_MODEL_DSC) {
    STEP(type("654321"));
    STEP(key(TB_KEY_OK));
  }
  return ops;
}

int main(void) {
  static tb_nv after[4096];
  static int erase_op[4096];
  static uint8_t reference_flash[2 * TB_NV_SECTOR];
  tb_journal j;
  long total = session();
  memcpy(reference_flash, flash, sizeof flash);
  /* The reference session went the whole way: 7 codes shown (counter 7), the unlock set PIN 4321. */
  if (token.dev.nv.counter != 7 || !tb_pin_matches(&token.dev.nv, "4321", 4) || token.dev.nv.tries != 3) {
    printf("FAIL the reference session ended with counter %llu, tries %d\n", (unsigned long long)token.dev.nv.counter, token.dev.nv.tries);
    return 1;
  }
  if (total >= 4096) return puts("session too long for the test"), 1;
  /* Replay the reference to learn the record after each operation. */
  tb_nv current;
  memset(&current, 0, sizeof current);
  for (long k = 0; k < total; k++) {
    cut_at = k, tear = 1 << 30; /* "tear" at the whole write: the op lands, then the power goes */
    session();
    erase_op[k] = tb_journal_load(&j, &current) ? 0 : 1;
    after[k] = current;
  }
  int failures = 0, cases = 0;
  for (long k = 0; k < total; k++) {
    const long tears[] = {0, 1, 64, 128, 129};
    for (size_t ti = 0; ti < sizeof tears / sizeof tears[0]; ti++) {
      cut_at = k, tear = tears[ti];
      session();
      int cut_told = told_tries;
      long cut_shown = shown_counter;
      cases++;
      tb_nv got;
      if (!tb_journal_load(&j, &got)) {
        /* Only the very first record can be missing: the board then starts blank. */
        if (k > 1) failures++, printf("FAIL cut at op %ld, tear %ld: no valid record\n", k, tears[ti]);
        continue;
      }
      const tb_nv *want = tears[ti] >= 129 ? &after[k] : (k > 0 ? &after[k - 1] : 0);
      if (want && memcmp(&got, want, sizeof got) != 0) {
        /* A landed erase leaves the same record as before it. */
        failures++;
        printf("FAIL cut at op %ld, tear %ld: stored record is not the last complete one (tries %d/%d counter %llu/%llu)\n", k, tears[ti], got.tries, want->tries,
               (unsigned long long)got.counter, (unsigned long long)want->counter);
      }
      /* A right PIN being checked at the cut may have written every try back: that is no loss. */
      if (got.tries > cut_told && !(right_pin_in_flight && got.tries == got.max_tries)) failures++, printf("FAIL cut at op %ld, tear %ld: %d tries stored, the host was told %d (lost decrement)\n", k, tears[ti], got.tries, cut_told);
      if ((long)got.counter <= cut_shown) failures++, printf("FAIL cut at op %ld, tear %ld: counter %llu stored, a response used %ld (reuse)\n", k, tears[ti], (unsigned long long)got.counter, cut_shown);
      /* The board boots from it and answers. */
      tb_token_boot(&token, (const uint8_t *)"reboot", 6, 1, "CUT-0001");
      size_t n = apdu(0x48, 0, 0, 0);
      if (sw_of(n) != 0x9000) failures++, printf("FAIL cut at op %ld: GET_STATE after reboot answered %04x\n", k, sw_of(n));
    }
  }
  (void)erase_op;
  (void)reference_flash;
  failures += order_failures;
  printf("power cut (%s): %ld NV operations in the session, %d cuts checked, %d failed\n", TB_MODEL_NAME, total, cases, failures);
  return failures ? 1 : 0;
}
