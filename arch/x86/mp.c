// x86 multiprocessor bring-up, for now the uniprocessor case: the boot CPU
// is CPU 0 and no other CPU is started (ACPI MADT + INIT-SIPI-SIPI next).
#include "../../kernel/arch.h"

int arch_cpu_id(void)
{
	return 0;
}

int arch_start_cpus(int want)
{
	(void)want;
	return 1;
}
