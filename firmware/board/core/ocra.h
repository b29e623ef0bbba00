/*
 * HOTP (RFC 4226 §5.3), TOTP (RFC 6238 §4) and OCRA (RFC 6287 §5, §6): the suite grammar the
 * golden model accepts (firmware/crypto/ocra-suite.ts), with the same error texts, and the
 * one-way response of §7.1. No heap: the MAC is streamed over the DataInput fields.
 */
#ifndef TB_OCRA_H
#define TB_OCRA_H
#include <stddef.h>
#include <stdint.h>
#include "sha.h"

#define TB_SUITE_MAX 64

typedef struct {
  char text[TB_SUITE_MAX + 1];
  enum tb_hash hash;
  uint8_t digits;   /* 0 (hex of the whole MAC) or 4..10 */
  uint8_t counter;  /* C */
  char qformat;     /* 'A', 'N' or 'H' */
  uint8_t qlen;     /* 4..64 */
  enum tb_hash pin; /* 0: no P */
  uint16_t session; /* 0: no S, else 1..512 bytes */
  uint32_t step;    /* 0: no T, else seconds */
} tb_suite;

/** Parses `text` (n bytes). 0 on success; else writes a one-line reason to `err` (size errlen). */
int tb_suite_parse(tb_suite *s, const char *text, size_t n, char *err, size_t errlen);

/** Dynamic truncation (RFC 4226 §5.3) to `digits` decimal digits; writes digits+1 bytes (NUL). */
void tb_truncate(const uint8_t *mac, size_t maclen, unsigned digits, char *out);

/** HOTP value for `counter` (RFC 4226 §5.3). out gets digits + NUL. */
void tb_hotp(enum tb_hash alg, const uint8_t *key, size_t keylen, uint64_t counter, unsigned digits, char *out);

typedef struct {
  const char *question; /* as typed; checked by the caller against the suite */
  size_t qlen;
  uint64_t counter;            /* suites with C */
  const uint8_t *pin_hash;     /* suites with P: the hash of the PIN (length of the suite's P hash) */
  const uint8_t *session;      /* suites with S: exactly suite.session bytes */
  uint64_t timestamp;          /* suites with T: time steps */
} tb_ocra_input;

/**
 * The OCRA response (RFC 6287 §5.2). `out` gets the digits (or 2 x hash length hex characters for
 * digits 0) and a NUL. Returns 0, or -1 if the question does not fit its format.
 */
int tb_ocra(const tb_suite *s, const uint8_t *key, size_t keylen, const tb_ocra_input *in, char *out);

/** 1 if `q` (n bytes) is a valid question for the suite: 1..qlen characters of its format. */
int tb_question_ok(const tb_suite *s, const char *q, size_t n);

#endif
