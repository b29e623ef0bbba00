/*
 * Command dispatch (firmware/token/dispatch.ts): APDU, class, instruction, plane, handler, the
 * plane rule of AUTHENTICATE, then TLV data; and the field helpers every handler uses.
 */
#include <string.h>
#include "command.h"
#include "text.h"

/* ---- answers ---- */

void cmd_fail(ctx *c, uint16_t sw, const char *a, const char *b, const char *d) {
  tb_text t;
  c->sw = sw;
  tb_text_init(&t, c->detail, sizeof c->detail);
  tb_text_str(&t, a);
  if (b) tb_text_str(&t, b);
  if (d) tb_text_str(&t, d);
}

const char *cmd_tag_name(uint16_t tag) {
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
    case 0x9a: return "SIZE";
    case 0x9b: return "DIGEST";
    case 0x9c: return "OFFSET";
    case 0x9d: return "DATA";
    case 0x9e: return "UNLOCK_KEY";
    case 0xdf06: return "NONCE";
    case 0xdf07: return "AUTH_KEY";
    case 0xdf09: return "MAC";
    default: return "?";
  }
}

int cmd_failed_write(ctx *c) {
  cmd_fail(c, 0x6581, "a storage write failed; the token restarted from what was stored", 0, 0);
  return -1;
}

/* ---- fields ---- */

const tb_tlv *cmd_find(ctx *c, uint16_t tag) {
  for (int i = 0; i < c->nf; i++)
    if (c->f[i].tag == tag) return &c->f[i];
  return 0;
}

const tb_tlv *cmd_field(ctx *c, uint16_t tag) {
  const tb_tlv *v = cmd_find(c, tag);
  if (!v) cmd_fail(c, 0x6a80, "missing ", cmd_tag_name(tag), " field");
  return v;
}

/* Well-formed UTF-8 as a fatal TextDecoder accepts it (no overlongs, surrogates or > U+10FFFF). */
int cmd_utf8_ok(const uint8_t *p, size_t n) {
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

const tb_tlv *cmd_text_field(ctx *c, uint16_t tag, size_t max) {
  const tb_tlv *v = cmd_field(c, tag);
  if (!v) return 0;
  if (v->n > max || !cmd_utf8_ok(v->value, v->n)) {
    tb_text t;
    c->sw = 0x6a80;
    tb_text_init(&t, c->detail, sizeof c->detail);
    tb_text_str(&t, cmd_tag_name(tag)), tb_text_str(&t, " must be UTF-8 text of at most "), tb_text_u64(&t, max), tb_text_str(&t, " bytes");
    return 0;
  }
  return v;
}

int cmd_uint_field(ctx *c, uint16_t tag, uint64_t min, uint64_t max, uint64_t *out) {
  const tb_tlv *v = cmd_field(c, tag);
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
    tb_text_str(&t, cmd_tag_name(tag)), tb_text_str(&t, " must be a number from "), tb_text_u64(&t, min), tb_text_str(&t, " to "), tb_text_u64(&t, max);
    return -1;
  }
  *out = x;
  return 0;
}

const tb_tlv *cmd_key_field(ctx *c, uint16_t tag) {
  const tb_tlv *v = cmd_field(c, tag);
  if (!v) return 0;
  if (v->n < 10 || v->n > 128) {
    tb_text t;
    c->sw = 0x6a80;
    tb_text_init(&t, c->detail, sizeof c->detail);
    tb_text_str(&t, cmd_tag_name(tag)), tb_text_str(&t, " must be 10 to 128 bytes, got "), tb_text_u64(&t, v->n);
    return 0;
  }
  return v;
}

int cmd_no_params(ctx *c) {
  if (c->a.p1 != 0 || c->a.p2 != 0) return cmd_fail(c, 0x6a86, "P1 and P2 must be 00", 0, 0), -1;
  return 0;
}

int cmd_on_off(ctx *c, int *on) {
  if (c->a.p2 != 0 || c->a.p1 > 1) return cmd_fail(c, 0x6a86, "P1 must be 00 or 01 and P2 00", 0, 0), -1;
  *on = c->a.p1 == 1;
  return 0;
}

void cmd_display_fields(ctx *c) {
  if (tb_token_tick(c->t) != 0) return (void)cmd_failed_write(c);
  tb_out_tlv(&c->out, 0x8d, c->t->dev.display, strlen(c->t->dev.display));
  tb_out_u8(&c->out, 0x8e, tb_token_indicators(c->t));
}

uint8_t cmd_flags(const tb_token *t) {
  const tb_nv *nv = &t->dev.nv;
  enum tb_mode m = t->dev.mode;
  return (uint8_t)((nv->tries == 0 ? 0x01 : 0) | (nv->sealed ? 0x02 : 0) | (nv->secret_len ? 0x04 : 0) | (m != TB_DEAD ? 0x08 : 0) | (m != TB_DEAD && m != TB_OFF ? 0x10 : 0));
}

/* The record if provisioning is allowed (not sealed); else 6985. */
tb_nv *cmd_unsealed(ctx *c) {
  if (c->t->dev.nv.sealed) return cmd_fail(c, 0x6985, "the token is sealed; FACTORY_RESET it before provisioning", 0, 0), (tb_nv *)0;
  return &c->t->dev.nv;
}

/* The record, unless the PIN is locked: a locked token stays locked whatever is provisioned. */
tb_nv *cmd_unlocked(ctx *c, tb_nv *nv) {
  if (nv && nv->tries == 0) return cmd_fail(c, 0x6983, "the PIN is locked: provisioning a PIN does not unlock it; FACTORY_RESET the token (or use the unlock flow)", 0, 0), (tb_nv *)0;
  return nv;
}

void cmd_write_nv(ctx *c, const tb_nv *nv) {
  if (tb_token_write(c->t, nv, 0) != 0) cmd_failed_write(c);
}

/*
 * While the newest record is another model's (or one this build cannot read), only what cannot
 * change it is answered: info, READ_DISPLAY, SUBSCRIBE, power, clock, GET_STATE, FACTORY_RESET and
 * the firmware plane (to flash the right build). The rest answers 6985 naming the mismatch.
 */
static int refused_over_foreign(const command *cmd) {
  if (cmd->plane == P_UI) return cmd->ins != 0x14 && cmd->ins != 0x15;
  if (cmd->plane == P_PROV) return cmd->ins != 0x47 && cmd->ins != 0x48;
  return cmd->plane == P_TEST;
}

static void foreign_detail(const tb_journal *j, char *out, size_t cap) {
  tb_text tx;
  const char *name = tb_nv_model_name(j->foreign_model);
  tb_text_init(&tx, out, cap);
  if (!j->unread && name) {
    tb_text_str(&tx, "NV holds a "), tb_text_str(&tx, name), tb_text_str(&tx, " record; this build is " TB_MODEL_NAME ": flash the ");
    tb_text_str(&tx, name), tb_text_str(&tx, " build to use it, or FACTORY_RESET to erase it");
  } else {
    tb_text_str(&tx, "NV holds a record of layout "), tb_text_u64(&tx, j->foreign_layout), tb_text_str(&tx, " model "), tb_text_u64(&tx, j->foreign_model);
    tb_text_str(&tx, ", which this build (" TB_MODEL_NAME ") cannot read: flash the build that wrote it, or FACTORY_RESET to erase it");
  }
}

/* ---- the table and the dispatcher ---- */

static const command COMMANDS[] = {
  {0x01, P_INFO, "GET_INFO", h_get_info},
  {0x02, P_INFO, "AUTHENTICATE", h_authenticate},
  {0x10, P_UI, "KEY_DOWN", h_key_down},
  {0x11, P_UI, "KEY_UP", h_key_up},
  {0x12, P_UI, "KEY_PRESS", h_key_press},
  {0x13, P_UI, "KEY_HOLD", h_key_hold},
  {0x14, P_UI, "READ_DISPLAY", h_read_display},
  {0x15, P_UI, "SUBSCRIBE", h_subscribe},
  {0x20, P_POWER, "SET_POWER", h_set_power},
  {0x21, P_POWER, "GET_BATTERY", h_get_battery},
  {0x22, P_POWER, "SET_BATTERY", 0},
  {0x30, P_CLOCK, "GET_CLOCK", h_get_clock},
  {0x31, P_CLOCK, "SET_CLOCK", h_set_clock},
#if TB_TEST_CLOCK
  {0x32, P_CLOCK, "ADVANCE_CLOCK", h_advance_clock},
#else
  {0x32, P_CLOCK, "ADVANCE_CLOCK", 0},
#endif
  {0x40, P_PROV, "PUT_SECRET", h_put_secret},
  {0x41, P_PROV, "PUT_SUITE", h_put_suite},
  {0x42, P_PROV, "PUT_PIN_POLICY", h_put_pin_policy},
  {0x43, P_PROV, "PUT_PIN", h_put_pin},
  {0x44, P_PROV, "PUT_SERIAL", h_put_serial},
  {0x45, P_PROV, "PUT_UNLOCK_KEY", h_put_unlock_key},
  {0x46, P_PROV, "SEAL", h_seal},
  {0x47, P_PROV, "FACTORY_RESET", h_factory_reset},
  {0x48, P_PROV, "GET_STATE", h_get_state},
  {0x49, P_PROV, "PUT_COUNTER", h_put_counter},
  {0x4a, P_PROV, "PUT_AUTH_KEY", h_put_auth_key},
  {0x60, P_TEST, "TEST_COMPUTE", h_test_compute},
  {0x61, P_TEST, "TEST_CARD_LOOKUP", 0},
  {0x70, P_FIRMWARE, "FW_BEGIN", h_fw_begin},
  {0x71, P_FIRMWARE, "FW_WRITE", h_fw_write},
  {0x72, P_FIRMWARE, "FW_VERIFY", h_fw_verify},
  {0x73, P_FIRMWARE, "FW_COMMIT", h_fw_commit},
  {0x74, P_FIRMWARE, "FW_ABORT", h_fw_abort},
};

static const char *const PLANE_NAMES[] = {"info", "ui", "power", "clock", "provisioning", "test", "firmware"};

static size_t finish(ctx *c, uint8_t *out, size_t cap) {
  size_t n;
  if (c->sw == 0x9000 && !c->out.overflow) {
    n = c->out.len;
  } else {
    if (c->sw == 0x9000) cmd_fail(c, 0x6f00, "internal error: the answer does not fit", 0, 0);
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
  if (n > TB_MAX_MESSAGE) {
    /* P-1.3: an APDU over MAX_MESSAGE is refused whole, as the model refuses it. */
    c.sw = 0x6700;
    tb_text_init(&tx, c.detail, sizeof c.detail);
    tb_text_str(&tx, "APDU of "), tb_text_u64(&tx, n), tb_text_str(&tx, " bytes exceeds MAX_MESSAGE (4096)");
    return finish(&c, out, cap);
  }
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
    cmd_fail(&c, 0x6a81, "the ", PLANE_NAMES[cmd->plane], " plane is disabled on this token");
    return finish(&c, out, cap);
  }
  if (!cmd->fn) {
    cmd_fail(&c, 0x6a81, cmd->name, " is not available on this token", 0);
    return finish(&c, out, cap);
  }
  /* Plane rule: a sealed board needs an authenticated session for every plane but info and ui (GET_STATE excepted). */
  if (cmd->plane != P_INFO && cmd->plane != P_UI && cmd->ins != 0x48 && t->dev.nv.sealed && !tb_session_flag(t->privileged, channel)) {
    c.sw = 0x6982;
    tb_text_init(&tx, c.detail, sizeof c.detail);
    tb_text_str(&tx, cmd->name), tb_text_str(&tx, " is in the "), tb_text_str(&tx, PLANE_NAMES[cmd->plane]), tb_text_str(&tx, " plane, which needs an authenticated session: AUTHENTICATE first");
    return finish(&c, out, cap);
  }
  if (t->dev.journal.foreign && refused_over_foreign(cmd)) {
    c.sw = 0x6985;
    foreign_detail(&t->dev.journal, c.detail, sizeof c.detail);
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
