// The small x86 primitives of kernel/arch.h: exit through QEMU's
// isa-debug-exit, interrupt state, the atomic 64-bit add; and masking the
// legacy PIC.
#include "x86.h"

#include "arch.h"

#define DEBUG_EXIT_PORT 0xf4 // -device isa-debug-exit,iobase=0xf4,iosize=0x04
#define PIC1_DATA	0x21
#define PIC2_DATA	0xa1

// arch_exit makes QEMU exit with status (status << 1) | 1. Without the
// device the write does nothing, and the CPU halts for good.
void arch_exit(int status)
{
	outl(DEBUG_EXIT_PORT, (uint32_t)status);
	for (;;)
		__asm__ volatile("cli; hlt");
}

// arch_irq_save disables interrupts and answers the previous flags.
uintptr_t arch_irq_save(void)
{
	uintptr_t flags;

	__asm__ volatile("pushf; pop %0; cli" : "=r"(flags) : : "memory");
	return flags;
}

// arch_irq_restore puts back the flags arch_irq_save answered.
void arch_irq_restore(uintptr_t flags)
{
	__asm__ volatile("push %0; popf" : : "r"(flags) : "memory", "cc");
}

// arch_atomic_add64 adds delta to *p atomically (lock add on amd64, a lock
// cmpxchg8b loop on i686).
void arch_atomic_add64(uint64_t *p, int64_t delta)
{
	__atomic_fetch_add(p, (uint64_t)delta, __ATOMIC_SEQ_CST);
}

// pic_disable masks every line of both 8259 PICs: heaplab takes no device
// interrupts, and their default vectors would collide with exceptions.
void pic_disable(void)
{
	outb(PIC1_DATA, 0xff);
	outb(PIC2_DATA, 0xff);
}
