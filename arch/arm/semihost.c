// 32-bit ARM semihosting: the debugger-call interface QEMU implements,
// used to end the run with a status.
#include "arm.h"
#include "arch.h"

// arm_semihost traps with `svc 0x123456` (A32), which QEMU answers itself
// when started with -semihosting-config enable=on; r0 carries the answer.
uint32_t arm_semihost(uint32_t op, const void *arg)
{
	register uint32_t r0 __asm__("r0") = op;
	register const void *r1 __asm__("r1") = arg;

	__asm__ volatile("svc %[imm]" : "+r"(r0) : "r"(r1), [imm] "i"(ARM_SVC_SEMIHOST) : "memory");
	return r0;
}

// arch_exit ends the run through SYS_EXIT_EXTENDED, which carries the
// status (plain SYS_EXIT cannot on AArch32): QEMU exits with it.
void arch_exit(int status)
{
	const uint32_t block[2] = {ARM_ADP_STOPPED_APPLICATION_EXIT, (uint32_t)status};

	arm_semihost(ARM_SEMIHOST_EXIT_EXTENDED, block);
	for (;;)
		__asm__ volatile("wfi");
}
