/*
 * What a port implements (one folder per target under hal/). The core never touches a register:
 * it sees time, randomness, the serial link, the NV flash area, and an optional display, through
 * these functions only. See firmware/board/README.md for a porting checklist.
 */
#ifndef TB_HAL_H
#define TB_HAL_H
#include <stddef.h>
#include <stdint.h>

/* NV: two erase sectors of TB_NV_SECTOR bytes each, offsets 0 .. 2 * TB_NV_SECTOR - 1. */
#define TB_NV_SECTOR 16384u

/** Milliseconds since boot, monotonic. */
uint32_t tb_hal_ms(void);
/** Fills n bytes of seed material for the random generator (hardware RNG, host entropy). */
void tb_hal_seed(uint8_t *out, size_t n);
/** Sends bytes on the serial link (blocking until queued). */
void tb_hal_serial_write(const uint8_t *p, size_t n);
/** Reads n bytes of NV at off. Erased flash reads as FF. */
void tb_hal_nv_read(uint32_t off, void *buf, size_t n);
/** Erases sector 0 or 1 to FF. 0, or -1 if it failed (power cut, flash error). */
int tb_hal_nv_erase(unsigned sector);
/**
 * Programs n 32-bit words at off (4-byte aligned, previously erased), in order, word by word.
 * 0, or -1 if it failed; a failure may leave any prefix of the words written.
 */
int tb_hal_nv_program(uint32_t off, const uint32_t *words, size_t n);
/*
 * Firmware staging area (the second image slot, apart from the NV sectors): TB_STAGE_SIZE bytes,
 * offsets 0 .. TB_STAGE_SIZE - 1, erased as a whole. FW_WRITE stages the image here from offset 0;
 * FW_COMMIT writes a commit record in its last 64 bytes. Same flash semantics as the NV area.
 */
#define TB_STAGE_SIZE 65536u
/** Reads n bytes of the staging area at off (erased: FF). */
void tb_hal_stage_read(uint32_t off, void *buf, size_t n);
/** Erases the whole staging area to FF. 0, or -1. */
int tb_hal_stage_erase(void);
/** Programs n 32-bit words at off (4-byte aligned, erased), in order. 0, or -1. */
int tb_hal_stage_program(uint32_t off, const uint32_t *words, size_t n);
/** Shows text on a wired character display, if the board has one (may do nothing). */
void tb_hal_display_show(const char *text, uint8_t indicators);

#endif
