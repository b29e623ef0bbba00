/* SHA-1, SHA-256, SHA-512 (FIPS 180-4) and HMAC (RFC 2104). Straight-line, table-driven, no heap. */
#include <string.h>
#include "sha.h"

static uint32_t rol32(uint32_t x, int n) { return (x << n) | (x >> (32 - n)); }
static uint32_t ror32(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }
static uint64_t ror64(uint64_t x, int n) { return (x >> n) | (x << (64 - n)); }

static uint32_t be32(const uint8_t *p) { return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3]; }
static uint64_t be64(const uint8_t *p) { return ((uint64_t)be32(p) << 32) | be32(p + 4); }

static const uint32_t K256[64] = {
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

static const uint64_t K512[80] = {
  0x428a2f98d728ae22ULL, 0x7137449123ef65cdULL, 0xb5c0fbcfec4d3b2fULL, 0xe9b5dba58189dbbcULL, 0x3956c25bf348b538ULL,
  0x59f111f1b605d019ULL, 0x923f82a4af194f9bULL, 0xab1c5ed5da6d8118ULL, 0xd807aa98a3030242ULL, 0x12835b0145706fbeULL,
  0x243185be4ee4b28cULL, 0x550c7dc3d5ffb4e2ULL, 0x72be5d74f27b896fULL, 0x80deb1fe3b1696b1ULL, 0x9bdc06a725c71235ULL,
  0xc19bf174cf692694ULL, 0xe49b69c19ef14ad2ULL, 0xefbe4786384f25e3ULL, 0x0fc19dc68b8cd5b5ULL, 0x240ca1cc77ac9c65ULL,
  0x2de92c6f592b0275ULL, 0x4a7484aa6ea6e483ULL, 0x5cb0a9dcbd41fbd4ULL, 0x76f988da831153b5ULL, 0x983e5152ee66dfabULL,
  0xa831c66d2db43210ULL, 0xb00327c898fb213fULL, 0xbf597fc7beef0ee4ULL, 0xc6e00bf33da88fc2ULL, 0xd5a79147930aa725ULL,
  0x06ca6351e003826fULL, 0x142929670a0e6e70ULL, 0x27b70a8546d22ffcULL, 0x2e1b21385c26c926ULL, 0x4d2c6dfc5ac42aedULL,
  0x53380d139d95b3dfULL, 0x650a73548baf63deULL, 0x766a0abb3c77b2a8ULL, 0x81c2c92e47edaee6ULL, 0x92722c851482353bULL,
  0xa2bfe8a14cf10364ULL, 0xa81a664bbc423001ULL, 0xc24b8b70d0f89791ULL, 0xc76c51a30654be30ULL, 0xd192e819d6ef5218ULL,
  0xd69906245565a910ULL, 0xf40e35855771202aULL, 0x106aa07032bbd1b8ULL, 0x19a4c116b8d2d0c8ULL, 0x1e376c085141ab53ULL,
  0x2748774cdf8eeb99ULL, 0x34b0bcb5e19b48a8ULL, 0x391c0cb3c5c95a63ULL, 0x4ed8aa4ae3418acbULL, 0x5b9cca4f7763e373ULL,
  0x682e6ff3d6b2b8a3ULL, 0x748f82ee5defb2fcULL, 0x78a5636f43172f60ULL, 0x84c87814a1f0ab72ULL, 0x8cc702081a6439ecULL,
  0x90befffa23631e28ULL, 0xa4506cebde82bde9ULL, 0xbef9a3f7b2c67915ULL, 0xc67178f2e372532bULL, 0xca273eceea26619cULL,
  0xd186b8c721c0c207ULL, 0xeada7dd6cde0eb1eULL, 0xf57d4f7fee6ed178ULL, 0x06f067aa72176fbaULL, 0x0a637dc5a2c898a6ULL,
  0x113f9804bef90daeULL, 0x1b710b35131c471bULL, 0x28db77f523047d84ULL, 0x32caab7b40c72493ULL, 0x3c9ebe0a15c9bebcULL,
  0x431d67c49c100d4cULL, 0x4cc5d4becb3e42b6ULL, 0x597f299cfc657e2aULL, 0x5fcb6fab3ad6faecULL, 0x6c44198c4a475817ULL};

static void sha1_block(uint32_t *h, const uint8_t *p) {
  uint32_t w[16], a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
  for (int i = 0; i < 16; i++) w[i] = be32(p + 4 * i);
  for (int i = 0; i < 80; i++) {
    uint32_t f, k;
    if (i >= 16) w[i & 15] = rol32(w[(i + 13) & 15] ^ w[(i + 8) & 15] ^ w[(i + 2) & 15] ^ w[i & 15], 1);
    if (i < 20) f = (b & c) | (~b & d), k = 0x5a827999;
    else if (i < 40) f = b ^ c ^ d, k = 0x6ed9eba1;
    else if (i < 60) f = (b & c) | (b & d) | (c & d), k = 0x8f1bbcdc;
    else f = b ^ c ^ d, k = 0xca62c1d6;
    uint32_t t = rol32(a, 5) + f + e + k + w[i & 15];
    e = d, d = c, c = rol32(b, 30), b = a, a = t;
  }
  h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e;
}

static void sha256_block(uint32_t *h, const uint8_t *p) {
  uint32_t w[64], s[8];
  for (int i = 0; i < 16; i++) w[i] = be32(p + 4 * i);
  for (int i = 16; i < 64; i++) {
    uint32_t s0 = ror32(w[i - 15], 7) ^ ror32(w[i - 15], 18) ^ (w[i - 15] >> 3);
    uint32_t s1 = ror32(w[i - 2], 17) ^ ror32(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  memcpy(s, h, sizeof s);
  for (int i = 0; i < 64; i++) {
    uint32_t t1 = s[7] + (ror32(s[4], 6) ^ ror32(s[4], 11) ^ ror32(s[4], 25)) + ((s[4] & s[5]) ^ (~s[4] & s[6])) + K256[i] + w[i];
    uint32_t t2 = (ror32(s[0], 2) ^ ror32(s[0], 13) ^ ror32(s[0], 22)) + ((s[0] & s[1]) ^ (s[0] & s[2]) ^ (s[1] & s[2]));
    memmove(s + 1, s, 7 * sizeof s[0]);
    s[4] += t1;
    s[0] = t1 + t2;
  }
  for (int i = 0; i < 8; i++) h[i] += s[i];
}

static void sha512_block(uint64_t *h, const uint8_t *p) {
  uint64_t w[80], s[8];
  for (int i = 0; i < 16; i++) w[i] = be64(p + 8 * i);
  for (int i = 16; i < 80; i++) {
    uint64_t s0 = ror64(w[i - 15], 1) ^ ror64(w[i - 15], 8) ^ (w[i - 15] >> 7);
    uint64_t s1 = ror64(w[i - 2], 19) ^ ror64(w[i - 2], 61) ^ (w[i - 2] >> 6);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  memcpy(s, h, sizeof s);
  for (int i = 0; i < 80; i++) {
    uint64_t t1 = s[7] + (ror64(s[4], 14) ^ ror64(s[4], 18) ^ ror64(s[4], 41)) + ((s[4] & s[5]) ^ (~s[4] & s[6])) + K512[i] + w[i];
    uint64_t t2 = (ror64(s[0], 28) ^ ror64(s[0], 34) ^ ror64(s[0], 39)) + ((s[0] & s[1]) ^ (s[0] & s[2]) ^ (s[1] & s[2]));
    memmove(s + 1, s, 7 * sizeof s[0]);
    s[4] += t1;
    s[0] = t1 + t2;
  }
  for (int i = 0; i < 8; i++) h[i] += s[i];
}

size_t tb_hash_len(enum tb_hash alg) { return alg == TB_SHA1 ? 20 : alg == TB_SHA256 ? 32 : 64; }
size_t tb_hash_block(enum tb_hash alg) { return alg == TB_SHA512 ? 128 : 64; }

void tb_hash_init(tb_hash_ctx *c, enum tb_hash alg) {
  static const uint32_t H1[5] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0};
  static const uint32_t H256[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  static const uint64_t H512[8] = {0x6a09e667f3bcc908ULL, 0xbb67ae8584caa73bULL, 0x3c6ef372fe94f82bULL, 0xa54ff53a5f1d36f1ULL,
                                   0x510e527fade682d1ULL, 0x9b05688c2b3e6c1fULL, 0x1f83d9abfb41bd6bULL, 0x5be0cd19137e2179ULL};
  memset(c, 0, sizeof *c);
  c->alg = alg;
  if (alg == TB_SHA1) memcpy(c->h.s32, H1, sizeof H1);
  else if (alg == TB_SHA256) memcpy(c->h.s32, H256, sizeof H256);
  else memcpy(c->h.s64, H512, sizeof H512);
}

static void compress(tb_hash_ctx *c, const uint8_t *p) {
  if (c->alg == TB_SHA1) sha1_block(c->h.s32, p);
  else if (c->alg == TB_SHA256) sha256_block(c->h.s32, p);
  else sha512_block(c->h.s64, p);
}

void tb_hash_update(tb_hash_ctx *c, const uint8_t *data, size_t n) {
  size_t bs = tb_hash_block(c->alg);
  c->total += n;
  while (n > 0) {
    if (c->used == 0 && n >= bs) {
      compress(c, data);
      data += bs, n -= bs;
      continue;
    }
    size_t take = bs - c->used < n ? bs - c->used : n;
    memcpy(c->block + c->used, data, take);
    c->used += take, data += take, n -= take;
    if (c->used == bs) compress(c, c->block), c->used = 0;
  }
}

void tb_hash_final(tb_hash_ctx *c, uint8_t *out) {
  size_t bs = tb_hash_block(c->alg), lenbytes = c->alg == TB_SHA512 ? 16 : 8;
  uint64_t bits = c->total * 8;
  c->block[c->used++] = 0x80;
  if (c->used > bs - lenbytes) {
    memset(c->block + c->used, 0, bs - c->used);
    compress(c, c->block);
    c->used = 0;
  }
  memset(c->block + c->used, 0, bs - c->used);
  for (int i = 0; i < 8; i++) c->block[bs - 1 - i] = (uint8_t)(bits >> (8 * i));
  compress(c, c->block);
  size_t n = tb_hash_len(c->alg);
  for (size_t i = 0; i < n; i++) {
    if (c->alg == TB_SHA512) out[i] = (uint8_t)(c->h.s64[i / 8] >> (56 - 8 * (i % 8)));
    else out[i] = (uint8_t)(c->h.s32[i / 4] >> (24 - 8 * (i % 4)));
  }
  tb_wipe(c, sizeof *c);
}

void tb_hash(enum tb_hash alg, const uint8_t *data, size_t n, uint8_t *out) {
  tb_hash_ctx c;
  tb_hash_init(&c, alg);
  tb_hash_update(&c, data, n);
  tb_hash_final(&c, out);
}

void tb_hmac_init(tb_hmac_ctx *c, enum tb_hash alg, const uint8_t *key, size_t keylen) {
  uint8_t k[TB_BLOCK_MAX];
  size_t bs = tb_hash_block(alg);
  memset(k, 0, sizeof k);
  if (keylen > bs) tb_hash(alg, key, keylen, k);
  else if (keylen > 0) memcpy(k, key, keylen);
  for (size_t i = 0; i < bs; i++) k[i] ^= 0x36;
  tb_hash_init(&c->inner, alg);
  tb_hash_update(&c->inner, k, bs);
  for (size_t i = 0; i < bs; i++) k[i] ^= 0x36 ^ 0x5c;
  tb_hash_init(&c->outer, alg);
  tb_hash_update(&c->outer, k, bs);
  tb_wipe(k, sizeof k);
}

void tb_hmac_update(tb_hmac_ctx *c, const uint8_t *data, size_t n) { tb_hash_update(&c->inner, data, n); }

void tb_hmac_final(tb_hmac_ctx *c, uint8_t *out) {
  uint8_t ih[TB_HASH_MAX];
  size_t n = tb_hash_len(c->inner.alg);
  tb_hash_final(&c->inner, ih);
  tb_hash_update(&c->outer, ih, n);
  tb_hash_final(&c->outer, out);
  tb_wipe(ih, sizeof ih);
}

void tb_hmac(enum tb_hash alg, const uint8_t *key, size_t keylen, const uint8_t *data, size_t n, uint8_t *out) {
  tb_hmac_ctx c;
  tb_hmac_init(&c, alg, key, keylen);
  tb_hmac_update(&c, data, n);
  tb_hmac_final(&c, out);
}

int tb_ct_equal(const uint8_t *a, const uint8_t *b, size_t n) {
  volatile uint8_t diff = 0;
  for (size_t i = 0; i < n; i++) diff |= a[i] ^ b[i];
  return diff == 0;
}

void tb_wipe(void *p, size_t n) {
  volatile uint8_t *v = p;
  while (n--) *v++ = 0;
}
