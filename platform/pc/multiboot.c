// SPDX-License-Identifier: BSD-3-Clause
// The multiboot hand-over on the PC: what QEMU's -kernel loader (or GRUB)
// passes in its boot information, taken out of the loader's hands before
// anything uses the heap.
//
// Where things are when pc_boot_info runs (QEMU's -kernel loader):
//
//   1 MiB   kernel .text .rodata .data .bss
//   _heap_start  boot info, command line, module list, the trace module
//                (QEMU puts them right after the ELF's last byte, that is
//                inside the heap), then zeroes up to _heap_end
//   _heap_end    free RAM up to mem_upper
//
// So the command line is copied into a static buffer, the trace is moved
// to _heap_end (the kernel never touches memory above it), and what the
// loader wrote into the heap is zeroed, in that order, before anything
// uses the heap. A loader that keeps them clear of the heap costs nothing.
#include <string.h>

#include "x86.h"
#include "multiboot.h"

#include "kernel.h"
#include "pc.h"

#define CMDLINE_MAX 1024

static char boot_cmdline[CMDLINE_MAX];

// boot_note_extent raises *top to the end of [addr, addr+n).
static void boot_note_extent(uintptr_t *top, uintptr_t addr, size_t n)
{
	if (addr + n > *top)
		*top = addr + n;
}

// boot_take_cmdline copies the command line without its first word, the
// image's path (QEMU and GRUB both put it there), into boot_cmdline.
static const char *boot_take_cmdline(const struct mb_info *mb, uintptr_t *top)
{
	const char *s;
	size_t n;

	if (!(mb->flags & MB_INFO_CMDLINE))
		return "";
	s = (const char *)(uintptr_t)mb->cmdline;
	n = strlen(s);
	boot_note_extent(top, (uintptr_t)s, n + 1);
	s += strcspn(s, " ");
	s += strspn(s, " ");
	n = strlen(s);
	if (n >= sizeof boot_cmdline)
		panic("boot: command line of %lu bytes, more than %d", (unsigned long)n,
		      CMDLINE_MAX - 1);
	memcpy(boot_cmdline, s, n + 1);
	return boot_cmdline;
}

// boot_take_trace answers the first module (the trace) and its length, or
// NULL if there is none. A module inside the heap is moved to _heap_end.
static const char *boot_take_trace(const struct mb_info *mb, uintptr_t *top, size_t *len)
{
	const struct mb_module *mod;
	uintptr_t src, ram_top;

	*len = 0;
	if (!(mb->flags & MB_INFO_MODS) || mb->mods_count == 0)
		return NULL;
	mod = (const struct mb_module *)(uintptr_t)mb->mods_addr;
	boot_note_extent(top, (uintptr_t)mod, mb->mods_count * sizeof *mod);
	src = mod->mod_start;
	*len = mod->mod_end - mod->mod_start;
	if (src + *len <= (uintptr_t)_heap_start || src >= (uintptr_t)_heap_end)
		return (const char *)src; // clear of the heap: leave it there
	boot_note_extent(top, src, *len);
	ram_top = (mb->flags & MB_INFO_MEM) ? 0x100000 + (uintptr_t)mb->mem_upper * 1024 : 0;
	if ((uintptr_t)_heap_end + *len > ram_top) { // refused like any trace too large
		kprintf(
		    "# replay: trace: %lu bytes, more than the %lu between the heap's end 0x%lx "
		    "and the RAM's end 0x%lx\n",
		    (unsigned long)*len,
		    (unsigned long)(ram_top > (uintptr_t)_heap_end ? ram_top - (uintptr_t)_heap_end
								   : 0),
		    (unsigned long)(uintptr_t)_heap_end, (unsigned long)ram_top);
		kexit(2);
	}
	memmove(_heap_end, (const void *)src, *len);
	return _heap_end;
}

// boot_check_ram stops the run when the heap linked in does not fit in the
// RAM the loader reports (QEMU's -m was too small: run-qemu.sh sizes it
// from the ELF's _heap_end).
static void boot_check_ram(const struct mb_info *mb)
{
	uintptr_t ram_top;

	if (!(mb->flags & MB_INFO_MEM))
		panic("boot: the loader reports no memory size, so the heap cannot be checked");
	ram_top = 0x100000 + (uintptr_t)mb->mem_upper * 1024;
	if ((uintptr_t)_heap_end > ram_top)
		panic("boot: the heap [%p, %p) runs past the end of RAM at %#lx: give QEMU more "
		      "memory (-m) or link a smaller HEAP_SIZE",
		      (void *)_heap_start, (void *)_heap_end, (unsigned long)ram_top);
}

// boot_clean_heap zeroes what the loader wrote into the heap, below top.
static void boot_clean_heap(uintptr_t top)
{
	uintptr_t lo = (uintptr_t)_heap_start, hi = (uintptr_t)_heap_end;

	if (top > hi)
		top = hi;
	if (top > lo)
		memset(_heap_start, 0, top - lo);
}

// pc_boot_info: see pc.h. It runs on the boot CPU, before kmain.
const char *pc_boot_info(uint32_t magic, uint32_t info, const char **cmdline, size_t *len)
{
	const struct mb_info *mb = (const struct mb_info *)(uintptr_t)info;
	const char *trace;
	uintptr_t top = 0;

	if (magic != MB_BOOT_MAGIC)
		panic("boot: not started by a multiboot loader (magic 0x%lx)",
		      (unsigned long)magic);
	boot_check_ram(mb);
	boot_note_extent(&top, info, sizeof *mb);
	if (mb->flags & MB_INFO_LOADER)
		boot_note_extent(&top, mb->boot_loader_name,
				 strlen((const char *)(uintptr_t)mb->boot_loader_name) + 1);
	*cmdline = boot_take_cmdline(mb, &top);
	trace = boot_take_trace(mb, &top, len);
	boot_clean_heap(top);
	return trace;
}
