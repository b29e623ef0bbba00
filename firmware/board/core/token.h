/*
 * The board as a protocol endpoint: the C form of firmware/token/device-token.ts and dispatch.ts.
 * It owns the DSC+ state machine, the device clock, pending key releases, the stream receiver,
 * sessions (channels) with their SUBSCRIBE and AUTHENTICATE state, and answers every request.
 * One instance, statically allocated by the HAL's main.
 */
#ifndef TB_TOKEN_H
#define TB_TOKEN_H
#include <stddef.h>
#include <stdint.h>
#include "config.h"
#include "device.h"
#include "fwupdate.h"
#include "wire.h"

/* The display while the NV holds a record this build must not use (README "Another model's record"). */
#define TB_FOREIGN_TEXT "WRONG FW"

typedef struct {
  int8_t key;
  int64_t at;
} tb_up;

#define TB_SEED_MAX 64

typedef struct {
  uint8_t seed[TB_SEED_MAX + 5];
  size_t seedlen;
  uint64_t block;
  uint8_t pool[32];
  unsigned pool_at;
} tb_drbg;

typedef struct {
  tb_device dev;
  /* Device clock: device time = device_at + (host ms - host_at), or device_at while frozen. */
  int64_t device_at, host_at;
  int frozen;
  /* Held by SET_CLOCK P1 = 01 (it then moves only through the clock plane); P1 = 00 lets it run. */
  int held;
  uint32_t last_ms;
  int64_t host_ms; /* tb_hal_ms widened past its 32-bit wrap */
  uint8_t battery, battery_in;
  tb_up ups[TB_KEYS];
  int nups;
  char last_text[TB_DISPLAY_MAX + 1];
  uint8_t last_ind;
  /* Display changes of the step in progress, emitted once it completes. */
  char queued[40][TB_DISPLAY_MAX + 1];
  int nqueued;
  /* Sessions: channels in the order they first spoke, and their bits. */
  uint8_t order[256];
  uint16_t nsessions;
  uint8_t known[32], subscribed[32], privileged[32];
  struct {
    uint8_t used, channel;
    uint8_t challenge[16], nonce[16];
  } auth[TB_AUTH_SLOTS];
  uint8_t auth_next;
  /*
   * Random generators: block i = SHA-256(seed | i as 8 bytes), as firmware/rng.ts seededRng. One
   * for the keypad (unlock challenges), one seeded "auth:" | seed for AUTHENTICATE challenges.
   */
  tb_drbg rng, auth_rng;
  tb_rx rx;
  tb_fw fw; /* the firmware-update plane */
  int failed; /* an NV write failed while answering */
} tb_token;

/**
 * Boots from the flash journal (writing a blank record when none is valid). `seed` (n bytes)
 * fixes the random stream for reproducible tests; NULL draws the seed from tb_hal_seed.
 * `frozen`: the device clock moves only through the clock plane (tests).
 */
void tb_token_boot(tb_token *t, const uint8_t *seed, size_t n, int frozen, const char *default_serial);
/** Feeds bytes received on the serial link; answers and events go out through tb_hal_serial_write. */
void tb_token_receive(tb_token *t, const uint8_t *p, size_t n);
/** Lets time pass: fires due timeouts (events to subscribers). Call from the main loop. */
void tb_token_poll(tb_token *t);
/** A key from a wired keypad (down or up). */
void tb_token_key(tb_token *t, int key, int down);
/** Answers one command APDU into out (cap bytes); returns the response length. */
size_t tb_token_handle(tb_token *t, uint8_t channel, const uint8_t *apdu, size_t n, uint8_t *out, size_t cap);

#endif
