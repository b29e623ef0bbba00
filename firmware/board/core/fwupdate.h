/*
 * The firmware-update plane's state (firmware/token/firmware-update.ts; docs/protocol.md FW_BEGIN
 * .. FW_ABORT, P-1.22). The image is staged in the HAL's staging area (the second image slot),
 * never in the NV journal's sectors; only this small state is in RAM, so a restart drops an update
 * in progress as the model's does.
 */
#ifndef TB_FWUPDATE_H
#define TB_FWUPDATE_H
#include <stdint.h>
#include "config.h"

#define TB_VERSION_MAX 32

typedef struct {
  uint8_t active, verified, committed;
  uint32_t size, got;
  uint8_t digest[32];
  uint8_t tail[4]; /* bytes of a word not yet programmed (blocks need not be word-sized) */
  uint8_t tail_n;
  uint32_t programmed; /* bytes in the staging area, a multiple of 4 */
  /* FIRMWARE_VERSION: the built one, then "+" and the first 4 digest bytes of a committed image. */
  char version[TB_VERSION_MAX + 1];
} tb_fw;

#endif
