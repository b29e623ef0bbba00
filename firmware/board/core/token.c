/*
 * The board's protocol endpoint: clock, pending releases, events, sessions and the stream link
 * (firmware/token/device-token.ts and protocol/server.ts). Command handlers are in handlers.c.
 */
#include <string.h>
#include "token.h"
#include "hal.h"
#include "handlers.h"

/* ---- randomness: SHA-256 counter mode over the seed (firmware/rng.ts seededRng) ---- */

static void drbg_seed(tb_drbg *g, const char *prefix, const uint8_t *seed, size_t n) {
  size_t p = strlen(prefix);
  if (n > TB_SEED_MAX) n = TB_SEED_MAX;
  memcpy(g->seed, prefix, p);
  memcpy(g->seed + p, seed, n);
  g->seedlen = p + n, g->block = 0, g->pool_at = 32;
}

static void drbg_read(tb_drbg *g, uint8_t *out, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (g->pool_at == 32) {
      uint8_t in[TB_SEED_MAX + 5 + 8];
      memcpy(in, g->seed, g->seedlen);
      for (int k = 0; k < 8; k++) in[g->seedlen + (size_t)k] = (uint8_t)(g->block >> (56 - 8 * k));
      g->block++;
      tb_hash(TB_SHA256, in, g->seedlen + 8, g->pool);
      g->pool_at = 0;
    }
    out[i] = g->pool[g->pool_at++];
  }
}

void tb_token_random(tb_token *t, uint8_t *out, size_t n) { drbg_read(&t->rng, out, n); }
void tb_token_auth_random(tb_token *t, uint8_t *out, size_t n) { drbg_read(&t->auth_rng, out, n); }

static void device_random(void *ctx, uint8_t *out, size_t n) { tb_token_random((tb_token *)ctx, out, n); }

static void device_display(void *ctx, const char *text) {
  tb_token *t = ctx;
  if (t->nqueued < (int)(sizeof t->queued / sizeof t->queued[0])) {
    strcpy(t->queued[t->nqueued++], text);
  }
}

/* ---- clock ---- */

static int64_t host_now(tb_token *t) {
  uint32_t ms = tb_hal_ms();
  t->host_ms += (uint32_t)(ms - t->last_ms);
  t->last_ms = ms;
  return t->host_ms;
}

int64_t tb_token_now(tb_token *t) {
  int64_t h = host_now(t);
  return t->frozen || t->held ? t->device_at : t->device_at + (h - t->host_at);
}

void tb_token_set_clock(tb_token *t, int64_t device_ms) {
  t->device_at = device_ms;
  t->host_at = host_now(t);
}

/* ---- display and events ---- */

uint8_t tb_token_indicators(const tb_token *t) {
  enum tb_mode m = t->dev.mode;
  uint8_t ind = 0;
  /* A record of another model: on, showing WRONG FW, nothing else (README "Another model's record"). */
  if (t->dev.journal.foreign) return (uint8_t)(0x01 | (t->battery <= 10 ? 0x04 : 0));
  if (m != TB_OFF && m != TB_DEAD) ind |= 0x01;
  if (t->dev.nv.tries == 0) ind |= 0x02;
  if (t->battery <= 10) ind |= 0x04;
  if (m == TB_DEAD) ind |= 0x08;
  return ind;
}

static void send_frame(int type, uint8_t channel, uint8_t seq, const uint8_t *payload, size_t n) {
  static uint8_t scratch[TB_MAX_RESPONSE + 8], out[TB_MAX_RESPONSE + TB_MAX_RESPONSE / 254 + 16];
  if (n > TB_MAX_RESPONSE) n = TB_MAX_RESPONSE;
  size_t m = tb_frame_encode(type, channel, seq, payload, n, scratch, out);
  tb_hal_serial_write(out, m);
}

static void emit(tb_token *t, const char *text, uint8_t ind) {
  uint8_t payload[3 + 2 + TB_DISPLAY_MAX + 3];
  size_t n = strlen(text);
  strcpy(t->last_text, text);
  t->last_ind = ind;
  tb_hal_display_show(text, ind);
  payload[0] = 0xdf, payload[1] = 0x05, payload[2] = 1, payload[3] = 0x01;
  payload[4] = 0x8d, payload[5] = (uint8_t)n;
  memcpy(payload + 6, text, n);
  payload[6 + n] = 0x8e, payload[7 + n] = 1, payload[8 + n] = ind;
  for (uint16_t i = 0; i < t->nsessions; i++) {
    uint8_t ch = t->order[i];
    if (t->subscribed[ch >> 3] & (1u << (ch & 7))) send_frame(TB_FT_EVENT, ch, 0, payload, 9 + n);
  }
}

/*
 * Loads the state from the flash. No whole record: a blank one, written when `write_blank` (at
 * boot). A record this build must not use (another model's, or one it cannot read): nothing is
 * written, the device stays off and shows TB_FOREIGN_TEXT until FACTORY_RESET.
 */
static void load(tb_token *t, const char *serial, size_t serial_len, int write_blank) {
  char keep[TB_SERIAL_MAX];
  memcpy(keep, serial, serial_len); /* serial may point into the record that is reloaded */
  int kind = tb_journal_load(&t->dev.journal, &t->dev.nv);
  if (kind == 0 || t->dev.journal.unread) tb_nv_blank(&t->dev.nv, keep, serial_len);
  if (kind == 0 && write_blank) tb_journal_write(&t->dev.journal, &t->dev.nv);
  tb_device_reset(&t->dev);
  if (t->dev.journal.foreign) {
    strcpy(t->dev.display, TB_FOREIGN_TEXT);
    strcpy(t->last_text, TB_FOREIGN_TEXT);
    t->last_ind = tb_token_indicators(t);
    tb_hal_display_show(t->last_text, t->last_ind);
  }
}

/* After a failed NV write: boot again from what the flash holds, switched off. */
static void restart(tb_token *t) {
  load(t, t->dev.nv.serial, t->dev.nv.serial_len, 0);
  t->nups = 0;
  t->failed = 1;
}

/* One input to the state machine at `at`, then its display changes as events (DeviceToken.feed). */
static int feed(tb_token *t, enum tb_input in, int key, int on, int64_t at) {
  t->nqueued = 0;
  if (t->dev.journal.foreign) return 0; /* the device does nothing over another model's record */
  if (tb_device_step(&t->dev, in, key, on, at) != 0) {
    t->nqueued = 0;
    restart(t);
    return -1;
  }
  uint8_t ind = tb_token_indicators(t);
  for (int i = 0; i < t->nqueued; i++) emit(t, t->queued[i], ind);
  t->nqueued = 0;
  if (ind != t->last_ind || strcmp(t->dev.display, t->last_text) != 0) emit(t, t->dev.display, ind);
  return 0;
}

/* Due key releases, each at its own time, then time passes to `now`. */
static int settle(tb_token *t, int64_t now) {
  /* Stable insertion sort by release time (the model sorts its array the same way). */
  for (int i = 1; i < t->nups; i++) {
    tb_up u = t->ups[i];
    int j = i - 1;
    while (j >= 0 && t->ups[j].at > u.at) t->ups[j + 1] = t->ups[j], j--;
    t->ups[j + 1] = u;
  }
  while (t->nups > 0 && t->ups[0].at <= now) {
    tb_up u = t->ups[0];
    memmove(t->ups, t->ups + 1, (size_t)(t->nups - 1) * sizeof t->ups[0]);
    t->nups--;
    if (feed(t, TB_IN_UP, u.key, 0, u.at) != 0) return -1;
  }
  return feed(t, TB_IN_TICK, 0, 0, now);
}

int tb_token_tick(tb_token *t) { return settle(t, tb_token_now(t)); }

int tb_token_input(tb_token *t, enum tb_input in, int key, int on) {
  int64_t now = tb_token_now(t);
  if (settle(t, now) != 0) return -1;
  return feed(t, in, key, on, now);
}

int tb_token_hold(tb_token *t, int key, int64_t ms) {
  int64_t now = tb_token_now(t);
  if (settle(t, now) != 0) return -1;
  if (feed(t, TB_IN_DOWN, key, 0, now) != 0) return -1;
  int k = 0;
  for (int i = 0; i < t->nups; i++)
    if (t->ups[i].key != key) t->ups[k++] = t->ups[i];
  t->nups = k;
  if (ms == 0) return feed(t, TB_IN_UP, key, 0, now);
  t->ups[t->nups].key = (int8_t)key, t->ups[t->nups].at = now + ms, t->nups++;
  return 0;
}

int tb_token_power_changed(tb_token *t) { return tb_token_input(t, TB_IN_POWER, 0, t->battery_in && t->battery > 0); }

/* Writes a record; restart: RAM starts over, switched off (factory reset). */
int tb_token_write(tb_token *t, const tb_nv *nv, int restart_ram) {
  if (tb_device_store(&t->dev, nv) != 0) {
    restart(t);
    return -1;
  }
  if (restart_ram) tb_device_reset(&t->dev);
  else {
    /* A new suite (or DSC passcode setting) is parsed once, here. */
    tb_device_parse_algorithm(&t->dev);
  }
  return 0;
}

void tb_token_clear_ups(tb_token *t) { t->nups = 0; }

/* ---- sessions ---- */

static void session_touch(tb_token *t, uint8_t ch) {
  if (!(t->known[ch >> 3] & (1u << (ch & 7)))) {
    t->known[ch >> 3] |= (uint8_t)(1u << (ch & 7));
    t->order[t->nsessions++] = ch;
  }
}

int tb_session_flag(const uint8_t *bits, uint8_t ch) { return (bits[ch >> 3] >> (ch & 7)) & 1; }
void tb_session_set(uint8_t *bits, uint8_t ch, int on) {
  if (on) bits[ch >> 3] |= (uint8_t)(1u << (ch & 7));
  else bits[ch >> 3] &= (uint8_t)~(1u << (ch & 7));
}

/* ---- boot and the link ---- */

void tb_token_boot(tb_token *t, const uint8_t *seed, size_t n, int frozen, const char *default_serial) {
  memset(t, 0, sizeof *t);
  uint8_t drawn[32];
  if (!seed) tb_hal_seed(drawn, sizeof drawn), seed = drawn, n = sizeof drawn;
  drbg_seed(&t->rng, "", seed, n);
  drbg_seed(&t->auth_rng, "auth:", seed, n);
  tb_wipe(drawn, sizeof drawn);
  t->frozen = frozen;
  t->last_ms = tb_hal_ms();
  t->battery = 100, t->battery_in = 1;
  memcpy(t->fw.version, TB_FIRMWARE_VERSION, sizeof TB_FIRMWARE_VERSION);
  t->dev.random = device_random, t->dev.on_display = device_display, t->dev.ctx = t;
  load(t, default_serial, strlen(default_serial), 1);
  t->last_ind = tb_token_indicators(t);
  tb_rx_init(&t->rx);
}

size_t tb_token_handle(tb_token *t, uint8_t channel, const uint8_t *apdu, size_t n, uint8_t *out, size_t cap) {
  session_touch(t, channel);
  t->failed = 0;
  return tb_dispatch(t, channel, apdu, n, out, cap);
}

static void send_error(const tb_frame *f) {
  uint8_t payload[1 + sizeof f->detail];
  size_t n = strlen(f->detail);
  payload[0] = (uint8_t)f->error;
  memcpy(payload + 1, f->detail, n);
  send_frame(TB_FT_ERROR, f->has_address ? f->channel : 0xff, f->has_address ? f->seq : 0xff, payload, 1 + n);
}

void tb_token_receive(tb_token *t, const uint8_t *p, size_t n) {
  static uint8_t response[TB_MAX_RESPONSE];
  tb_frame f;
  int errored = 0;
  int64_t now = host_now(t);
  /* At most one ERROR frame per chunk received (docs/protocol.md §2). */
  if (tb_rx_begin(&t->rx, now, &f)) send_error(&f), errored = 1;
  for (size_t i = 0; i < n; i++) {
    if (!tb_rx_byte(&t->rx, p[i], now, &f)) continue;
    if (f.type == 0) {
      if (!errored) send_error(&f), errored = 1;
      continue;
    }
    if (f.type != TB_FT_REQUEST) continue;
    size_t m = tb_token_handle(t, f.channel, f.payload, f.n, response, sizeof response);
    send_frame(TB_FT_RESPONSE, f.channel, f.seq, response, m);
  }
}

void tb_token_poll(tb_token *t) {
  int64_t now = tb_token_now(t);
  int due = t->dev.deadline >= 0 && t->dev.deadline <= now;
  due |= TB_HOLD_MS > 0 && t->dev.hold_since >= 0 && t->dev.hold_since + TB_HOLD_MS <= now;
  for (int i = 0; i < t->nups; i++) due |= t->ups[i].at <= now;
  if (due) tb_token_tick(t);
}

void tb_token_key(tb_token *t, int key, int down) { tb_token_input(t, down ? TB_IN_DOWN : TB_IN_UP, key, 0); }
