/* Cortex-M4 start-up for the STM32F405: vector table, .data copy, .bss clear, then main. */
#include <stdint.h>
#include <string.h>

extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _estack;
int main(void);
void reset_handler(void);
void fault_handler(void);
void systick_handler(void);
void usart1_handler(void);

void reset_handler(void) {
  memcpy(&_sdata, &_sidata, (size_t)((char *)&_edata - (char *)&_sdata));
  memset(&_sbss, 0, (size_t)((char *)&_ebss - (char *)&_sbss));
  main();
  for (;;) {
  }
}

/* A fault stops the firmware; a watchdog (not enabled in the reference) would restart it. */
void fault_handler(void) {
  for (;;) {
  }
}

/*
 * The Cortex-M4 exceptions, then the STM32F405's interrupts up to USART1 (IRQ 37, vector 53), the
 * only one enabled (RM0090 §12.2, table 61); an interrupt nobody enabled cannot fire.
 */
__attribute__((section(".isr_vector"), used)) static void (*const vectors[16 + 38])(void) = {
  (void (*)(void))(&_estack), reset_handler, fault_handler, fault_handler, fault_handler, fault_handler, fault_handler,
  0, 0, 0, 0, fault_handler, fault_handler, 0, fault_handler, systick_handler,
  [16 + 37] = usart1_handler,
};
