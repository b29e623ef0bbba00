/* The NV record and its two-sector journal (see nv.h and README.md "NV layout"). */
#include <string.h>
#include "nv.h"
#include "config.h"
#include "otp.h"
#include "hal.h"
#include "sha.h"
#include "wire.h"

#define MAGIC 0x54424e56u /* "TBNV" */
#define LAYOUT 1u

void tb_pin_hash(const char *salt, size_t saltlen, const char *pin, size_t pinlen, uint8_t out[32]) {
  tb_hash_ctx c;
  static const uint8_t zero = 0;
  tb_hash_init(&c, TB_SHA256);
  tb_hash_update(&c, (const uint8_t *)"tokenbench-pin", 14);
  tb_hash_update(&c, &zero, 1);
  tb_hash_update(&c, (const uint8_t *)salt, saltlen);
  tb_hash_update(&c, &zero, 1);
  tb_hash_update(&c, (const uint8_t *)pin, pinlen);
  tb_hash_final(&c, out);
}

void tb_nv_blank(tb_nv *nv, const char *serial, size_t serial_len) {
  memset(nv, 0, sizeof *nv);
  nv->model = TB_NV_MODEL_SELF;
  memcpy(nv->serial, serial, serial_len);
  memcpy(nv->salt, serial, serial_len);
  nv->serial_len = nv->salt_len = (uint8_t)serial_len;
  nv->pin_length = 4, nv->max_tries = 3, nv->tries = 3;
  tb_pin_hash(serial, serial_len, "1234", 4, nv->pin_hash);
  /* The model's defaults: DEFAULT_DSCPLUS_SUITE, or DEFAULT_DSC_OTP as its text. */
  const char *suite = TB_MODEL_DSC ? "TOTP-SHA1-6-30" : "OCRA-1:HOTP-SHA1-8:QN06";
  nv->suite_len = (uint8_t)strlen(suite);
  memcpy(nv->suite, suite, nv->suite_len);
}

static int serial_ok(const char *s, size_t n) {
  if (n < 1 || n > TB_SERIAL_MAX) return 0;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return 0;
  }
  return 1;
}

/* 1 if the suite field is a DSC passcode setting in canonical form (decodeNv: checkOtp). */
static int dsc_setting(const tb_nv *nv) {
#if TB_MODEL_DSC
  tb_otp o;
  char err[8];
  return tb_otp_parse(&o, nv->suite, nv->suite_len, err, sizeof err) == 0 && strlen(o.text) == nv->suite_len && memcmp(o.text, nv->suite, nv->suite_len) == 0;
#else
  /* The DSC+ build carries no passcode parser (it would cost about 1 KB of its 32 KB). It only
   * needs to tell a DSC's record from its own: a DSC+ stores OCRA suites ("OCRA-1:..."), a DSC
   * a passcode setting that starts "TOTP-" or "HOTP-". */
  return nv->suite_len > 5 && (memcmp(nv->suite, "TOTP-", 5) == 0 || memcmp(nv->suite, "HOTP-", 5) == 0);
#endif
}

int tb_nv_valid_for(const tb_nv *nv, unsigned model) {
  if (nv->sealed > 1 || !serial_ok(nv->serial, nv->serial_len) || nv->salt_len > TB_SERIAL_MAX) return 0;
  if (nv->pin_length < 4 || nv->pin_length > 6 || nv->max_tries < 1 || nv->max_tries > 15 || nv->tries > nv->max_tries) return 0;
  if (nv->secret_len > TB_SECRET_MAX || (nv->secret_len > 0 && nv->secret_len < 10) || (nv->secret_len == 0 && nv->sealed)) return 0;
  if (nv->unlock_len > TB_SECRET_MAX || (nv->unlock_len > 0 && nv->unlock_len < 10)) return 0;
  if (nv->auth_len > TB_AUTH_KEY_MAX || (nv->auth_len > 0 && nv->auth_len < TB_AUTH_KEY_MIN)) return 0;
  if (nv->suite_len < 1 || nv->suite_len > 64 || nv->counter > TB_MAX_SAFE || nv->unlock_fails > TB_UNLOCK_FAIL_LIMIT) return 0;
  if (nv->unlock_fails > 0 && nv->tries != 0) return 0; /* only a locked token counts wrong unlock codes */
  /* A DSC's suite field holds its passcode setting in canonical form (decodeNv: checkOtp). */
  if (model == TB_NV_MODEL_DSC) return dsc_setting(nv);
  return model == TB_NV_MODEL_DSCPLUS;
}

int tb_nv_valid(const tb_nv *nv) { return tb_nv_valid_for(nv, TB_NV_MODEL_SELF); }

const char *tb_nv_model_name(unsigned model) { return model == TB_NV_MODEL_DSC ? "dsc" : model == TB_NV_MODEL_DSCPLUS ? "dscplus" : 0; }

/*
 * Slot layout (all numbers big-endian), 1024 bytes, written as 32-bit words in order:
 *   0 magic "TBNV" | 4 seq | 8 layout (1) | 9 model (1 dscplus, 2 dsc; 0 before the field) | 10 reserved (2)
 *  12 sealed, pinLength, maxTries, tries, unlockFails, serialLen, saltLen, secretLen,
 *     unlockLen, authLen, suiteLen, 0                        (12 bytes)
 *  24 counter (8) | 32 pinHash (32) | 64 serial (32) | 96 salt (32) | 128 secret (128)
 * 256 unlockKey (128) | 384 authKey (64) | 448 suite (64) | 512 CRC-32 of bytes 0..511
 * 516 .. 1023 stay erased (FF).
 */
#define REC_BYTES 516u

static void put32(uint8_t *p, uint32_t v) { p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v; }
static uint32_t get32(const uint8_t *p) { return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3]; }

static void encode(const tb_nv *nv, uint32_t seq, uint8_t *r) {
  memset(r, 0, REC_BYTES);
  put32(r, MAGIC), put32(r + 4, seq), r[8] = LAYOUT, r[9] = TB_NV_MODEL_SELF;
  uint8_t *h = r + 12;
  h[0] = nv->sealed, h[1] = nv->pin_length, h[2] = nv->max_tries, h[3] = nv->tries, h[4] = nv->unlock_fails;
  h[5] = nv->serial_len, h[6] = nv->salt_len, h[7] = nv->secret_len, h[8] = nv->unlock_len, h[9] = nv->auth_len, h[10] = nv->suite_len;
  put32(r + 24, (uint32_t)(nv->counter >> 32)), put32(r + 28, (uint32_t)nv->counter);
  memcpy(r + 32, nv->pin_hash, 32);
  memcpy(r + 64, nv->serial, nv->serial_len);
  memcpy(r + 96, nv->salt, nv->salt_len);
  memcpy(r + 128, nv->secret, nv->secret_len);
  memcpy(r + 256, nv->unlock_key, nv->unlock_len);
  memcpy(r + 384, nv->auth_key, nv->auth_len);
  memcpy(r + 448, nv->suite, nv->suite_len);
  put32(r + 512, tb_crc32(r, 512));
}

/* What a slot holds: nothing usable, a record of this build, one of the other model, one unread. */
enum { REC_NONE, REC_OWN, REC_OTHER, REC_UNREAD };

/*
 * Decodes a slot. A whole record (magic and CRC) with a layout or model byte this build does not
 * know is REC_UNREAD (*model and *layout say which). A record without the model byte (written
 * before it existed) is the DSC's if its suite field is a DSC passcode setting, which only the DSC
 * build ever accepted, and the DSC+'s otherwise (the DSC+ build did not check the field).
 */
static int decode(const uint8_t *r, tb_nv *nv, uint32_t *seq, uint8_t *model, uint8_t *layout) {
  if (get32(r) != MAGIC || get32(r + 512) != tb_crc32(r, 512)) return REC_NONE;
  *seq = get32(r + 4), *model = r[9], *layout = r[8];
  if (r[8] != LAYOUT || r[9] > TB_NV_MODEL_DSC) return REC_UNREAD;
  const uint8_t *h = r + 12;
  memset(nv, 0, sizeof *nv);
  nv->sealed = h[0], nv->pin_length = h[1], nv->max_tries = h[2], nv->tries = h[3], nv->unlock_fails = h[4];
  nv->serial_len = h[5], nv->salt_len = h[6], nv->secret_len = h[7], nv->unlock_len = h[8], nv->auth_len = h[9], nv->suite_len = h[10];
  if (nv->serial_len > 32 || nv->salt_len > 32 || nv->secret_len > 128 || nv->unlock_len > 128 || nv->auth_len > 64 || nv->suite_len > 64) return REC_NONE;
  nv->counter = ((uint64_t)get32(r + 24) << 32) | get32(r + 28);
  memcpy(nv->pin_hash, r + 32, 32);
  memcpy(nv->serial, r + 64, nv->serial_len);
  memcpy(nv->salt, r + 96, nv->salt_len);
  memcpy(nv->secret, r + 128, nv->secret_len);
  memcpy(nv->unlock_key, r + 256, nv->unlock_len);
  memcpy(nv->auth_key, r + 384, nv->auth_len);
  memcpy(nv->suite, r + 448, nv->suite_len);
  nv->model = r[9] ? r[9] : dsc_setting(nv) ? TB_NV_MODEL_DSC : TB_NV_MODEL_DSCPLUS;
  *model = nv->model;
  if (!tb_nv_valid_for(nv, nv->model)) return REC_NONE;
  return nv->model == TB_NV_MODEL_SELF ? REC_OWN : REC_OTHER;
}

/* One record's worth of scratch, shared by load and write (never both at once). */
static union {
  uint8_t b[REC_BYTES];
  uint32_t w[REC_BYTES / 4];
} scratch;

int tb_journal_load(tb_journal *j, tb_nv *nv) {
  tb_nv cand;
  memset(j, 0, sizeof *j);
  j->slot = UINT32_MAX;
  for (uint32_t s = 0; s < 2 * TB_NV_SLOTS_PER_SECTOR; s++) {
    uint32_t seq = 0;
    uint8_t model = 0, layout = 0;
    tb_hal_nv_read(s * TB_NV_SLOT, scratch.b, REC_BYTES);
    int kind = decode(scratch.b, &cand, &seq, &model, &layout);
    if (kind == REC_NONE || (j->slot != UINT32_MAX && seq <= j->seq)) continue;
    /* The newest whole record is the state, whoever wrote it: an older one of ours never stands in. */
    j->seq = seq, j->slot = s;
    j->foreign = kind != REC_OWN, j->unread = kind == REC_UNREAD, j->foreign_model = model, j->foreign_layout = layout;
    if (kind != REC_UNREAD) *nv = cand;
  }
  tb_wipe(&cand, sizeof cand);
  tb_wipe(&scratch, sizeof scratch);
  return j->slot == UINT32_MAX ? 0 : j->foreign ? 2 : 1;
}

static int slot_erased(uint32_t s) {
  for (uint32_t off = 0; off < TB_NV_SLOT; off += REC_BYTES < 256 ? REC_BYTES : 256) {
    uint8_t b[256];
    tb_hal_nv_read(s * TB_NV_SLOT + off, b, sizeof b);
    for (size_t i = 0; i < sizeof b; i++)
      if (b[i] != 0xff) return 0;
  }
  return 1;
}

int tb_journal_write(tb_journal *j, const tb_nv *nv) {
  uint32_t target = UINT32_MAX;
  if (j->foreign) return -1; /* never over a record of another model: FACTORY_RESET clears the flag */
  if (j->slot != UINT32_MAX) {
    uint32_t sector = j->slot / TB_NV_SLOTS_PER_SECTOR;
    for (uint32_t s = j->slot + 1; s < (sector + 1) * TB_NV_SLOTS_PER_SECTOR; s++)
      if (slot_erased(s)) {
        target = s;
        break;
      }
    if (target == UINT32_MAX) {
      unsigned other = sector ^ 1u;
      if (tb_hal_nv_erase(other) != 0) return -1;
      target = other * TB_NV_SLOTS_PER_SECTOR;
    }
  } else {
    /* Nothing valid stored: start afresh in sector 0. */
    if (tb_hal_nv_erase(0) != 0) return -1;
    target = 0;
  }
  uint32_t seq = j->seq + 1;
  encode(nv, seq, scratch.b);
  /* The words go out big-endian-in-memory, as encoded: convert to host words byte-exactly. */
  int rc = tb_hal_nv_program(target * TB_NV_SLOT, scratch.w, REC_BYTES / 4);
  tb_wipe(&scratch, sizeof scratch);
  if (rc != 0) return -1;
  j->seq = seq, j->slot = target;
  return 0;
}
