/*
 * Internal to the command layer (dispatch.c, handlers.c, provision.c): the context of one command,
 * the field helpers, and the handlers the dispatcher's table names. Status words and DETAIL texts
 * are those of the golden model (firmware/token/dispatch.ts, device-token.ts, provisioning.ts, auth.ts).
 */
#ifndef TB_COMMAND_H
#define TB_COMMAND_H
#include "handlers.h"

enum plane { P_INFO, P_UI, P_POWER, P_CLOCK, P_PROV, P_TEST, P_FIRMWARE };
#define BOARD_PLANES ((1u << P_INFO) | (1u << P_UI) | (1u << P_POWER) | (1u << P_CLOCK) | (1u << P_PROV) | (1u << P_TEST) | (1u << P_FIRMWARE))

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

/* Answers and fields (dispatch.c). Each helper that fails sets the status word and DETAIL. */
void cmd_fail(ctx *c, uint16_t sw, const char *a, const char *b, const char *d);
const char *cmd_tag_name(uint16_t tag);
int cmd_failed_write(ctx *c);
const tb_tlv *cmd_find(ctx *c, uint16_t tag);
const tb_tlv *cmd_field(ctx *c, uint16_t tag);
int cmd_utf8_ok(const uint8_t *p, size_t n);
const tb_tlv *cmd_text_field(ctx *c, uint16_t tag, size_t max);
int cmd_uint_field(ctx *c, uint16_t tag, uint64_t min, uint64_t max, uint64_t *out);
const tb_tlv *cmd_key_field(ctx *c, uint16_t tag);
int cmd_no_params(ctx *c);
int cmd_on_off(ctx *c, int *on);
void cmd_display_fields(ctx *c);
uint8_t cmd_flags(const tb_token *t);
tb_nv *cmd_unsealed(ctx *c);
tb_nv *cmd_unlocked(ctx *c, tb_nv *nv);
void cmd_write_nv(ctx *c, const tb_nv *nv);

/* Handlers (handlers.c: info, ui, power, clock, test; provision.c: provisioning, AUTHENTICATE). */
void h_get_info(ctx *c);
void h_authenticate(ctx *c);
void h_key_down(ctx *c);
void h_key_up(ctx *c);
void h_key_press(ctx *c);
void h_key_hold(ctx *c);
void h_read_display(ctx *c);
void h_subscribe(ctx *c);
void h_set_power(ctx *c);
void h_get_battery(ctx *c);
void h_get_clock(ctx *c);
void h_set_clock(ctx *c);
void h_advance_clock(ctx *c);
void h_put_secret(ctx *c);
void h_put_suite(ctx *c);
void h_put_pin_policy(ctx *c);
void h_put_pin(ctx *c);
void h_put_serial(ctx *c);
void h_put_unlock_key(ctx *c);
void h_seal(ctx *c);
void h_factory_reset(ctx *c);
void h_get_state(ctx *c);
void h_put_counter(ctx *c);
void h_put_auth_key(ctx *c);
void h_test_compute(ctx *c);
/* fwupdate.c: the firmware plane */
void h_fw_begin(ctx *c);
void h_fw_write(ctx *c);
void h_fw_verify(ctx *c);
void h_fw_commit(ctx *c);
void h_fw_abort(ctx *c);

#endif
