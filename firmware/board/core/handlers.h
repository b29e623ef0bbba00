/* The APDU dispatcher and command handlers (firmware/token/dispatch.ts, device-token.ts, provisioning.ts). */
#ifndef TB_HANDLERS_H
#define TB_HANDLERS_H
#include "token.h"

size_t tb_dispatch(tb_token *t, uint8_t channel, const uint8_t *apdu, size_t n, uint8_t *out, size_t cap);

/* token.c internals the handlers use. Each returns 0, or -1 after a failed NV write (restarted). */
int64_t tb_token_now(tb_token *t);
void tb_token_set_clock(tb_token *t, int64_t device_ms);
uint8_t tb_token_indicators(const tb_token *t);
int tb_token_tick(tb_token *t);
int tb_token_input(tb_token *t, enum tb_input in, int key, int on);
int tb_token_hold(tb_token *t, int key, int64_t ms);
int tb_token_power_changed(tb_token *t);
int tb_token_write(tb_token *t, const tb_nv *nv, int restart_ram);
void tb_token_clear_ups(tb_token *t);
void tb_token_random(tb_token *t, uint8_t *out, size_t n);
/** AUTHENTICATE challenges: a stream of their own, so keypad randomness stays as the model's. */
void tb_token_auth_random(tb_token *t, uint8_t *out, size_t n);
int tb_session_flag(const uint8_t *bits, uint8_t ch);
void tb_session_set(uint8_t *bits, uint8_t ch, int on);

#endif
