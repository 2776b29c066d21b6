// What portable kernel code needs from each architecture. arch/x86 (i386,
// amd64) and arch/arm each implement all of it; kernel/ and mem/ never test
// the architecture with #ifdef.
#ifndef HEAPLAB_ARCH_H
#define HEAPLAB_ARCH_H

#include <stddef.h>
#include <stdint.h>

// Heap bounds, defined by linker/$(ARCH).ld after the kernel's sections,
// page-aligned; HEAP_SIZE (make variable) bytes apart.
extern char _heap_start[], _heap_end[];

#define PAGE_SIZE 4096u

// System call numbers; a syscall stub traps (int $0x80 / svc #0) with the
// number and one argument, and the trap handler calls syscall_dispatch.
#define SYS_BRK 1

// arch_syscall1 is the syscall stub: it traps into the kernel and answers
// the handler's result.
uintptr_t arch_syscall1(uintptr_t num, uintptr_t arg);

// Console: write bytes to the serial port (COM1 / PL011), polled.
void arch_console_write(const char *s, size_t n);

// End the run with status (0 = success) through isa-debug-exit (x86) or
// semihosting SYS_EXIT_EXTENDED (arm). Never returns.
void arch_exit(int status) __attribute__((noreturn));

// Atomic 64-bit add, for the allocator's byte counters.
void arch_atomic_add64(uint64_t *p, int64_t delta);

// Interrupt state, for the spinlock's push_off/pop_off.
uintptr_t arch_irq_save(void); // disable, answer the previous state
void arch_irq_restore(uintptr_t state);

// Called by the boot code once the machine is set up (stack, .bss cleared,
// traps installed, console ready): cmdline is the kernel command line (or
// ""), and trace/tracelen the trace handed to the image (or NULL, 0).
void kmain(const char *cmdline, const char *trace, size_t tracelen) __attribute__((noreturn));

// Portable trap handler for system calls, called by the arch's trap entry.
uintptr_t syscall_dispatch(uintptr_t num, uintptr_t arg);

#endif
