/*
 * A wired keypad and character LCD, as a board would connect them: keys go in through
 * tb_token_key (down and up, as the switches close and open), the main loop calls tb_token_poll,
 * and every display change comes out through tb_hal_display_show. Built for the DSC+ and, with
 * TB_MODEL_DSC, the DSC; the display sequence of docs/devices.md is checked, including the DSC's
 * 2 s hold (timed by the core from the clock, not by the keypad driver) and its 15 s passcode.
 */
#include <stdio.h>
#include <string.h>
#include "../core/hal.h"
#include "../core/handlers.h"
#include "../core/token.h"

static uint8_t flash[2 * TB_NV_SECTOR], stage[TB_STAGE_SIZE];
static uint32_t now_ms = 5000; /* the board's millisecond clock */
static char lcd[TB_DISPLAY_MAX + 1];
static uint8_t lcd_ind;
static int shows, failures, checks;

uint32_t tb_hal_ms(void) { return now_ms; }
void tb_hal_seed(uint8_t *out, size_t n) { memset(out, 1, n); }
void tb_hal_serial_write(const uint8_t *p, size_t n) { (void)p, (void)n; }
void tb_hal_nv_read(uint32_t off, void *buf, size_t n) { memcpy(buf, flash + off, n); }
int tb_hal_nv_erase(unsigned sector) { return memset(flash + sector * TB_NV_SECTOR, 0xff, TB_NV_SECTOR), 0; }
int tb_hal_nv_program(uint32_t off, const uint32_t *words, size_t n) {
  for (size_t i = 0; i < n; i++) {
    uint32_t old;
    memcpy(&old, flash + off + 4 * i, 4);
    old &= words[i];
    memcpy(flash + off + 4 * i, &old, 4);
  }
  return 0;
}
void tb_hal_stage_read(uint32_t off, void *buf, size_t n) { memcpy(buf, stage + off, n); }
int tb_hal_stage_erase(void) { return memset(stage, 0xff, sizeof stage), 0; }
int tb_hal_stage_program(uint32_t off, const uint32_t *words, size_t n) { return memcpy(stage + off, words, 4 * n), 0; }

/* The LCD driver: draws what the core shows. */
void tb_hal_display_show(const char *text, uint8_t indicators) {
  strncpy(lcd, text, sizeof lcd - 1);
  lcd_ind = indicators;
  shows++;
}

static tb_token token;

static void expect(const char *want, const char *what) {
  checks++;
  if (strcmp(lcd, want) != 0) failures++, printf("FAIL %s: the LCD shows \"%s\", expected \"%s\"\n", what, lcd, want);
}

/* A switch closing and opening; the main loop runs in between. */
static void tap(int key) {
  tb_token_key(&token, key, 1);
  tb_token_poll(&token);
  tb_token_key(&token, key, 0);
  tb_token_poll(&token);
}

#if !TB_MODEL_DSC
static void type(const char *digits) {
  for (; *digits; digits++) tap(*digits - '0');
}
#endif

/* Time passes with the main loop polling every 10 ms. */
static void wait_ms(uint32_t ms) {
  for (uint32_t t = 0; t < ms;) {
    uint32_t step = ms - t < 10 ? ms - t : 10;
    now_ms += step, t += step;
    tb_token_poll(&token);
  }
}

int main(void) {
  memset(flash, 0xff, sizeof flash);
  tb_token_boot(&token, (const uint8_t *)"keypad", 6, 0, "KEYPAD-1");
  /* Provisioned over the protocol, as in the factory: PUT_SECRET "12345678901234567890". */
  uint8_t put[5 + 22] = {0x80, 0x40, 0, 0, 22, 0x91, 20}, resp[64];
  memcpy(put + 7, "12345678901234567890", 20);
  size_t n = tb_token_handle(&token, 0, put, sizeof put, resp, sizeof resp);
  checks++;
  if (n != 2 || resp[0] != 0x90) failures++, printf("FAIL PUT_SECRET\n");
#if TB_MODEL_DSC
  /* PRESS held: nothing at 1,999 ms, on at 2,000 ms while still held. */
  tb_token_key(&token, TB_KEY_PRESS, 1);
  wait_ms(1990);
  expect("", "PRESS held 1.99 s");
  wait_ms(10);
  expect("[____]", "PRESS held 2 s");
  tb_token_key(&token, TB_KEY_PRESS, 0);
  checks++;
  if (!(lcd_ind & 0x01)) failures++, printf("FAIL the ON indicator is off\n");
  tap(1), expect("[1___]", "1");
  tap(2), expect("[-2__]", "1 2");
  tap(TB_KEY_C), expect("[-2__]", "C (a DSC has no C)");
  tap(3), expect("[--3_]", "1 2 3");
  tap(4), expect("[---4]", "1 2 3 4");
  /* The device clock started at 0 at boot: make it 59 s, the RFC 6238 test time, for the passcode. */
  wait_ms((uint32_t)(59000 - tb_token_now(&token)));
  tap(TB_KEY_OK);
  expect("287082", "OK: TOTP-SHA1-6-30 at 59 s (RFC 6238: 94287082)");
  wait_ms(14990);
  expect("287082", "the passcode 14.99 s later");
  wait_ms(20);
  expect("", "15 s later: off");
#else
  tap(TB_KEY_PRESS), expect("PIN>", "PRESS");
  type("12"), expect("PIN>--", "1 2");
  tap(TB_KEY_C), expect("PIN>-", "C");
  type("234"), expect("PIN>----", "2 3 4");
  tap(TB_KEY_OK), expect("CHALLNG>", "OK");
  type("123456");
  expect("123456", "the challenge");
  tap(TB_KEY_OK);
  checks++;
  if (strlen(lcd) != 8 || strspn(lcd, "0123456789") != 8) failures++, printf("FAIL the response \"%s\" is not 8 digits\n", lcd);
  wait_ms(29990);
  checks++;
  if (strlen(lcd) != 8) failures++, printf("FAIL the response went before 30 s\n");
  wait_ms(20);
  expect("", "30 s later: off");
#endif
  /* Idle power-off: 60 s without a key at the PIN prompt. */
#if TB_MODEL_DSC
  tb_token_key(&token, TB_KEY_PRESS, 1), wait_ms(2000), tb_token_key(&token, TB_KEY_PRESS, 0);
  expect("[____]", "on again");
#else
  tap(TB_KEY_PRESS), expect("PIN>", "on again");
#endif
  wait_ms(59990);
  expect(TB_MODEL_DSC ? "[____]" : "PIN>", "59.99 s idle");
  wait_ms(20);
  expect("", "60 s idle: off");
  checks++;
  if (shows < 8) failures++, printf("FAIL only %d display changes reached the LCD\n", shows);
  printf("keypad (%s): %d checks, %d failed\n", TB_MODEL_NAME, checks, failures);
  return failures ? 1 : 0;
}
