/*
 * NV for QEMU's netduinoplus2, whose flash the CPU cannot write: the two NV sectors live in a
 * host file through ARM semihosting (QEMU -semihosting-config enable=on,target=native), laid out
 * byte for byte as flash sectors 2 and 3 would be, with flash semantics: erase sets FF, programming
 * only clears bits. The file name, a test seed and --frozen-clock come from the semihosting
 * command line (arg=... options).
 */
#include <string.h>
#include "../stm32/stm32.h"
#include "../../core/hal.h"

enum { SYS_ELAPSED = 0x30, SYS_TICKFREQ = 0x31, SYS_OPEN = 0x01, SYS_CLOSE = 0x02, SYS_WRITE0 = 0x04, SYS_WRITE = 0x05, SYS_READ = 0x06, SYS_SEEK = 0x0A, SYS_FLEN = 0x0C, SYS_CLOCK = 0x10, SYS_TIME = 0x11, SYS_GET_CMDLINE = 0x15 };

static int semihost(int op, void *arg) {
  register int r0 __asm__("r0") = op;
  register void *r1 __asm__("r1") = arg;
  __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}

static char cmdline[256];
static char nv_name[128] = "tokenbench-nv.bin";
static char seed[64];
static unsigned seed_len;
static int frozen;
static int fd = -1;

static void parse_cmdline(void) {
  struct {
    char *buf;
    int len;
  } a = {cmdline, sizeof cmdline - 1};
  if (semihost(SYS_GET_CMDLINE, &a) != 0) return;
  cmdline[a.len < (int)sizeof cmdline ? a.len : (int)sizeof cmdline - 1] = 0;
  for (char *p = cmdline; *p;) {
    while (*p == ' ') p++;
    char *w = p;
    while (*p && *p != ' ') p++;
    size_t n = (size_t)(p - w);
    if (n > 5 && !strncmp(w, "--nv=", 5) && n - 5 < sizeof nv_name) memcpy(nv_name, w + 5, n - 5), nv_name[n - 5] = 0;
    else if (n > 7 && !strncmp(w, "--seed=", 7) && n - 7 <= sizeof seed) memcpy(seed, w + 7, n - 7), seed_len = (unsigned)(n - 7);
    else if (n == 14 && !strncmp(w, "--frozen-clock", 14)) frozen = 1;
  }
}

static int file_open(int mode) {
  int args[3] = {(int)(uintptr_t)nv_name, mode, (int)strlen(nv_name)};
  return semihost(SYS_OPEN, args);
}

static int file_pwrite(uint32_t off, const void *p, size_t n) {
  int s[2] = {fd, (int)off};
  if (semihost(SYS_SEEK, s) != 0) return -1;
  int w[3] = {fd, (int)(uintptr_t)p, (int)n};
  return semihost(SYS_WRITE, w) == 0 ? 0 : -1;
}

void tb_board_nv_init(void) {
  parse_cmdline();
  fd = file_open(3); /* "r+b": keep what is there */
  if (fd < 0) fd = file_open(7); /* "w+b": a new file */
  if (fd < 0) {
    static const char msg[] = "tokenbench: cannot open the NV file\n";
    semihost(SYS_WRITE0, (void *)msg);
    return;
  }
  int l[1] = {fd};
  int len = semihost(SYS_FLEN, l);
  static uint8_t ff[512];
  memset(ff, 0xff, sizeof ff);
  for (uint32_t o = len < 0 ? 0 : (uint32_t)len & ~511u; o < 2 * TB_NV_SECTOR; o += sizeof ff) file_pwrite(o, ff, sizeof ff);
}

void tb_hal_nv_read(uint32_t off, void *buf, size_t n) {
  int s[2] = {fd, (int)off};
  memset(buf, 0xff, n);
  if (fd < 0 || semihost(SYS_SEEK, s) != 0) return;
  int r[3] = {fd, (int)(uintptr_t)buf, (int)n};
  semihost(SYS_READ, r);
}

int tb_hal_nv_erase(unsigned sector) {
  static uint8_t ff[512];
  memset(ff, 0xff, sizeof ff);
  if (fd < 0 || sector > 1) return -1;
  for (uint32_t o = 0; o < TB_NV_SECTOR; o += sizeof ff)
    if (file_pwrite(sector * TB_NV_SECTOR + o, ff, sizeof ff) != 0) return -1;
  return 0;
}

int tb_hal_nv_program(uint32_t off, const uint32_t *words, size_t n) {
  if (fd < 0 || (off & 3u) || off + 4 * n > 2 * TB_NV_SECTOR) return -1;
  for (size_t i = 0; i < n; i++) {
    uint32_t old;
    tb_hal_nv_read(off + 4 * (uint32_t)i, &old, 4);
    old &= words[i]; /* programming only clears bits */
    if (file_pwrite(off + 4 * (uint32_t)i, &old, 4) != 0) return -1;
  }
  return 0;
}

/*
 * Milliseconds from the host's monotonic clock (SYS_ELAPSED / SYS_TICKFREQ). QEMU's SysTick loses
 * interrupts when the host is busy (measured: the device clock ran at 0.42-0.5 of real time on a
 * loaded machine), so under QEMU the time comes from the host instead; board.c asks at most once
 * per SysTick. 0 if unsupported.
 */
uint32_t tb_board_host_ms(void) {
  static uint32_t freq;
  uint32_t ticks[2];
  if (!freq) {
    int f = semihost(SYS_TICKFREQ, 0);
    freq = f > 0 ? (uint32_t)f : 1;
  }
  if (semihost(SYS_ELAPSED, ticks) != 0) return 0;
  uint64_t t = ((uint64_t)ticks[1] << 32) | ticks[0];
  return (uint32_t)(t / (freq / 1000u ? freq / 1000u : 1u));
}

void tb_board_extra_seed(uint8_t *out, unsigned n) {
  int t = semihost(SYS_TIME, 0), c = semihost(SYS_CLOCK, 0);
  memset(out, 0, n);
  memcpy(out, &t, sizeof t);
  memcpy(out + 4, &c, sizeof c);
}

const char *tb_board_test_seed(unsigned *n, int *frozen_out) {
  *frozen_out = frozen;
  *n = seed_len;
  return seed_len ? seed : 0;
}

/*
 * The firmware staging area: the same host file after the two NV sectors, as flash sector 4
 * (0x08010000) follows sectors 2 and 3 on the chip. Reads past the file's end stay FF (erased).
 */
#define STAGE_AT (2 * TB_NV_SECTOR)

void tb_hal_stage_read(uint32_t off, void *buf, size_t n) {
  if (off + n > TB_STAGE_SIZE) return (void)memset(buf, 0xff, n);
  tb_hal_nv_read(STAGE_AT + off, buf, n);
}

int tb_hal_stage_erase(void) {
  static uint8_t ff[512];
  memset(ff, 0xff, sizeof ff);
  if (fd < 0) return -1;
  for (uint32_t o = 0; o < TB_STAGE_SIZE; o += sizeof ff)
    if (file_pwrite(STAGE_AT + o, ff, sizeof ff) != 0) return -1;
  return 0;
}

int tb_hal_stage_program(uint32_t off, const uint32_t *words, size_t n) {
  if (fd < 0 || (off & 3u) || off + 4 * n > TB_STAGE_SIZE) return -1;
  for (size_t i = 0; i < n; i++) {
    uint32_t old;
    tb_hal_stage_read(off + 4 * (uint32_t)i, &old, 4);
    old &= words[i]; /* programming only clears bits */
    if (file_pwrite(STAGE_AT + off + 4 * (uint32_t)i, &old, 4) != 0) return -1;
  }
  return 0;
}
