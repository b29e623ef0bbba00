/* A bounded text builder for DETAIL messages: never writes past its buffer, always NUL-terminated. */
#ifndef TB_TEXT_H
#define TB_TEXT_H
#include <stddef.h>
#include <stdint.h>

typedef struct {
  char *buf;
  size_t cap, len;
} tb_text;

void tb_text_init(tb_text *t, char *buf, size_t cap);
void tb_text_str(tb_text *t, const char *s);
void tb_text_mem(tb_text *t, const char *s, size_t n);
void tb_text_u64(tb_text *t, uint64_t v);
/** Two upper-case hex digits. */
void tb_text_hex2(tb_text *t, uint8_t v);
/** Hex digits of v without leading zeros, lower case (JavaScript's n.toString(16)). */
void tb_text_hex(tb_text *t, uint32_t v);

#endif
