/*
 * Handlers of the provisioning plane (firmware/token/provisioning.ts, device-token.ts) and
 * AUTHENTICATE (firmware/token/auth.ts), with the model's status words and DETAIL texts.
 */
#include <string.h>
#include "command.h"
#include "text.h"

/* ---- provisioning ---- */

void h_put_secret(ctx *c) {
  tb_nv *cur, nv;
  const tb_tlv *v;
  if (cmd_no_params(c) || !(cur = cmd_unsealed(c)) || !(v = cmd_key_field(c, 0x91))) return;
  nv = *cur;
  memcpy(nv.secret, v->value, v->n), nv.secret_len = (uint8_t)v->n;
  cmd_write_nv(c, &nv);
  tb_wipe(&nv, sizeof nv);
}

void h_put_serial(ctx *c) {
  tb_nv *cur, nv;
  const tb_tlv *v;
  if (cmd_no_params(c) || !(cur = cmd_unsealed(c)) || !(v = cmd_text_field(c, 0x83, 32))) return;
  int ok = v->n >= 1;
  for (size_t i = 0; i < v->n; i++) {
    char ch = (char)v->value[i];
    ok &= (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-';
  }
  if (!ok) return cmd_fail(c, 0x6a80, "SERIAL must be 1 to 32 letters, digits or dashes", 0, 0);
  nv = *cur;
  memcpy(nv.serial, v->value, v->n), nv.serial_len = (uint8_t)v->n;
  cmd_write_nv(c, &nv);
  tb_wipe(&nv, sizeof nv);
}

void h_seal(ctx *c) {
  tb_nv *cur, nv;
  if (cmd_no_params(c) || !(cur = cmd_unsealed(c))) return;
  if (!cur->secret_len) return cmd_fail(c, 0x6985, "no secret: PUT_SECRET before SEAL", 0, 0);
  if (!cur->auth_len) return cmd_fail(c, 0x6985, "no board key: PUT_AUTH_KEY before SEAL (a sealed board answers privileged commands only to sessions that authenticate with it)", 0, 0);
  nv = *cur;
  nv.sealed = 1;
  cmd_write_nv(c, &nv);
  tb_wipe(&nv, sizeof nv);
  if (c->sw == 0x9000) tb_out_u8(&c->out, 0x95, cmd_flags(c->t));
}

#if !TB_MODEL_DSC
/* Checks that a DSC+ can use the suite from its numeric keypad and 8-character display. */
static int device_suite(ctx *c, const tb_tlv *v, tb_suite *s) {
  tb_text t;
  if (tb_suite_parse(s, (const char *)v->value, v->n, c->detail, sizeof c->detail) != 0) return c->sw = 0x6a80, -1;
  tb_text_init(&t, c->detail, sizeof c->detail);
  c->sw = 0x6a80;
  if (s->qformat != 'N') {
    char q[2] = {s->qformat, 0};
    tb_text_str(&t, "a DSC+ keypad can only type numeric challenges (QN..), suite "), tb_text_mem(&t, (const char *)v->value, v->n), tb_text_str(&t, " asks for Q"), tb_text_str(&t, q);
    return -1;
  }
  if (s->qlen > 8) {
    tb_text_str(&t, "a DSC+ shows at most 8 challenge digits, suite "), tb_text_mem(&t, (const char *)v->value, v->n), tb_text_str(&t, " asks for "), tb_text_u64(&t, s->qlen);
    return -1;
  }
  if (s->digits < 4 || s->digits > 8) {
    tb_text_str(&t, "a DSC+ shows responses of 4 to 8 digits, suite "), tb_text_mem(&t, (const char *)v->value, v->n), tb_text_str(&t, " gives ");
    if (s->digits) tb_text_u64(&t, s->digits);
    else tb_text_str(&t, "untruncated");
    return -1;
  }
  if (s->session) {
    tb_text_str(&t, "a DSC+ has no session information to give, suite "), tb_text_mem(&t, (const char *)v->value, v->n), tb_text_str(&t, " uses S");
    return -1;
  }
  c->sw = 0x9000, c->detail[0] = 0;
  return 0;
}
#endif

void h_put_suite(ctx *c) {
  tb_nv *cur, nv;
  const tb_tlv *v;
  tb_suite s;
  if (cmd_no_params(c) || !(cur = cmd_unsealed(c)) || !(v = cmd_text_field(c, 0x87, 128))) return;
#if TB_MODEL_DSC
  /* A DSC takes its passcode setting here (parseOtpText), e.g. TOTP-SHA1-6-30 or HOTP-SHA1-6. */
  tb_otp o;
  (void)s;
  if (tb_otp_parse(&o, (const char *)v->value, v->n, c->detail, sizeof c->detail) != 0) return (void)(c->sw = 0x6a80);
  const char *text = o.text;
#else
  if (device_suite(c, v, &s)) return;
  const char *text = s.text;
#endif
  /* The canonical form is stored (and shown by GET_INFO), as the model does. */
  nv = *cur;
  memset(nv.suite, 0, sizeof nv.suite);
  nv.suite_len = (uint8_t)strlen(text);
  memcpy(nv.suite, text, nv.suite_len);
  cmd_write_nv(c, &nv);
  tb_wipe(&nv, sizeof nv);
}

void h_put_pin_policy(ctx *c) {
  tb_nv *cur, nv;
  uint64_t len, max;
  if (cmd_no_params(c) || !(cur = cmd_unlocked(c, cmd_unsealed(c))) || cmd_uint_field(c, 0x86, 4, 6, &len) || cmd_uint_field(c, 0x88, 1, 15, &max)) return;
  nv = *cur;
  /* A new length makes the old PIN impossible to type: the PIN goes back to the default. */
  if (len != nv.pin_length) {
    char pin[7] = "123400";
    tb_pin_hash(nv.salt, nv.salt_len, pin, (size_t)len, nv.pin_hash);
  }
  nv.pin_length = (uint8_t)len, nv.max_tries = (uint8_t)max, nv.tries = (uint8_t)max;
  cmd_write_nv(c, &nv);
  tb_wipe(&nv, sizeof nv);
}

void h_put_pin(ctx *c) {
  tb_nv *cur, nv;
  const tb_tlv *v;
  if (cmd_no_params(c) || !(cur = cmd_unlocked(c, cmd_unsealed(c))) || !(v = cmd_text_field(c, 0x92, 16))) return;
  int ok = v->n == cur->pin_length;
  for (size_t i = 0; ok && i < v->n; i++) ok = v->value[i] >= '0' && v->value[i] <= '9';
  if (!ok) {
    char d[2] = {(char)('0' + cur->pin_length), 0};
    return cmd_fail(c, 0x6a80, "PIN must be exactly ", d, " digits");
  }
  nv = *cur;
  tb_pin_hash(nv.salt, nv.salt_len, (const char *)v->value, v->n, nv.pin_hash);
  nv.tries = nv.max_tries;
  cmd_write_nv(c, &nv);
  tb_wipe(&nv, sizeof nv);
}

void h_put_unlock_key(ctx *c) {
  tb_nv *cur, nv;
  const tb_tlv *v;
  if (cmd_no_params(c) || !(cur = cmd_unsealed(c)) || !(v = cmd_key_field(c, 0x9e))) return;
  nv = *cur;
  memcpy(nv.unlock_key, v->value, v->n), nv.unlock_len = (uint8_t)v->n;
  cmd_write_nv(c, &nv);
  tb_wipe(&nv, sizeof nv);
}

void h_put_counter(ctx *c) {
  tb_nv *cur, nv;
  uint64_t v;
  if (cmd_no_params(c) || !(cur = cmd_unsealed(c)) || cmd_uint_field(c, 0x94, 0, TB_MAX_SAFE, &v)) return;
  nv = *cur;
  nv.counter = v;
  cmd_write_nv(c, &nv);
  tb_wipe(&nv, sizeof nv);
}

void h_put_auth_key(ctx *c) {
  tb_nv *cur, nv;
  const tb_tlv *v;
  if (cmd_no_params(c) || !(cur = cmd_unsealed(c)) || !(v = cmd_field(c, 0xdf07))) return;
  if (v->n < TB_AUTH_KEY_MIN || v->n > TB_AUTH_KEY_MAX) {
    tb_text t;
    c->sw = 0x6a80;
    tb_text_init(&t, c->detail, sizeof c->detail);
    tb_text_str(&t, "AUTH_KEY must be 16 to 64 bytes, got "), tb_text_u64(&t, v->n);
    return;
  }
  nv = *cur;
  memcpy(nv.auth_key, v->value, v->n), nv.auth_len = (uint8_t)v->n;
  cmd_write_nv(c, &nv);
  tb_wipe(&nv, sizeof nv);
}

void h_factory_reset(ctx *c) {
  tb_nv nv;
  if (cmd_no_params(c)) return;
  tb_nv_blank(&nv, c->t->dev.nv.serial, c->t->dev.nv.serial_len);
  /* The one write allowed over another model's record: it replaces it with this build's blank. */
  c->t->dev.journal.foreign = 0, c->t->dev.journal.unread = 0;
  if (tb_token_write(c->t, &nv, 1) != 0) return (void)cmd_failed_write(c);
  tb_token_clear_ups(c->t);
  if (tb_token_power_changed(c->t) != 0) return (void)cmd_failed_write(c);
  tb_out_u8(&c->out, 0x95, cmd_flags(c->t));
}

void h_get_state(ctx *c) {
  if (cmd_no_params(c)) return;
  if (tb_token_tick(c->t) != 0) return (void)cmd_failed_write(c);
  const tb_nv *nv = &c->t->dev.nv;
  tb_out_u8(&c->out, 0x93, nv->tries);
  tb_out_uint(&c->out, 0x94, nv->counter);
  tb_out_u8(&c->out, 0x95, cmd_flags(c->t));
  tb_out_u8(&c->out, 0x8f, c->t->battery);
  tb_out_uint(&c->out, 0x90, (uint64_t)tb_token_now(c->t));
}

/* ---- AUTHENTICATE (notes/auth-spec; docs/protocol.md) ---- */

static int auth_slot(tb_token *t, uint8_t ch, int create) {
  for (int i = 0; i < TB_AUTH_SLOTS; i++)
    if (t->auth[i].used && t->auth[i].channel == ch) return i;
  if (!create) return -1;
  int i = t->auth_next;
  t->auth_next = (uint8_t)((t->auth_next + 1) % TB_AUTH_SLOTS);
  t->auth[i].used = 1, t->auth[i].channel = ch;
  return i;
}

static uint8_t auth_state(ctx *c) {
  return (uint8_t)((tb_session_flag(c->t->privileged, c->channel) ? 0x01 : 0) | (c->t->dev.nv.sealed ? 0x02 : 0));
}

void h_authenticate(ctx *c) {
  tb_token *t = c->t;
  tb_text tx;
  if (c->a.p2 != 0 || c->a.p1 > 2) return cmd_fail(c, 0x6a86, "P1 must be 00 (state), 01 (challenge) or 02 (answer) and P2 00", 0, 0);
  if (c->a.p1 == 0) return tb_out_u8(&c->out, 0xdf0a, auth_state(c));
  if (c->a.p1 == 1) {
    const tb_tlv *nonce = cmd_field(c, 0xdf06);
    if (!nonce) return;
    if (nonce->n != 16) {
      c->sw = 0x6a80;
      tb_text_init(&tx, c->detail, sizeof c->detail);
      tb_text_str(&tx, "NONCE must be 16 bytes, got "), tb_text_u64(&tx, nonce->n);
      return;
    }
    int i = auth_slot(t, c->channel, 1);
    tb_token_auth_random(t, t->auth[i].challenge, 16);
    memcpy(t->auth[i].nonce, nonce->value, 16);
    tb_out_tlv(&c->out, 0xdf08, t->auth[i].challenge, 16);
    return;
  }
  int i = auth_slot(t, c->channel, 0);
  if (i < 0) return cmd_fail(c, 0x6985, "no challenge pending: send AUTHENTICATE P1=01 first", 0, 0);
  t->auth[i].used = 0; /* the challenge is used up by its first answer, right or wrong */
  const tb_tlv *mac = cmd_field(c, 0xdf09);
  if (!mac) return;
  if (mac->n != 32) {
    c->sw = 0x6a80;
    tb_text_init(&tx, c->detail, sizeof c->detail);
    tb_text_str(&tx, "MAC must be 32 bytes, got "), tb_text_u64(&tx, mac->n);
    return;
  }
  uint8_t msg[32], want[32];
  memcpy(msg, t->auth[i].challenge, 16), memcpy(msg + 16, t->auth[i].nonce, 16);
  const tb_nv *nv = &t->dev.nv;
  int ok = 0;
  if (nv->auth_len) {
    tb_hmac(TB_SHA256, nv->auth_key, nv->auth_len, msg, 32, want);
    ok = tb_ct_equal(want, mac->value, 32);
  }
  if (!ok) return cmd_fail(c, 0x6982, "authentication failed", 0, 0);
  tb_session_set(t->privileged, c->channel, 1);
  memcpy(msg, t->auth[i].nonce, 16), memcpy(msg + 16, t->auth[i].challenge, 16);
  tb_hmac(TB_SHA256, nv->auth_key, nv->auth_len, msg, 32, want);
  tb_out_tlv(&c->out, 0xdf09, want, 32);
  tb_wipe(want, sizeof want);
}
