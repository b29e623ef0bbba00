/* Bounded text builder, see text.h. */
#include <string.h>
#include "text.h"

void tb_text_init(tb_text *t, char *buf, size_t cap) {
  t->buf = buf, t->cap = cap, t->len = 0;
  if (cap) buf[0] = 0;
}

void tb_text_mem(tb_text *t, const char *s, size_t n) {
  if (t->cap == 0) return;
  for (size_t i = 0; i < n && t->len + 1 < t->cap; i++) t->buf[t->len++] = s[i];
  t->buf[t->len] = 0;
}

void tb_text_str(tb_text *t, const char *s) { tb_text_mem(t, s, strlen(s)); }

void tb_text_u64(tb_text *t, uint64_t v) {
  char d[21];
  int i = 20;
  d[i] = 0;
  do d[--i] = (char)('0' + v % 10), v /= 10;
  while (v);
  tb_text_str(t, d + i);
}

void tb_text_hex2(tb_text *t, uint8_t v) {
  static const char H[] = "0123456789ABCDEF";
  char d[2] = {H[v >> 4], H[v & 15]};
  tb_text_mem(t, d, 2);
}

void tb_text_hex(tb_text *t, uint32_t v) {
  static const char H[] = "0123456789abcdef";
  char d[9];
  int i = 8;
  d[i] = 0;
  do d[--i] = H[v & 15], v >>= 4;
  while (v);
  tb_text_str(t, d + i);
}
