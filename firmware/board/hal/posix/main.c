/*
 * The posix target: the board firmware as a host program. It speaks the stream framing on
 * stdin/stdout (or on a pseudo-terminal it creates with --pty), keeps NV in a file laid out
 * exactly as the two flash sectors followed by the firmware staging area (as flash sectors 2, 3
 * and 4 of an STM32F405 follow each other), and takes its clock from the host. Test options fix the
 * random seed, freeze the clock (it then moves only through the clock plane), and cut the power
 * at a chosen flash write.
 */
#define _XOPEN_SOURCE 700
#define _DEFAULT_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include "../../core/hal.h"
#include "../../core/token.h"

static int nv_fd = -1, in_fd = 0, out_fd = 1;
static long cut_after = -1; /* program/erase operations left before the power cut */
static long tear_words = 0;
static int verbose = 0;
static tb_token token;

static void die(const char *what) {
  fprintf(stderr, "tokenbench-board: %s: %s\n", what, strerror(errno));
  exit(1);
}

uint32_t tb_hal_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint32_t)((uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u);
}

void tb_hal_seed(uint8_t *out, size_t n) {
  int fd = open("/dev/urandom", O_RDONLY);
  if (fd < 0 || read(fd, out, n) != (ssize_t)n) die("/dev/urandom");
  close(fd);
}

void tb_hal_serial_write(const uint8_t *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(out_fd, p, n);
    if (w < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      exit(0); /* the host went away */
    }
    p += w, n -= (size_t)w;
  }
}

void tb_hal_nv_read(uint32_t off, void *buf, size_t n) {
  if (pread(nv_fd, buf, n, off) != (ssize_t)n) memset(buf, 0xff, n);
}

/* Power cut injection: the operation that exhausts the budget is cut and the process dies. */
static int cut_now(void) {
  if (cut_after < 0) return 0;
  if (cut_after-- > 0) return 0;
  return 1;
}

static void power_lost(void) {
  fsync(nv_fd);
  if (verbose) fprintf(stderr, "tokenbench-board: power cut injected\n");
  _exit(75);
}

int tb_hal_nv_erase(unsigned sector) {
  uint8_t ff[1024];
  memset(ff, 0xff, sizeof ff);
  int cut = cut_now();
  for (uint32_t o = 0; o < TB_NV_SECTOR; o += sizeof ff) {
    if (cut && o >= (uint32_t)tear_words * 4) power_lost();
    if (pwrite(nv_fd, ff, sizeof ff, sector * TB_NV_SECTOR + o) != (ssize_t)sizeof ff) return -1;
  }
  if (cut) power_lost();
  return 0;
}

int tb_hal_nv_program(uint32_t off, const uint32_t *words, size_t n) {
  int cut = cut_now();
  for (size_t i = 0; i < n; i++) {
    if (cut && (long)i >= tear_words) power_lost();
    uint32_t old;
    /* Flash programming can only clear bits: AND with what is there, as NOR flash does. */
    if (pread(nv_fd, &old, 4, off + 4 * i) != 4) old = 0xffffffffu;
    uint32_t w = old & words[i];
    if (pwrite(nv_fd, &w, 4, off + 4 * i) != 4) return -1;
  }
  if (cut) power_lost();
  return 0;
}

/* The staging area follows the two NV sectors in the same file; reads past its end are erased. */
#define STAGE_AT (2 * TB_NV_SECTOR)

void tb_hal_stage_read(uint32_t off, void *buf, size_t n) {
  ssize_t r = off + n <= TB_STAGE_SIZE ? pread(nv_fd, buf, n, STAGE_AT + off) : -1;
  if (r < 0) r = 0;
  if ((size_t)r < n) memset((uint8_t *)buf + r, 0xff, n - (size_t)r);
}

int tb_hal_stage_erase(void) {
  uint8_t ff[1024];
  memset(ff, 0xff, sizeof ff);
  int cut = cut_now();
  for (uint32_t o = 0; o < TB_STAGE_SIZE; o += sizeof ff) {
    if (cut && o >= (uint32_t)tear_words * 4) power_lost();
    if (pwrite(nv_fd, ff, sizeof ff, STAGE_AT + o) != (ssize_t)sizeof ff) return -1;
  }
  if (cut) power_lost();
  return 0;
}

int tb_hal_stage_program(uint32_t off, const uint32_t *words, size_t n) {
  if ((off & 3u) || off + 4 * n > TB_STAGE_SIZE) return -1;
  int cut = cut_now();
  for (size_t i = 0; i < n; i++) {
    if (cut && (long)i >= tear_words) power_lost();
    uint32_t old;
    tb_hal_stage_read(off + 4 * (uint32_t)i, &old, 4);
    uint32_t w = old & words[i];
    if (pwrite(nv_fd, &w, 4, STAGE_AT + off + 4 * i) != 4) return -1;
  }
  if (cut) power_lost();
  return 0;
}

void tb_hal_display_show(const char *text, uint8_t indicators) {
  if (verbose) fprintf(stderr, "display: [%s] %02x\n", text, indicators);
}

static void open_nv(const char *path) {
  nv_fd = open(path, O_RDWR | O_CREAT, 0600);
  if (nv_fd < 0) die(path);
  off_t size = lseek(nv_fd, 0, SEEK_END);
  if (size < 0) die(path);
  if (size < 2 * (off_t)TB_NV_SECTOR) {
    uint8_t ff[1024];
    memset(ff, 0xff, sizeof ff);
    for (off_t o = size; o < 2 * (off_t)TB_NV_SECTOR; o += (off_t)sizeof ff) {
      size_t k = (size_t)(2 * (off_t)TB_NV_SECTOR - o) < sizeof ff ? (size_t)(2 * (off_t)TB_NV_SECTOR - o) : sizeof ff;
      if (pwrite(nv_fd, ff, k, o) != (ssize_t)k) die(path);
    }
  }
}

static void open_pty(void) {
  int m = posix_openpt(O_RDWR | O_NOCTTY);
  if (m < 0 || grantpt(m) != 0 || unlockpt(m) != 0) die("pseudo-terminal");
  struct termios tio;
  if (tcgetattr(m, &tio) == 0) {
    cfmakeraw(&tio);
    tcsetattr(m, TCSANOW, &tio);
  }
  /* Keep the slave open ourselves so the master does not see a hang-up between host sessions. */
  const char *name = ptsname(m);
  int s = open(name, O_RDWR | O_NOCTTY);
  if (s >= 0 && tcgetattr(s, &tio) == 0) {
    cfmakeraw(&tio);
    tcsetattr(s, TCSANOW, &tio);
  }
  printf("pty %s\n", name);
  fflush(stdout);
  in_fd = out_fd = m;
}

static void usage(void) {
  fprintf(stderr,
          "usage: tokenbench-board [--nv FILE] [--pty] [--seed TEXT] [--frozen-clock] [--serial SERIAL]\n"
          "                        [--cut-after N [--tear WORDS]] [--verbose]\n");
  exit(2);
}

int main(int argc, char **argv) {
  const char *nv = "tokenbench-nv.bin", *seed = 0, *serial = "BOARD-0001";
  int pty = 0, frozen = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : 0;
    if (!strcmp(a, "--nv") && v) nv = v, i++;
    else if (!strcmp(a, "--seed") && v) seed = v, i++;
    else if (!strcmp(a, "--serial") && v) serial = v, i++;
    else if (!strcmp(a, "--cut-after") && v) cut_after = strtol(v, 0, 10), i++;
    else if (!strcmp(a, "--tear") && v) tear_words = strtol(v, 0, 10), i++;
    else if (!strcmp(a, "--pty")) pty = 1;
    else if (!strcmp(a, "--frozen-clock")) frozen = 1;
    else if (!strcmp(a, "--verbose")) verbose = 1;
    else {
      fprintf(stderr, "tokenbench-board: unknown or incomplete option \"%s\"\n", a);
      usage();
    }
  }
  size_t sl = strlen(serial);
  if (sl < 1 || sl > 32 || strspn(serial, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-") != sl) {
    fprintf(stderr, "tokenbench-board: --serial must be 1 to 32 letters, digits or dashes\n");
    return 2;
  }
  open_nv(nv);
  if (pty) open_pty();
  tb_token_boot(&token, (const uint8_t *)seed, seed ? strlen(seed) : 0, frozen, serial);
  static uint8_t buf[4096];
  for (;;) {
    struct pollfd p = {in_fd, POLLIN, 0};
    int r = poll(&p, 1, 20);
    if (r < 0 && errno != EINTR) die("poll");
    if (r > 0) {
      ssize_t n = read(in_fd, buf, sizeof buf);
      if (n == 0) return 0;
      if (n < 0) {
        if (errno == EINTR || errno == EAGAIN) continue;
        if (errno == EIO && pty) continue; /* no host has the pty open right now */
        return 0;
      }
      tb_token_receive(&token, buf, (size_t)n);
    }
    tb_token_poll(&token);
  }
}
