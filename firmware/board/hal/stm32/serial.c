/*
 * USART1 at 115200 8N1 on PA9 (TX) / PA10 (RX), received by interrupt (RM0090 §30.6.4: RXNE with
 * RXNEIE, USART1 global interrupt = IRQ 37) into a ring that the main loop drains in chunks.
 *
 * Why an interrupt and not a polling loop: a byte arrives every 87 us at 115200 baud, and a loop
 * that is busy answering a frame (hashing, writing NV, sending 150 bytes at 87 us each) misses
 * bytes on a real part (overrun). Under QEMU nothing is lost either way (its USART holds the next
 * byte back until DR is read), but every read of USART_SR wakes QEMU's I/O thread, so a loop that
 * polls SR keeps both of QEMU's threads busy; on a loaded host that cut the rate into the board
 * to about 4 KB/s. With the interrupt, the core sleeps (WFI) until a byte or the 1 ms SysTick
 * comes, and QEMU's threads sleep with it.
 *
 * When the ring is full the interrupt is switched off at the NVIC and DR is left unread until the
 * main loop has taken bytes out: QEMU then holds the sender back (no byte is lost); a real part
 * overruns, as a polling loop would, and the framing layer resyncs at the next 00.
 */
#include "stm32.h"
#include "../../core/hal.h"

#define RING 256u /* a power of two; 22 ms of bytes at 115200 baud */

static volatile uint8_t ring[RING];
static volatile uint32_t head, tail; /* head: written by the interrupt; tail: by the main loop */

void usart1_handler(void);
void usart1_handler(void) {
  uint32_t sr = USART1_SR;
  if (!(sr & (USART_SR_RXNE | USART_SR_ORE))) return;
  if (head - tail == RING) {
    NVIC_ICER(USART1_IRQN) = NVIC_BIT(USART1_IRQN); /* full: leave DR unread until there is room */
    return;
  }
  uint8_t b = (uint8_t)USART1_DR; /* SR then DR: clears RXNE and an overrun (ORE) */
  if (sr & USART_SR_RXNE) {
    ring[head % RING] = b;
    head++;
  }
}

void tb_board_serial_init(void) {
  /* PA9 TX, PA10 RX: alternate function 7 (USART1), high speed, pull-up on RX. */
  GPIOA_MODER = (GPIOA_MODER & ~(0xFu << 18)) | (0xAu << 18);
  GPIOA_OSPEEDR |= 0xFu << 18;
  GPIOA_PUPDR = (GPIOA_PUPDR & ~(0x3u << 20)) | (0x1u << 20);
  GPIOA_AFRH = (GPIOA_AFRH & ~(0xFFu << 4)) | (0x77u << 4);
  /* 115200 baud from 16 MHz, oversampling by 16: 16e6 / 115200 = 138.9 -> BRR 139 (8 + 11/16). */
  USART1_BRR = (HSI_HZ + 115200u / 2) / 115200u;
  USART1_CR1 = USART_CR1_UE | USART_CR1_TE | USART_CR1_RE | USART_CR1_RXNEIE;
  NVIC_ISER(USART1_IRQN) = NVIC_BIT(USART1_IRQN);
}

size_t tb_board_serial_read(uint8_t *out, size_t cap) {
  size_t n = 0;
  while (n < cap && tail != head) out[n++] = ring[tail++ % RING];
  /* Room again: let the interrupt take the byte it may have left in DR. */
  if (n) NVIC_ISER(USART1_IRQN) = NVIC_BIT(USART1_IRQN);
  return n;
}

void tb_board_idle(void) {
  /* Interrupts masked between the test and WFI, so a byte that comes in between still wakes it. */
  __asm__ volatile("cpsid i" ::: "memory");
  if (tail == head) __asm__ volatile("dsb\n\twfi" ::: "memory");
  __asm__ volatile("cpsie i" ::: "memory");
}

void tb_hal_serial_write(const uint8_t *p, size_t n) {
  for (size_t i = 0; i < n; i++) {
    while (!(USART1_SR & USART_SR_TXE)) {
    }
    USART1_DR = p[i];
  }
}
