/*
 * The DSC+ state machine (or, built with TB_MODEL_DSC, the DSC's): the C form of
 * firmware/device/engine.ts with dscplus.ts or dsc.ts (docs/devices.md).
 * `tb_device_step` performs one input at device time `now`: it changes the state, writes the NV
 * record through the journal before the PIN compare and before a response is shown, and reports
 * every display change to `on_display` in order.
 */
#ifndef TB_DEVICE_H
#define TB_DEVICE_H
#include <stdint.h>
#include "nv.h"
#include "config.h"
#include "ocra.h"
#include "otp.h"

enum tb_mode {
  TB_DEAD, TB_OFF, TB_PIN, TB_FAILED, TB_CHALLENGE, TB_RESPONSE, TB_LOCKED, TB_UNLOCK_SHOW,
  TB_UNLOCK_ENTRY, TB_UNLOCK_BAD, TB_NEW_PIN, TB_CONFIRM_PIN, TB_PIN_SET, TB_MISMATCH, TB_UNSET
};

enum { TB_KEY_OK = 10, TB_KEY_C = 11, TB_KEY_PRESS = 12, TB_KEYS = 13 };
/* 1 if the key is on the model: 0-9, OK, PRESS, and C on a DSC+ (a DSC has no C). */
static inline int tb_model_has_key(int key) { return key >= 0 && key < TB_KEYS && !(TB_MODEL_DSC && key == TB_KEY_C); }

#define TB_IDLE_MS 60000
#define TB_MESSAGE_MS 2000
#if TB_MODEL_DSC
#define TB_RESPONSE_MS 15000
#define TB_HOLD_MS 2000 /* PRESS held this long turns the DSC on or off */
#define TB_MODEL_NAME "dsc"
#else
#define TB_RESPONSE_MS 30000
#define TB_HOLD_MS 0 /* PRESS going down turns the DSC+ on or off */
#define TB_MODEL_NAME "dscplus"
#endif
#define TB_DISPLAY_MAX 16

enum tb_input { TB_IN_DOWN, TB_IN_UP, TB_IN_TICK, TB_IN_POWER };

typedef struct tb_device tb_device;
typedef void (*tb_display_fn)(void *ctx, const char *text);
/** Random bytes for the unlock challenge. */
typedef void (*tb_random_fn)(void *ctx, uint8_t *out, size_t n);

struct tb_device {
  tb_nv nv;
  tb_journal journal;
  tb_suite suite; /* nv.suite, parsed (DSC+) */
  tb_otp otp;     /* nv.suite as the DSC's passcode setting, parsed (DSC) */
  enum tb_mode mode;
  char entry[TB_DISPLAY_MAX + 1];
  char pin[8];
  char new_pin[8];
  char challenge[8];
  char display[TB_DISPLAY_MAX + 1];
  int64_t deadline;
  int64_t hold_since; /* DSC: when PRESS went down, or -1 */
  tb_display_fn on_display;
  tb_random_fn random;
  void *ctx;
};

/** Sets up RAM state for the record in nv (switched off). */
void tb_device_reset(tb_device *d);
/**
 * One input. `key` for DOWN/UP, `on` for POWER. Returns 0, or -1 when an NV write failed: the
 * device must then be booted again from what the flash holds (the caller does it).
 */
int tb_device_step(tb_device *d, enum tb_input in, int key, int on, int64_t now);
/** Writes a new record through the journal (provisioning, TEST_COMPUTE). 0 or -1. */
int tb_device_store(tb_device *d, const tb_nv *nv);
/** Parses the stored suite (DSC+) or passcode setting (DSC) into d->suite / d->otp. */
void tb_device_parse_algorithm(tb_device *d);
/** 1 if the model's codes use the event counter (OCRA suites with C, HOTP on a DSC). */
int tb_device_counts(const tb_device *d);
/**
 * The code TEST_COMPUTE gives, as the keypad path computes it: tb_compute (DSC+), or the DSC's
 * passcode (which takes no challenge). 0, or -1 with the reason in err.
 */
int tb_device_code(const tb_device *d, const tb_nv *nv, const char *challenge, size_t n, const char *pin, size_t pinlen, int64_t now, char *out, int *advanced, char *err, size_t errlen);
/** 1 if `pin` (n bytes) matches the stored PIN hash, compared in constant time. */
int tb_pin_matches(const tb_nv *nv, const char *pin, size_t n);
/**
 * The DSC+ response for a challenge of the suite's digits after the right PIN at `now`; with a
 * counter suite, *advanced is set to 1 (the caller writes counter + 1 first). 0, or -1 with the
 * reason in err when the keypad could not type the challenge.
 */
int tb_compute(const tb_nv *nv, const tb_suite *s, const char *challenge, size_t n, const char *pin, size_t pinlen, int64_t now, char *out, int *advanced, char *err, size_t errlen);
/** The unlock key in force: the provisioned one, or HMAC-SHA256(secret, "tokenbench-unlock-key"). */
size_t tb_unlock_key(const tb_nv *nv, uint8_t *out);

#endif
