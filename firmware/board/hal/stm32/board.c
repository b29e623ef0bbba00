/*
 * Board glue shared by the netduinoplus2 (QEMU) and stm32f405 targets: the 16 MHz HSI clock,
 * SysTick at 1 ms, the random seed, and the main loop. USART1 is in serial.c; the NV driver is per
 * target (nv_semihost.c, nv_flash.c).
 */
#include <string.h>
#include "stm32.h"
#include "../../core/hal.h"
#include "../../core/sha.h"
#include "../../core/token.h"

#ifndef SYSTICK_HZ
/* SysTick counts the processor clock (QEMU's netduinoplus2 model runs its CPU clock at 168 MHz). */
#if TB_QEMU
#define SYSTICK_HZ 168000000u
#else
#define SYSTICK_HZ HSI_HZ
#endif
#endif

static volatile uint32_t ticks;
static tb_token token;

void systick_handler(void);
void systick_handler(void) { ticks++; }

#if TB_QEMU
uint32_t tb_board_host_ms(void);
/* The host's clock (nv_semihost.c), asked at most once per SysTick: each question traps to QEMU. */
uint32_t tb_hal_ms(void) {
  static uint32_t asked_at = ~0u, ms;
  uint32_t now = ticks;
  if (now != asked_at) asked_at = now, ms = tb_board_host_ms();
  return ms;
}
#else
uint32_t tb_hal_ms(void) { return ticks; }
#endif

void tb_hal_display_show(const char *text, uint8_t indicators) {
  /* The reference boards have no display wired: a port with a character LCD draws here. */
  (void)text, (void)indicators;
}

/*
 * Seed: the hardware RNG (clocked from the PLL's 48 MHz output), the 96-bit unique id, and what
 * the target adds. All of it is hashed, so a weak source cannot make the seed worse.
 */
void tb_hal_seed(uint8_t *out, size_t n) {
  tb_hash_ctx c;
  uint8_t extra[32], digest[32];
  tb_hash_init(&c, TB_SHA256);
#if !TB_QEMU
  /* QEMU maps nothing at the unique id (a read faults); real parts have it. */
  tb_hash_update(&c, (const uint8_t *)UID_BASE, 12);
  for (int i = 0; i < 16; i++) {
    uint32_t v = 0;
    for (uint32_t spin = 0; spin < 100000 && !(RNG_SR & 1u); spin++) {
    }
    if ((RNG_SR & 0x66u) == 0 && (RNG_SR & 1u)) v = RNG_DR;
    tb_hash_update(&c, (const uint8_t *)&v, 4);
  }
#endif
  tb_board_extra_seed(extra, sizeof extra);
  tb_hash_update(&c, extra, sizeof extra);
  tb_hash_final(&c, digest);
  for (size_t i = 0; i < n; i++) out[i] = digest[i % 32];
}

static void clocks(void) {
  RCC_AHB1ENR |= 1u << 0;  /* GPIOA */
  RCC_APB2ENR |= 1u << 4;  /* USART1 */
#if !TB_QEMU
  /* PLL from HSI: 16 MHz / M16 * N192 = 192 MHz VCO, / Q4 = 48 MHz for the RNG. SYSCLK stays HSI. */
  RCC_PLLCFGR = (16u << 0) | (192u << 6) | (0u << 16) | (0u << 22) | (4u << 24);
  RCC_CR |= RCC_CR_PLLON;
  for (uint32_t spin = 0; spin < 1000000 && !(RCC_CR & RCC_CR_PLLRDY); spin++) {
  }
  RCC_AHB2ENR |= 1u << 6; /* RNG */
  RNG_CR |= 1u << 2;      /* RNGEN */
#endif
}

static void systick(void) {
  SYST_RVR = SYSTICK_HZ / 1000u - 1u;
  SYST_CVR = 0;
  SYST_CSR = 7u; /* processor clock, interrupt, enable */
}

int main(void) {
  clocks();
  tb_board_serial_init();
  systick();
  tb_board_nv_init();
  unsigned seedlen = 0;
  int frozen = 0;
  const char *seed = tb_board_test_seed(&seedlen, &frozen);
  tb_token_boot(&token, (const uint8_t *)seed, seedlen, frozen, "BOARD-0001");
  for (;;) {
    uint8_t chunk[64];
    size_t n = tb_board_serial_read(chunk, sizeof chunk);
    if (n) tb_token_receive(&token, chunk, n);
    tb_token_poll(&token);
    /* Nothing came: sleep until a byte or the next SysTick (timeouts are due at most 1 ms late). */
    if (!n) tb_board_idle();
  }
}
