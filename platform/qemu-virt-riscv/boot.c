// SPDX-License-Identifier: BSD-3-Clause
// The riscv64 virt board's boot information: the device tree QEMU hands
// the kernel (fdt.c reads it) gives the command line (-append), the trace
// (-initrd), the harts and the timer's frequency; the heap and the trace
// must fit in the RAM it lists.
#include <string.h>

#include "virt.h"

#include "kernel.h"

#define CMDLINE_MAX 1024

extern char _kernel_start[];

int virt_harts = 1;
static char boot_cmdline[CMDLINE_MAX];

// boot_copy_cmdline copies the command line out of the device tree, which
// QEMU may have put where the heap will be when RAM is small.
static const char *boot_copy_cmdline(const char *s)
{
	size_t n = strlen(s);

	if (n >= sizeof boot_cmdline)
		panic("boot: command line of %lu bytes, more than %d", (unsigned long)n,
		      CMDLINE_MAX - 1);
	memcpy(boot_cmdline, s, n + 1);
	return boot_cmdline;
}

// boot_check_ram stops the run when the heap linked in runs past the end
// of the RAM QEMU was given, or the trace lies on the kernel or its heap
// (QEMU loads -initrd 128 MiB above the kernel, or halfway up a smaller
// RAM).
static void boot_check_ram(const struct virt_boot *b)
{
	uintptr_t lo = (uintptr_t)_kernel_start, hi = (uintptr_t)_heap_end;
	uintptr_t t = (uintptr_t)b->initrd;

	if (b->ram_end == 0)
		panic("boot: the device tree gives no memory size, so the heap cannot be checked");
	if (hi > b->ram_end)
		panic("boot: the heap [%p, %p) runs past the end of RAM at %#lx: give QEMU more "
		      "(-m)",
		      (void *)_heap_start, (void *)_heap_end, (unsigned long)b->ram_end);
	if (b->initrd != NULL && t < hi && t + b->initrd_len > lo)
		panic("boot: the trace [%#lx, %#lx) lies on the kernel and its heap [%#lx, %#lx): "
		      "give QEMU more RAM (-m)",
		      (unsigned long)t, (unsigned long)(t + b->initrd_len), (unsigned long)lo,
		      (unsigned long)hi);
}

const char *virt_boot_info(const void *fdt, const char **cmdline, size_t *len)
{
	static struct virt_boot b;

	if (virt_fdt_read(fdt, &b) < 0)
		kprintf("# riscv64: no device tree at %p: no command line, no trace, 1 hart\n",
			fdt);
	virt_timebase_hz = b.timebase;
	virt_harts = b.ncpu;
	boot_check_ram(&b);
	*cmdline = boot_copy_cmdline(b.cmdline);
	*len = b.initrd_len;
	return b.initrd;
}
