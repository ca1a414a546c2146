/*
 * Minimal Cortex-M startup for the keyfort C example firmware: vector table, .data copy,
 * .bss zero, FPU on (the thumbv7em-none-eabihf library uses it), then main(). A fault
 * ends the QEMU run with a failing semihosting exit.
 */
#include <stdint.h>

#include "semihost.h"

extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _estack;
int main(void);

void Reset_Handler(void);
void Fault_Handler(void);

__attribute__((section(".vectors"), used)) static const void *const vectors[16] = {
    &_estack, Reset_Handler, Fault_Handler, Fault_Handler, Fault_Handler, Fault_Handler, Fault_Handler,
};

void Reset_Handler(void) {
    uint32_t *src = &_sidata, *dst = &_sdata;
    while (dst < &_edata) *dst++ = *src++;
    for (dst = &_sbss; dst < &_ebss;) *dst++ = 0;
#if defined(__ARM_FP)
    *(volatile uint32_t *)0xE000ED88u |= 0xFu << 20; /* CPACR: CP10, CP11 full access */
    __asm__ volatile("dsb\n isb");
#endif
    sh_exit(main() == 0);
}

void Fault_Handler(void) {
    sh_puts("capi-firmware: FAULT\n");
    sh_exit(0);
}
