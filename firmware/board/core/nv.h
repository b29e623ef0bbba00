/*
 * The token's non-volatile record (the C form of firmware/device/nv.ts) and the journal that
 * stores it in two flash sectors: each write appends a whole record with a sequence number and a
 * CRC to the next erased slot; when a sector is full the other one is erased and written. At boot
 * the newest record whose CRC and fields check is the state. Layout: firmware/board/README.md.
 */
#ifndef TB_NV_H
#define TB_NV_H
#include <stddef.h>
#include <stdint.h>
#include "config.h"

#define TB_SERIAL_MAX 32
#define TB_SECRET_MAX 128
#define TB_AUTH_KEY_MIN 16
#define TB_AUTH_KEY_MAX 64
#define TB_NV_SLOT 1024u
#define TB_NV_SLOTS_PER_SECTOR 16u
#define TB_MAX_SAFE 9007199254740991ULL /* counters and clocks stay JSON-safe, as in the model */
#define TB_UNLOCK_FAIL_LIMIT 10
/* The model byte of a record (offset 9; 0 in records of firmware older than the field). */
#define TB_NV_MODEL_DSCPLUS 1u
#define TB_NV_MODEL_DSC 2u
#define TB_NV_MODEL_SELF (TB_MODEL_DSC ? TB_NV_MODEL_DSC : TB_NV_MODEL_DSCPLUS)

typedef struct {
  uint8_t model; /* TB_NV_MODEL_*: the model that wrote it (inferred for older records) */
  uint8_t sealed;
  uint8_t pin_length, max_tries, tries;
  uint8_t unlock_fails; /* wrong unlock codes, written before the compare (issue 8) */
  uint8_t serial_len, salt_len, secret_len, unlock_len, auth_len, suite_len;
  uint64_t counter;
  uint8_t pin_hash[32];
  char serial[TB_SERIAL_MAX];
  char salt[TB_SERIAL_MAX];
  uint8_t secret[TB_SECRET_MAX];
  uint8_t unlock_key[TB_SECRET_MAX];
  uint8_t auth_key[TB_AUTH_KEY_MAX];
  char suite[64];
} tb_nv;

/** SHA-256("tokenbench-pin" 00 salt 00 pin): the stored PIN hash (docs/devices.md, Stored record). */
void tb_pin_hash(const char *salt, size_t saltlen, const char *pin, size_t pinlen, uint8_t out[32]);
/** A factory-reset record: no secret, PIN 1234, 3 tries, counter 0, default suite, unsealed. */
void tb_nv_blank(tb_nv *nv, const char *serial, size_t serial_len);
/** 1 if the record's fields are in range for `model` (the checks of decodeNv for that model). */
int tb_nv_valid_for(const tb_nv *nv, unsigned model);
/** 1 if the record's fields are in range for this build's model. */
int tb_nv_valid(const tb_nv *nv);
/** "dscplus" or "dsc" for a TB_NV_MODEL_* value, or 0. */
const char *tb_nv_model_name(unsigned model);

typedef struct {
  uint32_t seq;      /* sequence number of the newest record */
  uint32_t slot;     /* its slot, 0 .. 2 * TB_NV_SLOTS_PER_SECTOR - 1, or UINT32_MAX if none */
  /*
   * The newest whole record is one this build must not use or overwrite: of the other model
   * (foreign_model), or of a layout or model byte it does not know (unread: nv was not filled).
   * tb_journal_write refuses while it is set; FACTORY_RESET clears it to write over it.
   */
  uint8_t foreign, unread, foreign_model, foreign_layout;
} tb_journal;

/**
 * Finds the newest whole record (magic, CRC, fields in range for the model that wrote it).
 * Returns 1 and fills nv when it is this build's; 2 when it is foreign (j->foreign; nv filled with
 * it unless j->unread); 0 when the flash holds none.
 */
int tb_journal_load(tb_journal *j, tb_nv *nv);
/** Appends nv as the newest record. 0, or -1 if a flash operation failed (nothing is newer then) or the newest record is foreign. */
int tb_journal_write(tb_journal *j, const tb_nv *nv);

#endif
