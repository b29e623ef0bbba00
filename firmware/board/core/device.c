/* DSC+ (or DSC) state machine, step by step as firmware/device/engine.ts with dscplus.ts or dsc.ts. */
#include <string.h>
#include "device.h"
#include "text.h"

static int idle_mode(enum tb_mode m) {
  return m == TB_PIN || m == TB_CHALLENGE || m == TB_LOCKED || m == TB_UNLOCK_SHOW || m == TB_UNLOCK_ENTRY || m == TB_NEW_PIN || m == TB_CONFIRM_PIN || m == TB_UNSET;
}
static int message_mode(enum tb_mode m) { return m == TB_FAILED || m == TB_UNLOCK_BAD || m == TB_PIN_SET || m == TB_MISMATCH; }

void tb_device_reset(tb_device *d) {
  d->mode = TB_OFF;
  d->entry[0] = d->pin[0] = d->new_pin[0] = d->challenge[0] = d->display[0] = 0;
  d->deadline = d->hold_since = -1;
  tb_device_parse_algorithm(d);
}

void tb_device_parse_algorithm(tb_device *d) {
  char err[8];
#if TB_MODEL_DSC
  if (tb_otp_parse(&d->otp, d->nv.suite, d->nv.suite_len, err, sizeof err) != 0) memset(&d->otp, 0, sizeof d->otp);
#else
  if (tb_suite_parse(&d->suite, d->nv.suite, d->nv.suite_len, err, sizeof err) != 0) memset(&d->suite, 0, sizeof d->suite);
#endif
}

int tb_device_counts(const tb_device *d) { return TB_MODEL_DSC ? d->otp.hotp : d->suite.counter; }

static void show(tb_device *d, const char *text) {
  if (strcmp(d->display, text) != 0) {
    size_t n = strlen(text);
    if (n > TB_DISPLAY_MAX) n = TB_DISPLAY_MAX;
    memcpy(d->display, text, n);
    d->display[n] = 0;
    if (d->on_display) d->on_display(d->ctx, d->display);
  }
}

int tb_device_store(tb_device *d, const tb_nv *nv) {
  if (tb_journal_write(&d->journal, nv) != 0) return -1;
  if (&d->nv != nv) d->nv = *nv;
  return 0;
}

static void enter(tb_device *d, enum tb_mode m, const char *text, int64_t at) {
  d->mode = m;
  d->deadline = idle_mode(m) ? at + TB_IDLE_MS : message_mode(m) ? at + TB_MESSAGE_MS : m == TB_RESPONSE ? at + TB_RESPONSE_MS : -1;
  show(d, text);
}

enum pin_kind { K_PIN, K_NEW, K_CONFIRM };

/*
 * The display while a PIN is typed. DSC+: "PIN>--" (NEW>, CNF>). DSC (maskPin in dsc.ts): "[--3_]",
 * earlier digits as dashes, the last in clear, the rest as underscores; N[...] / C[...] for a new PIN.
 */
static void render_pin(const tb_device *d, enum pin_kind kind, char *out) {
  size_t n = strlen(d->entry);
#if TB_MODEL_DSC
  size_t len = d->nv.pin_length, i = 0;
  if (kind != K_PIN) out[i++] = kind == K_NEW ? 'N' : 'C';
  out[i++] = '[';
  for (size_t k = 0; k < len; k++) out[i++] = k + 1 < n ? '-' : k + 1 == n ? d->entry[k] : '_';
  out[i++] = ']';
  out[i] = 0;
#else
  memcpy(out, kind == K_PIN ? "PIN>" : kind == K_NEW ? "NEW>" : "CNF>", 4);
  memset(out + 4, '-', n);
  out[4 + n] = 0;
#endif
}

/* Enters a PIN-entry mode with an empty entry. */
static void pin_mode(tb_device *d, enum tb_mode m, enum pin_kind kind, int64_t at) {
  char text[TB_DISPLAY_MAX + 1];
  d->entry[0] = 0;
  render_pin(d, kind, text);
  enter(d, m, text, at);
}

static void pin_prompt(tb_device *d, int64_t at) { pin_mode(d, TB_PIN, K_PIN, at); }

/* LOCKED, or BLOCKED once wrong unlock codes have used up the unlock flow (docs/devices.md, Unlock). */
static const char *locked_text(const tb_nv *nv) { return nv->unlock_fails >= TB_UNLOCK_FAIL_LIMIT ? "BLOCKED" : "LOCKED"; }

static void turn_on(tb_device *d, int64_t at) {
  if (d->nv.secret_len == 0) enter(d, TB_UNSET, "NO KEY", at);
  else if (d->nv.tries == 0) enter(d, TB_LOCKED, locked_text(&d->nv), at);
  else pin_prompt(d, at);
}

static void turn_off(tb_device *d, enum tb_mode m) {
  d->mode = m;
  tb_wipe(d->entry, sizeof d->entry), tb_wipe(d->pin, sizeof d->pin), tb_wipe(d->new_pin, sizeof d->new_pin);
  d->challenge[0] = 0;
  d->deadline = -1;
  if (m == TB_DEAD) d->hold_since = -1;
  show(d, "");
}

static void toggle_power(tb_device *d, int64_t at) {
  if (d->mode == TB_OFF) turn_on(d, at);
  else if (d->mode != TB_DEAD) turn_off(d, TB_OFF);
}

static void unlock_text(const tb_device *d, char *out) {
  out[0] = 'U', out[1] = '-';
  memcpy(out + 2, d->challenge, 7);
}

static void advance(tb_device *d, int64_t now) {
  char text[TB_DISPLAY_MAX + 1];
  for (int guard = 0; guard < 32; guard++) {
    /* A held PRESS (DSC) fires before a timeout due at the same time, as in the model. */
    int64_t hold = d->hold_since >= 0 && TB_HOLD_MS > 0 ? d->hold_since + TB_HOLD_MS : -1;
    int64_t due = hold >= 0 && (d->deadline < 0 || hold <= d->deadline) ? hold : d->deadline;
    if (due < 0 || due > now) return;
    if (due == hold) {
      d->hold_since = -1;
      toggle_power(d, due);
      continue;
    }
    switch (d->mode) {
      case TB_FAILED:
      case TB_PIN_SET: pin_prompt(d, due); break;
      case TB_UNLOCK_BAD:
        d->entry[0] = 0;
        unlock_text(d, text);
        enter(d, TB_UNLOCK_SHOW, text, due);
        break;
      case TB_MISMATCH:
        pin_mode(d, TB_NEW_PIN, K_NEW, due);
        break;
      default: turn_off(d, TB_OFF);
    }
  }
}

/* Appends a digit (up to max) or removes one (C); 1 if the entry changed. */
static int edit(tb_device *d, int key, size_t max) {
  size_t n = strlen(d->entry);
  if (key == TB_KEY_C) {
    if (n == 0) return 0;
    d->entry[n - 1] = 0;
    return 1;
  }
  if (key >= 0 && key <= 9 && n < max && n < TB_DISPLAY_MAX) {
    d->entry[n] = (char)('0' + key), d->entry[n + 1] = 0;
    return 1;
  }
  return 0;
}

int tb_pin_matches(const tb_nv *nv, const char *pin, size_t n) {
  uint8_t h[32];
  tb_pin_hash(nv->salt, nv->salt_len, pin, n, h);
  int ok = tb_ct_equal(h, nv->pin_hash, 32);
  tb_wipe(h, sizeof h);
  return ok;
}

size_t tb_unlock_key(const tb_nv *nv, uint8_t *out) {
  if (nv->unlock_len) {
    memcpy(out, nv->unlock_key, nv->unlock_len);
    return nv->unlock_len;
  }
  tb_hmac(TB_SHA256, nv->secret, nv->secret_len, (const uint8_t *)"tokenbench-unlock-key", 21, out);
  return 32;
}

int tb_compute(const tb_nv *nv, const tb_suite *s, const char *challenge, size_t n, const char *pin, size_t pinlen, int64_t now, char *out, int *advanced, char *err, size_t errlen) {
  int digits = n == s->qlen;
  for (size_t i = 0; i < n && digits; i++) digits = challenge[i] >= '0' && challenge[i] <= '9';
  if (!digits || n == 0) {
    tb_text t;
    tb_text_init(&t, err, errlen);
    tb_text_str(&t, "challenge must be exactly "), tb_text_u64(&t, s->qlen), tb_text_str(&t, " digits for suite "), tb_text_str(&t, s->text);
    return -1;
  }
  uint8_t ph[TB_HASH_MAX];
  tb_ocra_input in = {challenge, n, nv->counter, 0, 0, 0};
  if (s->pin) tb_hash(s->pin, (const uint8_t *)pin, pinlen, ph), in.pin_hash = ph;
  if (s->step) in.timestamp = (uint64_t)(now / 1000) / s->step;
  tb_ocra(s, nv->secret, nv->secret_len, &in, out);
  tb_wipe(ph, sizeof ph);
  *advanced = s->counter;
  return 0;
}

int tb_device_code(const tb_device *d, const tb_nv *nv, const char *challenge, size_t n, const char *pin, size_t pinlen, int64_t now, char *out, int *advanced, char *err, size_t errlen) {
#if TB_MODEL_DSC
  (void)pin, (void)pinlen, (void)challenge;
  if (n != 0) {
    tb_text t;
    tb_text_init(&t, err, errlen);
    tb_text_str(&t, "a DSC takes no challenge");
    return -1;
  }
  tb_otp_code(&d->otp, nv->secret, nv->secret_len, nv->counter, now, out);
  *advanced = d->otp.hotp;
  return 0;
#else
  return tb_compute(nv, &d->suite, challenge, n, pin, pinlen, now, out, advanced, err, errlen);
#endif
}

#if TB_MODEL_DSC
/* The right PIN on a DSC: the passcode, its counter moved on (and written) before it is shown. */
static int pin_accepted(tb_device *d, int64_t now) {
  char code[12];
  /* A used-up HOTP counter has no passcode left to show: the response stays blank. */
  if (d->otp.hotp && d->nv.counter >= TB_MAX_SAFE) return enter(d, TB_RESPONSE, "", now), 0;
  tb_otp_code(&d->otp, d->nv.secret, d->nv.secret_len, d->nv.counter, now, code);
  if (d->otp.hotp) {
    tb_nv next = d->nv;
    next.counter++;
    if (tb_device_store(d, &next) != 0) return -1;
  }
  enter(d, TB_RESPONSE, code, now);
  tb_wipe(code, sizeof code);
  return 0;
}
#else
static int pin_accepted(tb_device *d, int64_t now) {
  enter(d, TB_CHALLENGE, "CHALLNG>", now);
  return 0;
}
#endif

/* The try is spent (and written) before the PIN is compared: cutting the power now costs a try. */
static int check_pin(tb_device *d, int64_t now) {
  tb_nv spent = d->nv;
  if (spent.tries == 0) {
    /* Locked meanwhile (TEST_COMPUTE spent the last try): nothing left to spend. */
    d->entry[0] = 0;
    enter(d, TB_LOCKED, "LOCKED", now);
    return 0;
  }
  char text[TB_DISPLAY_MAX + 1];
  spent.tries--;
  uint8_t before = d->nv.tries;
  if (tb_device_store(d, &spent) != 0) return -1;
  size_t n = strlen(d->entry);
  if (tb_pin_matches(&d->nv, d->entry, n)) {
    spent.tries = d->nv.max_tries;
    if (tb_device_store(d, &spent) != 0) return -1;
    memcpy(d->pin, d->entry, n + 1);
    d->entry[0] = 0;
    return pin_accepted(d, now);
  } else if (before - 1 == 0) {
    d->entry[0] = 0;
    enter(d, TB_LOCKED, "LOCKED", now);
  } else {
    d->entry[0] = 0;
    memcpy(text, "FAIL ", 5);
    text[5] = 0;
    tb_text t;
    tb_text_init(&t, text + 5, sizeof text - 5);
    tb_text_u64(&t, spent.tries);
    enter(d, TB_FAILED, text, now);
  }
  return 0;
}

static void random_digits(tb_device *d, char *out, int n) {
  for (int i = 0; i < n; i++) {
    uint32_t v;
    do {
      uint8_t b[4];
      d->random(d->ctx, b, 4);
      v = ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) | ((uint32_t)b[2] << 8) | b[3];
    } while (v >= 4294967290u); /* rejection sampling: randomInt in firmware/rng.ts */
    out[i] = (char)('0' + v % 10);
  }
  out[n] = 0;
}

#if !TB_MODEL_DSC
static int respond(tb_device *d, int64_t now) {
  char code[24], err[8];
  int advanced = 0;
  size_t n = strlen(d->entry);
  if (tb_compute(&d->nv, &d->suite, d->entry, n, d->pin, strlen(d->pin), now, code, &advanced, err, sizeof err) != 0) return 0;
  if (advanced) {
    /* The counter stops at 2^53 - 1 (the model's and the host's integers): no value is reused. */
    if (d->nv.counter >= TB_MAX_SAFE) return 0;
    tb_nv next = d->nv;
    next.counter++;
    if (tb_device_store(d, &next) != 0) return -1;
  }
  d->entry[0] = 0;
  enter(d, TB_RESPONSE, code, now);
  return 0;
}
#endif

static int unlock_entry_ok(tb_device *d, int64_t now) {
  uint8_t key[TB_SECRET_MAX];
  char expected[12];
  tb_suite s;
  char err[8];
  /* The attempt is counted (and written) before the code is compared, like a PIN try. */
  tb_nv before = d->nv, counted = d->nv;
  counted.unlock_fails++;
  if (tb_device_store(d, &counted) != 0) return -1;
  /* The unlock code: OCRA-1:HOTP-SHA1-8:QN06 over the challenge under the unlock key. */
  tb_suite_parse(&s, "OCRA-1:HOTP-SHA1-8:QN06", 23, err, sizeof err);
  size_t kl = tb_unlock_key(&before, key);
  tb_ocra_input in = {d->challenge, 6, 0, 0, 0, 0};
  tb_ocra(&s, key, kl, &in, expected);
  tb_wipe(key, sizeof key);
  int right = tb_ct_equal((const uint8_t *)d->entry, (const uint8_t *)expected, 8);
  tb_wipe(expected, sizeof expected);
  d->entry[0] = 0;
  if (right) {
    before.unlock_fails = 0;
    if (tb_device_store(d, &before) != 0) return -1;
    pin_mode(d, TB_NEW_PIN, K_NEW, now);
  } else if (counted.unlock_fails >= TB_UNLOCK_FAIL_LIMIT) {
    d->challenge[0] = 0;
    enter(d, TB_LOCKED, "BLOCKED", now);
  } else {
    enter(d, TB_UNLOCK_BAD, "BAD CODE", now);
  }
  tb_wipe(&before, sizeof before);
  return 0;
}

static int key_down(tb_device *d, int key, int64_t now) {
  char text[TB_DISPLAY_MAX + 1];
  if (key == TB_KEY_PRESS) {
    if (TB_HOLD_MS == 0) toggle_power(d, now);
    else if (d->hold_since < 0) d->hold_since = now;
    return 0;
  }
  if (d->mode == TB_OFF || message_mode(d->mode) || d->mode == TB_RESPONSE) return 0;
  if (idle_mode(d->mode)) d->deadline = now + TB_IDLE_MS;
  size_t n = strlen(d->entry);
  switch (d->mode) {
    case TB_PIN:
    case TB_NEW_PIN:
    case TB_CONFIRM_PIN: {
      enum pin_kind kind = d->mode == TB_PIN ? K_PIN : d->mode == TB_NEW_PIN ? K_NEW : K_CONFIRM;
      if (key == TB_KEY_OK) {
        if (n != d->nv.pin_length) return 0;
        if (d->mode == TB_PIN) return check_pin(d, now);
        if (d->mode == TB_NEW_PIN) {
          memcpy(d->new_pin, d->entry, n + 1);
          pin_mode(d, TB_CONFIRM_PIN, K_CONFIRM, now);
          return 0;
        }
        int same = strlen(d->new_pin) == n && tb_ct_equal((const uint8_t *)d->entry, (const uint8_t *)d->new_pin, n);
        if (same) {
          tb_nv next = d->nv;
          tb_pin_hash(next.salt, next.salt_len, d->new_pin, n, next.pin_hash);
          next.tries = next.max_tries;
          d->entry[0] = 0;
          if (tb_device_store(d, &next) != 0) return -1;
          tb_wipe(d->new_pin, sizeof d->new_pin);
          enter(d, TB_PIN_SET, "PIN SET", now);
        } else {
          d->entry[0] = 0;
          tb_wipe(d->new_pin, sizeof d->new_pin);
          enter(d, TB_MISMATCH, "MISMATCH", now);
        }
      } else if (edit(d, key, d->nv.pin_length)) {
        render_pin(d, kind, text);
        show(d, text);
      }
      return 0;
    }
    case TB_LOCKED:
      if (key == TB_KEY_OK && d->nv.unlock_fails < TB_UNLOCK_FAIL_LIMIT) {
        random_digits(d, d->challenge, 6);
        unlock_text(d, text);
        enter(d, TB_UNLOCK_SHOW, text, now);
      }
      return 0;
    case TB_UNLOCK_SHOW:
      if (key == TB_KEY_OK) {
        d->entry[0] = 0;
        enter(d, TB_UNLOCK_ENTRY, "UNLOCK>", now);
      }
      return 0;
    case TB_UNLOCK_ENTRY:
      if (key == TB_KEY_OK) {
        if (n != 8) return 0;
        return unlock_entry_ok(d, now);
      }
      if (edit(d, key, 8)) show(d, d->entry[0] ? d->entry : "UNLOCK>");
      return 0;
#if !TB_MODEL_DSC
    case TB_CHALLENGE:
      if (key == TB_KEY_OK) {
        if (d->suite.qlen && n == d->suite.qlen) return respond(d, now);
      } else if (edit(d, key, d->suite.qlen)) {
        show(d, d->entry[0] ? d->entry : "CHALLNG>");
      }
      return 0;
#endif
    default: return 0;
  }
}

int tb_device_step(tb_device *d, enum tb_input in, int key, int on, int64_t now) {
  if (in == TB_IN_POWER) {
    if (!on) {
      if (d->mode != TB_DEAD) turn_off(d, TB_DEAD);
    } else if (d->mode == TB_DEAD) {
      d->mode = TB_OFF;
    }
    return 0;
  }
  if (d->mode == TB_DEAD) return 0;
  advance(d, now);
  /* Keys the model does not have are ignored (the DSC has no C). */
  if (in == TB_IN_DOWN && tb_model_has_key(key)) return key_down(d, key, now);
  if (in == TB_IN_UP && key == TB_KEY_PRESS) d->hold_since = -1;
  return 0;
}
