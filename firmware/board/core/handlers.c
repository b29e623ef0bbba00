/*
 * Handlers of the info, ui, power, clock and test planes (firmware/token/device-token.ts), with the
 * model's status words and DETAIL texts; the lockstep tests in test/board/ compare them byte for byte.
 */
#include <string.h>
#include "command.h"
#include "text.h"

/* ---- info and ui planes ---- */


static int key_of(ctx *c) {
  const tb_tlv *v = cmd_field(c, 0x8b);
  if (!v) return -1;
  tb_text t;
  tb_text_init(&t, c->detail, sizeof c->detail);
  if (v->n != 1) {
    /* A KEY field of the wrong size is bad data (6A80), as in the model. */
    c->sw = 0x6a80;
    tb_text_str(&t, "KEY must be one byte, got ");
    tb_text_u64(&t, v->n);
    return -1;
  }
  if (tb_model_has_key(v->value[0])) return v->value[0];
  static const char H[] = "0123456789abcdef";
  char h[5] = {'0', 'x', H[v->value[0] >> 4], H[v->value[0] & 15], 0};
  c->sw = 0x6a88;
  tb_text_str(&t, "key ");
  tb_text_str(&t, h);
  tb_text_str(&t, TB_MODEL_DSC ? " is not on a dsc; keys are PRESS 0 1 2 3 4 5 6 7 8 9 OK" : " is not on a dscplus; keys are PRESS 0 1 2 3 4 5 6 7 8 9 OK C");
  return -1;
}

void h_get_info(ctx *c) {
  if (cmd_no_params(c)) return;
  const tb_nv *nv = &c->t->dev.nv;
  static const uint8_t keys[13] = {12, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
  tb_out_u8(&c->out, 0x80, 1);
  tb_out_tlv(&c->out, 0x81, TB_MODEL_NAME, strlen(TB_MODEL_NAME));
  tb_out_tlv(&c->out, 0x82, c->t->fw.version, strlen(c->t->fw.version));
  tb_out_tlv(&c->out, 0x83, nv->serial, nv->serial_len);
  tb_out_tlv(&c->out, 0x84, keys, TB_MODEL_DSC ? 12 : 13); /* a DSC has no C */
  tb_out_u8(&c->out, 0x85, 8);
  tb_out_u8(&c->out, 0x86, nv->pin_length);
  tb_out_tlv(&c->out, 0x87, nv->suite, nv->suite_len);
#if TB_MODEL_DSC
  static const char *const algorithms[] = {"TOTP-SHA1", "HOTP-SHA1", "TOTP-SHA256", "HOTP-SHA256", "TOTP-SHA512", "HOTP-SHA512"};
#else
  static const char *const algorithms[] = {"OCRA-1:HOTP-SHA1", "OCRA-1:HOTP-SHA256", "OCRA-1:HOTP-SHA512"};
#endif
  for (size_t i = 0; i < sizeof algorithms / sizeof algorithms[0]; i++) tb_out_tlv(&c->out, 0xdf01, algorithms[i], strlen(algorithms[i]));
  tb_out_u8(&c->out, 0x88, nv->max_tries);
  tb_out_u8(&c->out, 0x89, BOARD_PLANES);
  tb_out_uint(&c->out, 0x8a, TB_MAX_MESSAGE);
}

static void key_cmd(ctx *c, int kind) {
  if (cmd_no_params(c)) return;
  int key = key_of(c);
  if (key < 0) return;
  int rc;
  if (kind == 0) rc = tb_token_input(c->t, TB_IN_DOWN, key, 0);
  else if (kind == 1) rc = tb_token_input(c->t, TB_IN_UP, key, 0);
  else if (kind == 2) rc = tb_token_hold(c->t, key, 0);
  else {
    uint64_t ms;
    if (cmd_uint_field(c, 0x8c, 0, 600000, &ms)) return;
    rc = tb_token_hold(c->t, key, (int64_t)ms);
  }
  if (rc != 0) return (void)cmd_failed_write(c);
  cmd_display_fields(c);
}

void h_key_down(ctx *c) { key_cmd(c, 0); }
void h_key_up(ctx *c) { key_cmd(c, 1); }
void h_key_press(ctx *c) { key_cmd(c, 2); }
void h_key_hold(ctx *c) { key_cmd(c, 3); }

void h_read_display(ctx *c) {
  if (cmd_no_params(c)) return;
  cmd_display_fields(c);
}

void h_subscribe(ctx *c) {
  int on;
  if (cmd_on_off(c, &on)) return;
  tb_session_set(c->t->subscribed, c->channel, on);
}

/* ---- power and clock ---- */

void h_set_power(ctx *c) {
  int on;
  if (cmd_on_off(c, &on)) return;
  c->t->battery_in = (uint8_t)on;
  if (tb_token_power_changed(c->t) != 0) return (void)cmd_failed_write(c);
  cmd_display_fields(c);
}

void h_get_battery(ctx *c) {
  if (cmd_no_params(c)) return;
  tb_out_u8(&c->out, 0x8f, c->t->battery);
}

void h_get_clock(ctx *c) {
  if (cmd_no_params(c)) return;
  tb_out_uint(&c->out, 0x90, (uint64_t)tb_token_now(c->t));
}

void h_set_clock(ctx *c) {
  uint64_t ms;
  int hold;
  /* P1 = 01 sets the clock and holds it there; 00 sets it and lets it run (as the model). */
  if (cmd_on_off(c, &hold) || cmd_uint_field(c, 0x90, 0, TB_MAX_SAFE, &ms)) return;
  if (tb_token_tick(c->t) != 0) return (void)cmd_failed_write(c);
  tb_token_set_clock(c->t, (int64_t)ms);
  c->t->held = hold;
  tb_out_uint(&c->out, 0x90, (uint64_t)tb_token_now(c->t));
}

#if TB_TEST_CLOCK
void h_advance_clock(ctx *c) {
  uint64_t ms;
  if (cmd_no_params(c) || cmd_uint_field(c, 0x8c, 0, 366ULL * 86400000ULL, &ms)) return;
  if (tb_token_tick(c->t) != 0) return (void)cmd_failed_write(c);
  tb_token_set_clock(c->t, tb_token_now(c->t) + (int64_t)ms);
  if (tb_token_tick(c->t) != 0) return (void)cmd_failed_write(c);
  tb_out_uint(&c->out, 0x90, (uint64_t)tb_token_now(c->t));
  cmd_display_fields(c);
}
#endif

/* ---- test plane ---- */

void h_test_compute(ctx *c) {
  const tb_tlv *ch, *pin;
  char code[24];
  int advanced;
  if (cmd_no_params(c) || !(ch = cmd_text_field(c, 0x96, 64)) || !(pin = cmd_text_field(c, 0x92, 16))) return;
  if (tb_token_tick(c->t) != 0) return (void)cmd_failed_write(c);
  tb_nv nv = c->t->dev.nv;
  if (!nv.secret_len) return cmd_fail(c, 0x6985, "the token has no secret", 0, 0);
  if (nv.tries == 0) return cmd_fail(c, 0x6983, "the PIN is locked", 0, 0);
  int64_t now = tb_token_now(c->t);
  /* Check the challenge first: a challenge the keypad could not type costs no PIN try. */
  if (tb_device_code(&c->t->dev, &nv, (const char *)ch->value, ch->n, (const char *)pin->value, pin->n, now, code, &advanced, c->detail, sizeof c->detail) != 0) {
    c->sw = 0x6a80;
    return;
  }
  if (tb_device_counts(&c->t->dev) && nv.counter >= TB_MAX_SAFE) return cmd_fail(c, 0x6985, "the event counter is used up; PUT_COUNTER or FACTORY_RESET", 0, 0);
  tb_nv spent = nv;
  spent.tries--;
  if (tb_token_write(c->t, &spent, 0) != 0) return (void)cmd_failed_write(c);
  if (!tb_pin_matches(&nv, (const char *)pin->value, pin->n)) {
    tb_text t;
    c->sw = (uint16_t)(0x63c0 | spent.tries);
    tb_text_init(&t, c->detail, sizeof c->detail);
    tb_text_str(&t, "wrong PIN, "), tb_text_u64(&t, spent.tries), tb_text_str(&t, " tries left");
    return;
  }
  spent.tries = nv.max_tries;
  if (tb_token_write(c->t, &spent, 0) != 0) return (void)cmd_failed_write(c);
  tb_device_code(&c->t->dev, &c->t->dev.nv, (const char *)ch->value, ch->n, (const char *)pin->value, pin->n, now, code, &advanced, c->detail, sizeof c->detail);
  if (advanced) {
    spent.counter++;
    if (tb_token_write(c->t, &spent, 0) != 0) return (void)cmd_failed_write(c);
  }
  tb_out_tlv(&c->out, 0x97, code, strlen(code));
}
