/*
 * FW_BEGIN, FW_WRITE, FW_VERIFY, FW_COMMIT and FW_ABORT (firmware/token/firmware-update.ts), with
 * the model's status words and DETAIL texts. The image goes to the HAL's staging area word by word
 * as blocks arrive; FW_VERIFY reads it back from there and checks its SHA-256; FW_COMMIT writes a
 * commit record at the end of the area for a bootloader (this firmware has none: README.md).
 */
#include <string.h>
#include "command.h"
#include "hal.h"
#include "sha.h"
#include "text.h"

#define COMMIT_AT (TB_STAGE_SIZE - 64u)

static int need(ctx *c) {
  if (c->t->fw.active) return 0;
  return cmd_fail(c, 0x6985, "no firmware update in progress; send FW_BEGIN first", 0, 0), -1;
}

/* A flash operation of the staging area failed: the update is dropped (the NV journal is untouched). */
static void stage_failed(ctx *c) {
  c->t->fw.active = 0;
  cmd_fail(c, 0x6581, "a write to the firmware staging area failed; the update is aborted", 0, 0);
}

static void put32(uint8_t *p, uint32_t v) { p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v; }

/* Programs whole words of `p` (n bytes, a multiple of 4) at the end of what is staged. */
static int program(tb_fw *f, const uint8_t *p, size_t n) {
  uint32_t w[16];
  while (n > 0) {
    size_t k = n < sizeof w ? n : sizeof w;
    memcpy(w, p, k); /* the words hold the bytes in order, whatever the CPU's byte order */
    if (tb_hal_stage_program(f->programmed, w, k / 4) != 0) return -1;
    f->programmed += (uint32_t)k, p += k, n -= k;
  }
  return 0;
}

void h_fw_begin(ctx *c) {
  tb_fw *f = &c->t->fw;
  uint64_t size;
  const tb_tlv *digest;
  tb_text t;
  if (cmd_no_params(c)) return;
  if (f->active) return cmd_fail(c, 0x6985, "a firmware update is already in progress; FW_ABORT it first", 0, 0);
  if (cmd_uint_field(c, 0x9a, 0, TB_MAX_SAFE, &size)) return;
  if (size == 0) return cmd_fail(c, 0x6a80, "firmware image size must be at least 1 byte", 0, 0);
  if (size > TB_FW_MAX_IMAGE) {
    c->sw = 0x6a84;
    tb_text_init(&t, c->detail, sizeof c->detail);
    tb_text_str(&t, "firmware image of "), tb_text_u64(&t, size), tb_text_str(&t, " bytes exceeds "), tb_text_u64(&t, TB_FW_MAX_IMAGE);
    return;
  }
  if (!(digest = cmd_field(c, 0x9b))) return;
  if (digest->n != 32) {
    c->sw = 0x6a80;
    tb_text_init(&t, c->detail, sizeof c->detail);
    tb_text_str(&t, "DIGEST must be a 32-byte SHA-256, got "), tb_text_u64(&t, digest->n), tb_text_str(&t, " bytes");
    return;
  }
  /* The whole slot is erased first: its old image and any old commit record go. */
  if (tb_hal_stage_erase() != 0) return stage_failed(c);
  f->active = 1, f->verified = 0;
  f->size = (uint32_t)size, f->got = 0, f->programmed = 0, f->tail_n = 0;
  memcpy(f->digest, digest->value, 32);
}

void h_fw_write(ctx *c) {
  tb_fw *f = &c->t->fw;
  uint64_t offset;
  const tb_tlv *data;
  tb_text t;
  if (cmd_no_params(c) || need(c) || cmd_uint_field(c, 0x9c, 0, f->size, &offset) || !(data = cmd_field(c, 0x9d))) return;
  tb_text_init(&t, c->detail, sizeof c->detail);
  if (offset != f->got) {
    c->sw = 0x6a80;
    tb_text_str(&t, "block at offset "), tb_text_u64(&t, offset), tb_text_str(&t, ", expected "), tb_text_u64(&t, f->got), tb_text_str(&t, " (blocks go in order)");
    return;
  }
  if (data->n == 0 || data->n > f->size - f->got) {
    c->sw = 0x6a80;
    tb_text_str(&t, "block of "), tb_text_u64(&t, data->n), tb_text_str(&t, " bytes does not fit: "), tb_text_u64(&t, f->size - f->got), tb_text_str(&t, " remain");
    return;
  }
  const uint8_t *p = data->value;
  size_t n = data->n;
  /* Complete the pending word, then program whole words; what is left waits for the next block. */
  while (n > 0 && f->tail_n > 0 && f->tail_n < 4) f->tail[f->tail_n++] = *p++, n--;
  if (f->tail_n == 4) {
    if (program(f, f->tail, 4) != 0) return stage_failed(c);
    f->tail_n = 0;
  }
  size_t whole = n & ~(size_t)3;
  if (program(f, p, whole) != 0) return stage_failed(c);
  for (size_t i = whole; i < n; i++) f->tail[f->tail_n++] = p[i];
  f->got += (uint32_t)data->n;
  f->verified = 0;
  tb_out_uint(&c->out, 0x9c, f->got);
}

static void hex(tb_text *t, const uint8_t *p, size_t n) {
  for (size_t i = 0; i < n; i++) {
    static const char H[] = "0123456789abcdef";
    char d[2] = {H[p[i] >> 4], H[p[i] & 15]};
    tb_text_mem(t, d, 2);
  }
}

void h_fw_verify(ctx *c) {
  tb_fw *f = &c->t->fw;
  tb_text t;
  if (cmd_no_params(c) || need(c)) return;
  if (f->got != f->size) {
    c->sw = 0x6985;
    tb_text_init(&t, c->detail, sizeof c->detail);
    tb_text_str(&t, "image incomplete: "), tb_text_u64(&t, f->got), tb_text_str(&t, " of "), tb_text_u64(&t, f->size), tb_text_str(&t, " bytes");
    return;
  }
  /* The last bytes of the image, padded with erased bytes to a whole word. */
  if (f->tail_n > 0) {
    uint8_t w[4] = {0xff, 0xff, 0xff, 0xff};
    memcpy(w, f->tail, f->tail_n);
    if (program(f, w, 4) != 0) return stage_failed(c);
    f->tail_n = 0;
  }
  /* The digest of what the staging area holds, read back: what a bootloader would install. */
  tb_hash_ctx h;
  uint8_t buf[64], got[32];
  tb_hash_init(&h, TB_SHA256);
  for (uint32_t off = 0; off < f->size; off += sizeof buf) {
    size_t k = f->size - off < sizeof buf ? f->size - off : sizeof buf;
    tb_hal_stage_read(off, buf, k);
    tb_hash_update(&h, buf, k);
  }
  tb_hash_final(&h, got);
  if (!tb_ct_equal(got, f->digest, 32)) {
    c->sw = 0x6a80;
    tb_text_init(&t, c->detail, sizeof c->detail);
    tb_text_str(&t, "image SHA-256 is "), hex(&t, got, 32), tb_text_str(&t, ", expected "), hex(&t, f->digest, 32);
    return;
  }
  f->verified = 1;
  tb_out_tlv(&c->out, 0x9b, got, 32);
}

void h_fw_commit(ctx *c) {
  tb_fw *f = &c->t->fw;
  tb_text t;
  if (cmd_no_params(c) || need(c)) return;
  if (!f->verified) return cmd_fail(c, 0x6985, "image not verified; send FW_VERIFY first", 0, 0);
  /* The commit record a bootloader looks for: "TBFW", size, SHA-256, then its CRC-32 last. */
  union {
    uint8_t b[44];
    uint32_t w[11];
  } rec;
  memcpy(rec.b, "TBFW", 4);
  put32(rec.b + 4, f->size);
  memcpy(rec.b + 8, f->digest, 32);
  put32(rec.b + 40, tb_crc32(rec.b, 40));
  if (tb_hal_stage_program(COMMIT_AT, rec.w, 11) != 0) return stage_failed(c);
  /* The version the model reports: the base version, "+", the first 4 digest bytes in hex. */
  char *plus = strchr(f->version, '+');
  if (plus) *plus = 0;
  tb_text_init(&t, f->version + strlen(f->version), sizeof f->version - strlen(f->version));
  tb_text_str(&t, "+"), hex(&t, f->digest, 4);
  f->active = 0, f->committed = 1;
  tb_out_tlv(&c->out, 0x82, f->version, strlen(f->version));
}

void h_fw_abort(ctx *c) {
  if (cmd_no_params(c)) return;
  c->t->fw.active = 0;
}
