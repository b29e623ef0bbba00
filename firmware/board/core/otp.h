/*
 * The DSC's passcode setting (firmware/device/nv.ts OtpProfile, otpText, parseOtpText): TOTP or
 * HOTP (RFC 6238, RFC 4226) with SHA-1/256/512 and 6 to 8 digits. Stored as its canonical text
 * ("TOTP-SHA1-6-30", "HOTP-SHA256-8") in the record's suite field.
 */
#ifndef TB_OTP_H
#define TB_OTP_H
#include <stddef.h>
#include <stdint.h>
#include "sha.h"

#define TB_OTP_TEXT_MAX 24

typedef struct {
  uint8_t hotp;   /* 1: HOTP with the event counter; 0: TOTP */
  enum tb_hash hash;
  uint8_t digits; /* 6..8 */
  uint16_t step;  /* TOTP step, 1..3600 s (30 for HOTP, unused) */
  char text[TB_OTP_TEXT_MAX + 1]; /* canonical form */
} tb_otp;

/**
 * Parses TOTP-SHA1-6-30 / HOTP-SHA1-6 (any case), checks it as checkOtp does and fills the
 * canonical text. 0, or -1 with the model's one-line reason in err.
 */
int tb_otp_parse(tb_otp *o, const char *text, size_t n, char *err, size_t errlen);

/** The passcode at device time `now` (ms) with the stored `counter` (HOTP). out gets digits + NUL. */
void tb_otp_code(const tb_otp *o, const uint8_t *key, size_t keylen, uint64_t counter, int64_t now, char *out);

#endif
