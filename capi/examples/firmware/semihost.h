/* ARM semihosting calls (QEMU: -semihosting-config enable=on,target=native). */
#ifndef SEMIHOST_H
#define SEMIHOST_H
#include <stddef.h>
#include <stdint.h>

static inline int sh_call(int op, const void *arg) {
    register int r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

/* SYS_WRITE0: a NUL-terminated string to the host console. */
static inline void sh_puts(const char *s) { sh_call(0x04, s); }

/* SYS_EXIT: ApplicationExit (status 0) or RunTimeErrorUnknown (status 1). */
static inline void sh_exit(int ok) {
    sh_call(0x18, (const void *)(uintptr_t)(ok ? 0x20026u : 0x20023u));
    for (;;) {
    }
}
#endif
