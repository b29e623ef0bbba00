/*
 * Command dispatch and handlers. Status words and DETAIL texts are those of the golden model
 * (firmware/token/dispatch.ts and device-token.ts), so a host cannot tell the two apart by their
 * answers; the lockstep tests in test/board/ compare them byte for byte.
 */
#include <string.h>
#include "handlers.h"
#include "text.h"

enum plane { P_INFO, P_UI, P_POWER, P_CLOCK, P_PROV, P_TEST, P_FIRMWARE };
#define BOARD_PLANES ((1u << P_INFO) | (1u << P_UI) | (1u << P_POWER) | (1u << P_CLOCK) | (1u << P_PROV) | (1u << P_TEST))

typedef struct {
  tb_token *t;
  uint8_t channel;
  tb_apdu a;
  tb_tlv f[TB_TLV_MAX];
  int nf;
  tb_out out;
  uint16_t sw;
  char detail[TB_DETAIL_MAX + 1];
} ctx;

typedef void (*handler)(ctx *c);

typedef struct {
  uint8_t ins;
  uint8_t plane;
  const char *name;
  handler fn; /* NULL: not available on this token (6A81) */
} command;

/* ---- answers ---- */

static void fail(ctx *c, uint16_t sw, const char *a, const char *b, const char *d) {
  tb_text t;
  c->sw = sw;
  tb_text_init(&t, c->detail, sizeof c->detail);
  tb_text_str(&t, a);
  if (b) tb_text_str(&t, b);
  if (d) tb_text_str(&t, d);
}

static const char *tag_name(uint16_t tag) {
  switch (tag) {
    case 0x83: return "SERIAL";
    case 0x86: return "PIN_LENGTH";
    case 0x87: return "SUITE";
    case 0x88: return "LOCK_THRESHOLD";
    case 0x8b: return "KEY";
    case 0x8c: return "DURATION";
    case 0x8f: return "BATTERY";
    case 0x90: return "CLOCK";
    case 0x91: return "SECRET";
    case 0x92: return "PIN";
    case 0x94: return "COUNTER";
    case 0x96: return "CHALLENGE";
    case 0x9e: return "UNLOCK_KEY";
    case 0xdf06: return "NONCE";
    case 0xdf07: return "AUTH_KEY";
    case 0xdf09: return "MAC";
    default: return "?";
  }
}

static int failed_write(ctx *c) {
  fail(c, 0x6581, "a storage write failed; the token restarted from what was stored", 0, 0);
  return -1;
}

/* ---- fields ---- */

static const tb_tlv *find(ctx *c, uint16_t tag) {
  for (int i = 0; i < c->nf; i++)
    if (c->f[i].tag == tag) return &c->f[i];
  return 0;
}

static const tb_tlv *field(ctx *c, uint16_t tag) {
  const tb_tlv *v = find(c, tag);
  if (!v) fail(c, 0x6a80, "missing ", tag_name(tag), " field");
  return v;
}

/* Well-formed UTF-8 as a fatal TextDecoder accepts it (no overlongs, surrogates or > U+10FFFF). */
static int utf8_ok(const uint8_t *p, size_t n) {
  size_t i = 0;
  while (i < n) {
    uint8_t b = p[i];
    size_t k;
    uint32_t cp, min;
    if (b < 0x80) { i++; continue; }
    if ((b & 0xe0) == 0xc0) k = 1, cp = b & 0x1f, min = 0x80;
    else if ((b & 0xf0) == 0xe0) k = 2, cp = b & 0x0f, min = 0x800;
    else if ((b & 0xf8) == 0xf0) k = 3, cp = b & 0x07, min = 0x10000;
    else return 0;
    for (size_t j = 1; j <= k; j++) {
      if (i + j >= n || (p[i + j] & 0xc0) != 0x80) return 0;
      cp = (cp << 6) | (p[i + j] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
    i += k + 1;
  }
  return 1;
}

static const tb_tlv *text_field(ctx *c, uint16_t tag, size_t max) {
  const tb_tlv *v = field(c, tag);
  if (!v) return 0;
  if (v->n > max || !utf8_ok(v->value, v->n)) {
    tb_text t;
    c->sw = 0x6a80;
    tb_text_init(&t, c->detail, sizeof c->detail);
    tb_text_str(&t, tag_name(tag)), tb_text_str(&t, " must be UTF-8 text of at most "), tb_text_u64(&t, max), tb_text_str(&t, " bytes");
    return 0;
  }
  return v;
}

static int uint_field(ctx *c, uint16_t tag, uint64_t min, uint64_t max, uint64_t *out) {
  const tb_tlv *v = field(c, tag);
  if (!v) return -1;
  uint64_t x = 0;
  int ok = v->n >= 1 && v->n <= 8;
  for (size_t i = 0; ok && i < v->n; i++) x = (x << 8) | v->value[i];
  if (ok && v->n == 8 && (v->value[0] != 0 || x > TB_MAX_SAFE)) ok = 0;
  if (ok && x > TB_MAX_SAFE) ok = 0;
  if (!ok || x < min || x > max) {
    tb_text t;
    c->sw = 0x6a80;
    tb_text_init(&t, c->detail, sizeof c->detail);
    tb_text_str(&t, tag_name(tag)), tb_text_str(&t, " must be a number from "), tb_text_u64(&t, min), tb_text_str(&t, " to "), tb_text_u64(&t, max);
    return -1;
  }
  *out = x;
  return 0;
}

static const tb_tlv *key_field(ctx *c, uint16_t tag) {
  const tb_tlv *v = field(c, tag);
  if (!v) return 0;
  if (v->n < 10 || v->n > 128) {
    tb_text t;
    c->sw = 0x6a80;
    tb_text_init(&t, c->detail, sizeof c->detail);
    tb_text_str(&t, tag_name(tag)), tb_text_str(&t, " must be 10 to 128 bytes, got "), tb_text_u64(&t, v->n);
    return 0;
  }
  return v;
}

static int no_params(ctx *c) {
  if (c->a.p1 != 0 || c->a.p2 != 0) return fail(c, 0x6a86, "P1 and P2 must be 00", 0, 0), -1;
  return 0;
}

static int on_off(ctx *c, int *on) {
  if (c->a.p2 != 0 || c->a.p1 > 1) return fail(c, 0x6a86, "P1 must be 00 or 01 and P2 00", 0, 0), -1;
  *on = c->a.p1 == 1;
  return 0;
}

static void display_fields(ctx *c) {
  if (tb_token_tick(c->t) != 0) return (void)failed_write(c);
  tb_out_tlv(&c->out, 0x8d, c->t->dev.display, strlen(c->t->dev.display));
  tb_out_u8(&c->out, 0x8e, tb_token_indicators(c->t));
}

static uint8_t flags(const tb_token *t) {
  const tb_nv *nv = &t->dev.nv;
  enum tb_mode m = t->dev.mode;
  return (uint8_t)((nv->tries == 0 ? 0x01 : 0) | (nv->sealed ? 0x02 : 0) | (nv->secret_len ? 0x04 : 0) | (m != TB_DEAD ? 0x08 : 0) | (m != TB_DEAD && m != TB_OFF ? 0x10 : 0));
}

/* The record if provisioning is allowed (not sealed); else 6985. */
static tb_nv *unsealed(ctx *c) {
  if (c->t->dev.nv.sealed) return fail(c, 0x6985, "the token is sealed; FACTORY_RESET it before provisioning", 0, 0), (tb_nv *)0;
  return &c->t->dev.nv;
}

/* The record, unless the PIN is locked: a locked token stays locked whatever is provisioned. */
static tb_nv *unlocked(ctx *c, tb_nv *nv) {
  if (nv && nv->tries == 0) return fail(c, 0x6983, "the PIN is locked: provisioning a PIN does not unlock it; FACTORY_RESET the token (or use the unlock flow)", 0, 0), (tb_nv *)0;
  return nv;
}

static void write_nv(ctx *c, const tb_nv *nv) {
  if (tb_token_write(c->t, nv, 0) != 0) failed_write(c);
}

/* ---- info and ui planes ---- */


static int key_of(ctx *c) {
  const tb_tlv *v = field(c, 0x8b);
  if (!v) return -1;
  if (v->n == 1 && v->value[0] < TB_KEYS) return v->value[0];
  tb_text t;
  c->sw = 0x6a88;
  tb_text_init(&t, c->detail, sizeof c->detail);
  tb_text_str(&t, "key ");
  if (v->n == 1) {
    static const char H[] = "0123456789abcdef";
    char h[5] = {'0', 'x', H[v->value[0] >> 4], H[v->value[0] & 15], 0};
    tb_text_str(&t, h);
  } else {
    tb_text_str(&t, "(bad length)");
  }
  tb_text_str(&t, " is not on a dscplus; keys are PRESS 0 1 2 3 4 5 6 7 8 9 OK C");
  return -1;
}

static void get_info(ctx *c) {
  if (no_params(c)) return;
  const tb_nv *nv = &c->t->dev.nv;
  static const uint8_t keys[13] = {12, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
  tb_out_u8(&c->out, 0x80, 1);
  tb_out_tlv(&c->out, 0x81, "dscplus", 7);
  tb_out_tlv(&c->out, 0x82, TB_FIRMWARE_VERSION, strlen(TB_FIRMWARE_VERSION));
  tb_out_tlv(&c->out, 0x83, nv->serial, nv->serial_len);
  tb_out_tlv(&c->out, 0x84, keys, sizeof keys);
  tb_out_u8(&c->out, 0x85, 8);
  tb_out_u8(&c->out, 0x86, nv->pin_length);
  tb_out_tlv(&c->out, 0x87, nv->suite, nv->suite_len);
  tb_out_tlv(&c->out, 0xdf01, "OCRA-1:HOTP-SHA1", 16);
  tb_out_tlv(&c->out, 0xdf01, "OCRA-1:HOTP-SHA256", 18);
  tb_out_tlv(&c->out, 0xdf01, "OCRA-1:HOTP-SHA512", 18);
  tb_out_u8(&c->out, 0x88, nv->max_tries);
  tb_out_u8(&c->out, 0x89, BOARD_PLANES);
  tb_out_uint(&c->out, 0x8a, TB_MAX_MESSAGE);
}

static void key_cmd(ctx *c, int kind) {
  if (no_params(c)) return;
  int key = key_of(c);
  if (key < 0) return;
  int rc;
  if (kind == 0) rc = tb_token_input(c->t, TB_IN_DOWN, key, 0);
  else if (kind == 1) rc = tb_token_input(c->t, TB_IN_UP, key, 0);
  else if (kind == 2) rc = tb_token_hold(c->t, key, 0);
  else {
    uint64_t ms;
    if (uint_field(c, 0x8c, 0, 600000, &ms)) return;
    rc = tb_token_hold(c->t, key, (int64_t)ms);
  }
  if (rc != 0) return (void)failed_write(c);
  display_fields(c);
}

static void key_down(ctx *c) { key_cmd(c, 0); }
static void key_up(ctx *c) { key_cmd(c, 1); }
static void key_press(ctx *c) { key_cmd(c, 2); }
static void key_hold(ctx *c) { key_cmd(c, 3); }

static void read_display(ctx *c) {
  if (no_params(c)) return;
  display_fields(c);
}

static void subscribe(ctx *c) {
  int on;
  if (on_off(c, &on)) return;
  tb_session_set(c->t->subscribed, c->channel, on);
}

/* ---- power and clock ---- */

static void set_power(ctx *c) {
  int on;
  if (on_off(c, &on)) return;
  c->t->battery_in = (uint8_t)on;
  if (tb_token_power_changed(c->t) != 0) return (void)failed_write(c);
  display_fields(c);
}

static void get_battery(ctx *c) {
  if (no_params(c)) return;
  tb_out_u8(&c->out, 0x8f, c->t->battery);
}

static void get_clock(ctx *c) {
  if (no_params(c)) return;
  tb_out_uint(&c->out, 0x90, (uint64_t)tb_token_now(c->t));
}

static void set_clock(ctx *c) {
  uint64_t ms;
  if (no_params(c) || uint_field(c, 0x90, 0, TB_MAX_SAFE, &ms)) return;
  if (tb_token_tick(c->t) != 0) return (void)failed_write(c);
  tb_token_set_clock(c->t, (int64_t)ms);
  tb_out_uint(&c->out, 0x90, (uint64_t)tb_token_now(c->t));
}

#if TB_TEST_CLOCK
static void advance_clock(ctx *c) {
  uint64_t ms;
  if (no_params(c) || uint_field(c, 0x8c, 0, 366ULL * 86400000ULL, &ms)) return;
  if (tb_token_tick(c->t) != 0) return (void)failed_write(c);
  tb_token_set_clock(c->t, tb_token_now(c->t) + (int64_t)ms);
  if (tb_token_tick(c->t) != 0) return (void)failed_write(c);
  tb_out_uint(&c->out, 0x90, (uint64_t)tb_token_now(c->t));
  display_fields(c);
}
#endif

/* ---- provisioning ---- */

static void put_secret(ctx *c) {
  tb_nv *cur, nv;
  const tb_tlv *v;
  if (no_params(c) || !(cur = unsealed(c)) || !(v = key_field(c, 0x91))) return;
  nv = *cur;
  memcpy(nv.secret, v->value, v->n), nv.secret_len = (uint8_t)v->n;
  write_nv(c, &nv);
  tb_wipe(&nv, sizeof nv);
}

static void put_serial(ctx *c) {
  tb_nv *cur, nv;
  const tb_tlv *v;
  if (no_params(c) || !(cur = unsealed(c)) || !(v = text_field(c, 0x83, 32))) return;
  int ok = v->n >= 1;
  for (size_t i = 0; i < v->n; i++) {
    char ch = (char)v->value[i];
    ok &= (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-';
  }
  if (!ok) return fail(c, 0x6a80, "SERIAL must be 1 to 32 letters, digits or dashes", 0, 0);
  nv = *cur;
  memcpy(nv.serial, v->value, v->n), nv.serial_len = (uint8_t)v->n;
  write_nv(c, &nv);
  tb_wipe(&nv, sizeof nv);
}

static void seal(ctx *c) {
  tb_nv *cur, nv;
  if (no_params(c) || !(cur = unsealed(c))) return;
  if (!cur->secret_len) return fail(c, 0x6985, "no secret: PUT_SECRET before SEAL", 0, 0);
  if (!cur->auth_len) return fail(c, 0x6985, "no board key: PUT_AUTH_KEY before SEAL (a sealed board answers privileged commands only to sessions that authenticate with it)", 0, 0);
  nv = *cur;
  nv.sealed = 1;
  write_nv(c, &nv);
  tb_wipe(&nv, sizeof nv);
  if (c->sw == 0x9000) tb_out_u8(&c->out, 0x95, flags(c->t));
}

/* Checks that a DSC+ can use the suite from its numeric keypad and 8-character display. */
static int device_suite(ctx *c, const tb_tlv *v, tb_suite *s) {
  tb_text t;
  if (tb_suite_parse(s, (const char *)v->value, v->n, c->detail, sizeof c->detail) != 0) return c->sw = 0x6a80, -1;
  tb_text_init(&t, c->detail, sizeof c->detail);
  c->sw = 0x6a80;
  if (s->qformat != 'N') {
    char q[2] = {s->qformat, 0};
    tb_text_str(&t, "a DSC+ keypad can only type numeric challenges (QN..), suite "), tb_text_str(&t, s->text), tb_text_str(&t, " asks for Q"), tb_text_str(&t, q);
    return -1;
  }
  if (s->qlen > 8) {
    tb_text_str(&t, "a DSC+ shows at most 8 challenge digits, suite "), tb_text_str(&t, s->text), tb_text_str(&t, " asks for "), tb_text_u64(&t, s->qlen);
    return -1;
  }
  if (s->digits < 4 || s->digits > 8) {
    tb_text_str(&t, "a DSC+ shows responses of 4 to 8 digits, suite "), tb_text_str(&t, s->text), tb_text_str(&t, " gives ");
    if (s->digits) tb_text_u64(&t, s->digits);
    else tb_text_str(&t, "untruncated");
    return -1;
  }
  if (s->session) {
    tb_text_str(&t, "a DSC+ has no session information to give, suite "), tb_text_str(&t, s->text), tb_text_str(&t, " uses S");
    return -1;
  }
  c->sw = 0x9000, c->detail[0] = 0;
  return 0;
}

static void put_suite(ctx *c) {
  tb_nv *cur, nv;
  const tb_tlv *v;
  tb_suite s;
  if (no_params(c) || !(cur = unsealed(c)) || !(v = text_field(c, 0x87, 128))) return;
  if (device_suite(c, v, &s)) return;
  nv = *cur;
  memcpy(nv.suite, v->value, v->n), nv.suite_len = (uint8_t)v->n;
  write_nv(c, &nv);
  tb_wipe(&nv, sizeof nv);
}

static void put_pin_policy(ctx *c) {
  tb_nv *cur, nv;
  uint64_t len, max;
  if (no_params(c) || !(cur = unlocked(c, unsealed(c))) || uint_field(c, 0x86, 4, 6, &len) || uint_field(c, 0x88, 1, 15, &max)) return;
  nv = *cur;
  /* A new length makes the old PIN impossible to type: the PIN goes back to the default. */
  if (len != nv.pin_length) {
    char pin[7] = "123400";
    tb_pin_hash(nv.salt, nv.salt_len, pin, (size_t)len, nv.pin_hash);
  }
  nv.pin_length = (uint8_t)len, nv.max_tries = (uint8_t)max, nv.tries = (uint8_t)max;
  write_nv(c, &nv);
  tb_wipe(&nv, sizeof nv);
}

static void put_pin(ctx *c) {
  tb_nv *cur, nv;
  const tb_tlv *v;
  if (no_params(c) || !(cur = unlocked(c, unsealed(c))) || !(v = text_field(c, 0x92, 16))) return;
  int ok = v->n == cur->pin_length;
  for (size_t i = 0; ok && i < v->n; i++) ok = v->value[i] >= '0' && v->value[i] <= '9';
  if (!ok) {
    char d[2] = {(char)('0' + cur->pin_length), 0};
    return fail(c, 0x6a80, "PIN must be exactly ", d, " digits");
  }
  nv = *cur;
  tb_pin_hash(nv.salt, nv.salt_len, (const char *)v->value, v->n, nv.pin_hash);
  nv.tries = nv.max_tries;
  write_nv(c, &nv);
  tb_wipe(&nv, sizeof nv);
}

static void put_unlock_key(ctx *c) {
  tb_nv *cur, nv;
  const tb_tlv *v;
  if (no_params(c) || !(cur = unsealed(c)) || !(v = key_field(c, 0x9e))) return;
  nv = *cur;
  memcpy(nv.unlock_key, v->value, v->n), nv.unlock_len = (uint8_t)v->n;
  write_nv(c, &nv);
  tb_wipe(&nv, sizeof nv);
}

static void put_counter(ctx *c) {
  tb_nv *cur, nv;
  uint64_t v;
  if (no_params(c) || !(cur = unsealed(c)) || uint_field(c, 0x94, 0, TB_MAX_SAFE, &v)) return;
  nv = *cur;
  nv.counter = v;
  write_nv(c, &nv);
  tb_wipe(&nv, sizeof nv);
}

static void put_auth_key(ctx *c) {
  tb_nv *cur, nv;
  const tb_tlv *v;
  if (no_params(c) || !(cur = unsealed(c)) || !(v = field(c, 0xdf07))) return;
  if (v->n < TB_AUTH_KEY_MIN || v->n > TB_AUTH_KEY_MAX) {
    tb_text t;
    c->sw = 0x6a80;
    tb_text_init(&t, c->detail, sizeof c->detail);
    tb_text_str(&t, "AUTH_KEY must be 16 to 64 bytes, got "), tb_text_u64(&t, v->n);
    return;
  }
  nv = *cur;
  memcpy(nv.auth_key, v->value, v->n), nv.auth_len = (uint8_t)v->n;
  write_nv(c, &nv);
  tb_wipe(&nv, sizeof nv);
}

static void factory_reset(ctx *c) {
  tb_nv nv;
  if (no_params(c)) return;
  tb_nv_blank(&nv, c->t->dev.nv.serial, c->t->dev.nv.serial_len);
  if (tb_token_write(c->t, &nv, 1) != 0) return (void)failed_write(c);
  tb_token_clear_ups(c->t);
  if (tb_token_power_changed(c->t) != 0) return (void)failed_write(c);
  tb_out_u8(&c->out, 0x95, flags(c->t));
}

static void get_state(ctx *c) {
  if (no_params(c)) return;
  if (tb_token_tick(c->t) != 0) return (void)failed_write(c);
  const tb_nv *nv = &c->t->dev.nv;
  tb_out_u8(&c->out, 0x93, nv->tries);
  tb_out_uint(&c->out, 0x94, nv->counter);
  tb_out_u8(&c->out, 0x95, flags(c->t));
  tb_out_u8(&c->out, 0x8f, c->t->battery);
  tb_out_uint(&c->out, 0x90, (uint64_t)tb_token_now(c->t));
}

/* ---- test plane ---- */

static void test_compute(ctx *c) {
  const tb_tlv *ch, *pin;
  char code[24];
  int advanced;
  if (no_params(c) || !(ch = text_field(c, 0x96, 64)) || !(pin = text_field(c, 0x92, 16))) return;
  if (tb_token_tick(c->t) != 0) return (void)failed_write(c);
  tb_nv nv = c->t->dev.nv;
  if (!nv.secret_len) return fail(c, 0x6985, "the token has no secret", 0, 0);
  if (nv.tries == 0) return fail(c, 0x6983, "the PIN is locked", 0, 0);
  int64_t now = tb_token_now(c->t);
  /* Check the challenge first: a challenge the keypad could not type costs no PIN try. */
  if (tb_compute(&nv, &c->t->dev.suite, (const char *)ch->value, ch->n, (const char *)pin->value, pin->n, now, code, &advanced, c->detail, sizeof c->detail) != 0) {
    c->sw = 0x6a80;
    return;
  }
  if (c->t->dev.suite.counter && nv.counter >= TB_MAX_SAFE) return fail(c, 0x6985, "the event counter is used up; PUT_COUNTER or FACTORY_RESET", 0, 0);
  tb_nv spent = nv;
  spent.tries--;
  if (tb_token_write(c->t, &spent, 0) != 0) return (void)failed_write(c);
  if (!tb_pin_matches(&nv, (const char *)pin->value, pin->n)) {
    tb_text t;
    c->sw = (uint16_t)(0x63c0 | spent.tries);
    tb_text_init(&t, c->detail, sizeof c->detail);
    tb_text_str(&t, "wrong PIN, "), tb_text_u64(&t, spent.tries), tb_text_str(&t, " tries left");
    return;
  }
  spent.tries = nv.max_tries;
  if (tb_token_write(c->t, &spent, 0) != 0) return (void)failed_write(c);
  tb_compute(&c->t->dev.nv, &c->t->dev.suite, (const char *)ch->value, ch->n, (const char *)pin->value, pin->n, now, code, &advanced, c->detail, sizeof c->detail);
  if (advanced) {
    spent.counter++;
    if (tb_token_write(c->t, &spent, 0) != 0) return (void)failed_write(c);
  }
  tb_out_tlv(&c->out, 0x97, code, strlen(code));
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

static void authenticate(ctx *c) {
  tb_token *t = c->t;
  tb_text tx;
  if (c->a.p2 != 0 || c->a.p1 > 2) return fail(c, 0x6a86, "P1 must be 00 (state), 01 (challenge) or 02 (answer) and P2 00", 0, 0);
  if (c->a.p1 == 0) return tb_out_u8(&c->out, 0xdf0a, auth_state(c));
  if (c->a.p1 == 1) {
    const tb_tlv *nonce = field(c, 0xdf06);
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
  if (i < 0) return fail(c, 0x6985, "no challenge pending: send AUTHENTICATE P1=01 first", 0, 0);
  t->auth[i].used = 0; /* the challenge is used up by its first answer, right or wrong */
  const tb_tlv *mac = field(c, 0xdf09);
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
  if (!ok) return fail(c, 0x6982, "authentication failed", 0, 0);
  tb_session_set(t->privileged, c->channel, 1);
  memcpy(msg, t->auth[i].nonce, 16), memcpy(msg + 16, t->auth[i].challenge, 16);
  tb_hmac(TB_SHA256, nv->auth_key, nv->auth_len, msg, 32, want);
  tb_out_tlv(&c->out, 0xdf09, want, 32);
  tb_wipe(want, sizeof want);
}

/* ---- the table and the dispatcher ---- */

static const command COMMANDS[] = {
  {0x01, P_INFO, "GET_INFO", get_info},
  {0x02, P_INFO, "AUTHENTICATE", authenticate},
  {0x10, P_UI, "KEY_DOWN", key_down},
  {0x11, P_UI, "KEY_UP", key_up},
  {0x12, P_UI, "KEY_PRESS", key_press},
  {0x13, P_UI, "KEY_HOLD", key_hold},
  {0x14, P_UI, "READ_DISPLAY", read_display},
  {0x15, P_UI, "SUBSCRIBE", subscribe},
  {0x20, P_POWER, "SET_POWER", set_power},
  {0x21, P_POWER, "GET_BATTERY", get_battery},
  {0x22, P_POWER, "SET_BATTERY", 0},
  {0x30, P_CLOCK, "GET_CLOCK", get_clock},
  {0x31, P_CLOCK, "SET_CLOCK", set_clock},
#if TB_TEST_CLOCK
  {0x32, P_CLOCK, "ADVANCE_CLOCK", advance_clock},
#else
  {0x32, P_CLOCK, "ADVANCE_CLOCK", 0},
#endif
  {0x40, P_PROV, "PUT_SECRET", put_secret},
  {0x41, P_PROV, "PUT_SUITE", put_suite},
  {0x42, P_PROV, "PUT_PIN_POLICY", put_pin_policy},
  {0x43, P_PROV, "PUT_PIN", put_pin},
  {0x44, P_PROV, "PUT_SERIAL", put_serial},
  {0x45, P_PROV, "PUT_UNLOCK_KEY", put_unlock_key},
  {0x46, P_PROV, "SEAL", seal},
  {0x47, P_PROV, "FACTORY_RESET", factory_reset},
  {0x48, P_PROV, "GET_STATE", get_state},
  {0x49, P_PROV, "PUT_COUNTER", put_counter},
  {0x4a, P_PROV, "PUT_AUTH_KEY", put_auth_key},
  {0x60, P_TEST, "TEST_COMPUTE", test_compute},
  {0x61, P_TEST, "TEST_CARD_LOOKUP", 0},
  {0x70, P_FIRMWARE, "FW_BEGIN", 0},
  {0x71, P_FIRMWARE, "FW_WRITE", 0},
  {0x72, P_FIRMWARE, "FW_VERIFY", 0},
  {0x73, P_FIRMWARE, "FW_COMMIT", 0},
  {0x74, P_FIRMWARE, "FW_ABORT", 0},
};

static const char *const PLANE_NAMES[] = {"info", "ui", "power", "clock", "provisioning", "test", "firmware"};

static size_t finish(ctx *c, uint8_t *out, size_t cap) {
  size_t n;
  if (c->sw == 0x9000 && !c->out.overflow) {
    n = c->out.len;
  } else {
    if (c->sw == 0x9000) fail(c, 0x6f00, "internal error: the answer does not fit", 0, 0);
    tb_out o;
    tb_out_init(&o, out, cap - 2);
    tb_out_tlv(&o, 0xdf04, c->detail, strlen(c->detail));
    n = o.len;
  }
  out[n] = (uint8_t)(c->sw >> 8), out[n + 1] = (uint8_t)c->sw;
  return n + 2;
}

size_t tb_dispatch(tb_token *t, uint8_t channel, const uint8_t *apdu, size_t n, uint8_t *out, size_t cap) {
  static ctx c;
  tb_text tx;
  memset(&c, 0, sizeof c);
  c.t = t, c.channel = channel, c.sw = 0x9000;
  tb_out_init(&c.out, out, cap - 2);
  if (tb_apdu_decode(apdu, n, &c.a, c.detail, sizeof c.detail) != 0) return c.sw = 0x6700, finish(&c, out, cap);
  if (c.a.cla != 0x80) {
    c.sw = 0x6e00;
    tb_text_init(&tx, c.detail, sizeof c.detail);
    tb_text_str(&tx, "class "), tb_text_hex2(&tx, c.a.cla), tb_text_str(&tx, " is not supported; use 80");
    return finish(&c, out, cap);
  }
  const command *cmd = 0;
  for (size_t i = 0; i < sizeof COMMANDS / sizeof COMMANDS[0]; i++)
    if (COMMANDS[i].ins == c.a.ins) cmd = &COMMANDS[i];
  if (!cmd) {
    c.sw = 0x6d00;
    tb_text_init(&tx, c.detail, sizeof c.detail);
    tb_text_str(&tx, "instruction "), tb_text_hex2(&tx, c.a.ins), tb_text_str(&tx, " is not supported");
    return finish(&c, out, cap);
  }
  if (!(BOARD_PLANES & (1u << cmd->plane))) {
    fail(&c, 0x6a81, "the ", PLANE_NAMES[cmd->plane], " plane is disabled on this token");
    return finish(&c, out, cap);
  }
  if (!cmd->fn) {
    fail(&c, 0x6a81, cmd->name, " is not available on this token", 0);
    return finish(&c, out, cap);
  }
  /* Plane rule: a sealed board needs an authenticated session for every plane but info and ui (GET_STATE excepted). */
  if (cmd->plane != P_INFO && cmd->plane != P_UI && cmd->ins != 0x48 && t->dev.nv.sealed && !tb_session_flag(t->privileged, channel)) {
    c.sw = 0x6982;
    tb_text_init(&tx, c.detail, sizeof c.detail);
    tb_text_str(&tx, cmd->name), tb_text_str(&tx, " is in the "), tb_text_str(&tx, PLANE_NAMES[cmd->plane]), tb_text_str(&tx, " plane, which needs an authenticated session: AUTHENTICATE first");
    return finish(&c, out, cap);
  }
  int nf = tb_tlv_decode(c.a.data, c.a.n, c.f, c.detail + 0, sizeof c.detail);
  if (nf < 0) {
    char reason[TB_DETAIL_MAX + 1];
    memcpy(reason, c.detail, sizeof reason);
    c.sw = 0x6a80;
    tb_text_init(&tx, c.detail, sizeof c.detail);
    tb_text_str(&tx, cmd->name), tb_text_str(&tx, " data: "), tb_text_str(&tx, reason);
    return finish(&c, out, cap);
  }
  c.nf = nf;
  cmd->fn(&c);
  return finish(&c, out, cap);
}
