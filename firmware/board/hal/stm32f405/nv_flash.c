/*
 * NV in the STM32F405's own flash, sectors 2 and 3, and the firmware staging area in sector 4
 * (64 KB at 0x08010000, the second image slot) (RM0090 §3.5-3.6). Untested on hardware: it
 * follows the reference manual's sequences and is reviewed, not run (QEMU's flash is read-only).
 *   erase:   unlock (KEYR 45670123, CDEF89AB) -> wait BSY -> CR = PSIZE x32 | SER | SNB -> STRT
 *            -> wait BSY -> check SR errors -> clear SER
 *   program: wait BSY -> CR = PSIZE x32 | PG -> write one word -> wait BSY -> check errors -> PG off
 * x32 parallelism needs a supply of 2.7 V to 3.6 V (RM0090 table 7). The CPU stalls while a
 * sector erases (about 0.5 s for 16 KB): UART bytes that arrive meanwhile overrun and are lost;
 * the host retries on its timeout.
 */
#include "../stm32/stm32.h"
#include "../../core/hal.h"
#include <string.h>

static void unlock(void) {
  if (FLASH_CR & FLASH_CR_LOCK) {
    FLASH_KEYR = 0x45670123u;
    FLASH_KEYR = 0xCDEF89ABu;
  }
}

static void lock(void) { FLASH_CR |= FLASH_CR_LOCK; }

static int wait_done(void) {
  while (FLASH_SR & FLASH_SR_BSY) {
  }
  uint32_t errors = FLASH_SR & FLASH_SR_ERRORS;
  FLASH_SR = errors; /* write 1 to clear */
  return errors ? -1 : 0;
}

void tb_board_nv_init(void) { FLASH_SR = FLASH_SR_ERRORS; }

void tb_hal_nv_read(uint32_t off, void *buf, size_t n) { memcpy(buf, (const void *)(NV_BASE + off), n); }

static int erase_sector(unsigned snb) {
  unlock();
  int rc = wait_done();
  FLASH_CR = FLASH_CR_PSIZE_X32 | FLASH_CR_SER | (snb << FLASH_CR_SNB_SHIFT);
  FLASH_CR |= FLASH_CR_STRT;
  rc |= wait_done();
  FLASH_CR &= ~(FLASH_CR_SER | (0xFu << FLASH_CR_SNB_SHIFT));
  lock();
  return rc ? -1 : 0;
}

static int program_words(uint32_t addr, const uint32_t *words, size_t n) {
  unlock();
  int rc = wait_done();
  FLASH_CR = FLASH_CR_PSIZE_X32 | FLASH_CR_PG;
  for (size_t i = 0; i < n && rc == 0; i++) {
    *(volatile uint32_t *)(addr + 4 * i) = words[i];
    rc = wait_done();
  }
  FLASH_CR &= ~FLASH_CR_PG;
  lock();
  return rc ? -1 : 0;
}

int tb_hal_nv_erase(unsigned sector) {
  if (sector > 1) return -1;
  return erase_sector(NV_FIRST_SECTOR + sector);
}

int tb_hal_nv_program(uint32_t off, const uint32_t *words, size_t n) {
  if ((off & 3u) || off + 4 * n > 2 * TB_NV_SECTOR) return -1;
  return program_words(NV_BASE + off, words, n);
}

/* Sector 4: 64 KB at 0x08010000 (RM0090 table 5). Erasing it stalls the CPU for about 1 s. */
#define STAGE_BASE 0x08010000u
#define STAGE_SECTOR 4u

void tb_hal_stage_read(uint32_t off, void *buf, size_t n) {
  if (off + n > TB_STAGE_SIZE) return (void)memset(buf, 0xff, n);
  memcpy(buf, (const void *)(STAGE_BASE + off), n);
}

int tb_hal_stage_erase(void) { return erase_sector(STAGE_SECTOR); }

int tb_hal_stage_program(uint32_t off, const uint32_t *words, size_t n) {
  if ((off & 3u) || off + 4 * n > TB_STAGE_SIZE) return -1;
  return program_words(STAGE_BASE + off, words, n);
}

void tb_board_extra_seed(uint8_t *out, unsigned n) {
  /* SysTick's count at this moment adds a little timing jitter; the RNG is the real source. */
  memset(out, 0, n);
  uint32_t v = SYST_CVR;
  memcpy(out, &v, sizeof v);
}

const char *tb_board_test_seed(unsigned *n, int *frozen) {
  *n = 0, *frozen = 0;
  return 0;
}
