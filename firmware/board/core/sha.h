/*
 * SHA-1 (FIPS 180-4 §6.1), SHA-256 (§6.2) and SHA-512 (§6.4), and HMAC over each (RFC 2104).
 * Streaming contexts, no heap; every function works on caller-owned buffers.
 */
#ifndef TB_SHA_H
#define TB_SHA_H
#include <stddef.h>
#include <stdint.h>

enum tb_hash { TB_SHA1 = 1, TB_SHA256 = 2, TB_SHA512 = 3 };

#define TB_HASH_MAX 64
#define TB_BLOCK_MAX 128

typedef struct {
  enum tb_hash alg;
  union {
    uint32_t s32[8];
    uint64_t s64[8];
  } h;
  uint8_t block[TB_BLOCK_MAX];
  size_t used;
  uint64_t total; /* bytes so far (enough for every message a token sees) */
} tb_hash_ctx;

/** Output size in bytes of `alg`: 20, 32 or 64. */
size_t tb_hash_len(enum tb_hash alg);
size_t tb_hash_block(enum tb_hash alg);
void tb_hash_init(tb_hash_ctx *c, enum tb_hash alg);
void tb_hash_update(tb_hash_ctx *c, const uint8_t *data, size_t n);
void tb_hash_final(tb_hash_ctx *c, uint8_t *out);
void tb_hash(enum tb_hash alg, const uint8_t *data, size_t n, uint8_t *out);

typedef struct {
  tb_hash_ctx inner, outer;
} tb_hmac_ctx;

/** HMAC (RFC 2104 §2): keys longer than a block are hashed first. */
void tb_hmac_init(tb_hmac_ctx *c, enum tb_hash alg, const uint8_t *key, size_t keylen);
void tb_hmac_update(tb_hmac_ctx *c, const uint8_t *data, size_t n);
void tb_hmac_final(tb_hmac_ctx *c, uint8_t *out);
void tb_hmac(enum tb_hash alg, const uint8_t *key, size_t keylen, const uint8_t *data, size_t n, uint8_t *out);

/** 1 if the n bytes at a and b are equal; time depends only on n. */
int tb_ct_equal(const uint8_t *a, const uint8_t *b, size_t n);
/** Overwrites n bytes with zeros in a way the compiler keeps. */
void tb_wipe(void *p, size_t n);

#endif
