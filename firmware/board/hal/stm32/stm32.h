/*
 * The few STM32F405 registers the board firmware uses (RM0090: RCC §7, GPIO §8, USART §30,
 * FLASH §3, RNG §24; SysTick from the Cortex-M4 generic user guide §4.4). Addresses are those of
 * RM0090's memory map (§2.3).
 */
#ifndef TB_STM32_H
#define TB_STM32_H
#include <stddef.h>
#include <stdint.h>

#define REG(addr) (*(volatile uint32_t *)(addr))

/* RCC (0x40023800) */
#define RCC_CR REG(0x40023800u)
#define RCC_PLLCFGR REG(0x40023804u)
#define RCC_AHB1ENR REG(0x40023830u)
#define RCC_AHB2ENR REG(0x40023834u)
#define RCC_APB2ENR REG(0x40023844u)
#define RCC_CR_PLLON (1u << 24)
#define RCC_CR_PLLRDY (1u << 25)

/* GPIOA (0x40020000) */
#define GPIOA_MODER REG(0x40020000u)
#define GPIOA_OSPEEDR REG(0x40020008u)
#define GPIOA_PUPDR REG(0x4002000Cu)
#define GPIOA_AFRH REG(0x40020024u)

/* USART1 (0x40011000): SR, DR, BRR, CR1 */
#define USART1_SR REG(0x40011000u)
#define USART1_DR REG(0x40011004u)
#define USART1_BRR REG(0x40011008u)
#define USART1_CR1 REG(0x4001100Cu)
#define USART_SR_RXNE (1u << 5)
#define USART_SR_TXE (1u << 7)
#define USART_SR_ORE (1u << 3)
#define USART_CR1_UE (1u << 13)
#define USART_CR1_TE (1u << 3)
#define USART_CR1_RE (1u << 2)
#define USART_CR1_RXNEIE (1u << 5)
/* USART1's global interrupt: IRQ 37 (RM0090 §12.2, table 61), vector 16 + 37. */
#define USART1_IRQN 37u

/* NVIC set-enable and clear-enable registers, 32 interrupts each (Cortex-M4 user guide §4.2). */
#define NVIC_ISER(irq) REG(0xE000E100u + 4u * ((irq) >> 5))
#define NVIC_ICER(irq) REG(0xE000E180u + 4u * ((irq) >> 5))
#define NVIC_BIT(irq) (1u << ((irq) & 31u))

/* SysTick */
#define SYST_CSR REG(0xE000E010u)
#define SYST_RVR REG(0xE000E014u)
#define SYST_CVR REG(0xE000E018u)

/* FLASH interface (0x40023C00) */
#define FLASH_ACR REG(0x40023C00u)
#define FLASH_KEYR REG(0x40023C04u)
#define FLASH_SR REG(0x40023C0Cu)
#define FLASH_CR REG(0x40023C10u)
#define FLASH_SR_BSY (1u << 16)
#define FLASH_SR_ERRORS (0xF2u) /* PGSERR PGPERR PGAERR WRPERR OPERR */
#define FLASH_CR_PG (1u << 0)
#define FLASH_CR_SER (1u << 1)
#define FLASH_CR_SNB_SHIFT 3
#define FLASH_CR_PSIZE_X32 (2u << 8)
#define FLASH_CR_STRT (1u << 16)
#define FLASH_CR_LOCK (1u << 31)

/* RNG (0x50060800) */
#define RNG_CR REG(0x50060800u)
#define RNG_SR REG(0x50060804u)
#define RNG_DR REG(0x50060808u)

/* 96-bit unique device id (RM0090 §39.1) */
#define UID_BASE 0x1FFF7A10u

/* The NV area: flash sectors 2 and 3 (16 KB each), right after the 32 KB image (sectors 0-1). */
#define NV_BASE 0x08008000u
#define NV_FIRST_SECTOR 2u

/* The system clock after reset: the 16 MHz HSI. */
#define HSI_HZ 16000000u

/* Board glue shared by the two STM32 targets (board.c, serial.c); the NV driver is per target. */
/** USART1 on PA9/PA10 at 115200 8N1, received by interrupt into a ring (serial.c). */
void tb_board_serial_init(void);
/** Takes up to cap received bytes out of the ring; returns how many. */
size_t tb_board_serial_read(uint8_t *out, size_t cap);
/** Sleeps (WFI) until an interrupt, unless received bytes are waiting. */
void tb_board_idle(void);
void tb_board_nv_init(void);
/** Seed material the target adds (semihosting time under QEMU; nothing on hardware). */
void tb_board_extra_seed(uint8_t *out, unsigned n);
/** A test seed given on the command line (QEMU) or NULL; sets *n. Also reports a frozen clock. */
const char *tb_board_test_seed(unsigned *n, int *frozen);

#endif
