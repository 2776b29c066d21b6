// SPDX-License-Identifier: BSD-3-Clause
// Multiboot (version 1) constants and the boot information a multiboot
// loader (QEMU's -kernel, GRUB) hands the kernel. Included from assembly.
#ifndef HEAPLAB_MULTIBOOT_H
#define HEAPLAB_MULTIBOOT_H

#define MB_HEADER_MAGIC	    0x1badb002 // in the image's first 8 KiB
#define MB_HEADER_PAGEALIGN 0x00000001 // load modules page-aligned
#define MB_HEADER_MEMINFO   0x00000002 // fill mem_lower/mem_upper
#define MB_HEADER_FLAGS	    (MB_HEADER_PAGEALIGN | MB_HEADER_MEMINFO)
#define MB_BOOT_MAGIC	    0x2badb002 // in %eax at the entry

// mb_info.flags: which fields are valid.
#define MB_INFO_MEM	0x00000001
#define MB_INFO_CMDLINE 0x00000004
#define MB_INFO_MODS	0x00000008
#define MB_INFO_LOADER	0x00000200

#ifndef __ASSEMBLER__
#include <stdint.h>

struct mb_info {
	uint32_t flags;
	uint32_t mem_lower, mem_upper; // KiB below 1 MiB, KiB from 1 MiB on
	uint32_t boot_device;
	uint32_t cmdline; // NUL-terminated
	uint32_t mods_count, mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length, mmap_addr;
	uint32_t drives_length, drives_addr;
	uint32_t config_table;
	uint32_t boot_loader_name;
};

struct mb_module {
	uint32_t mod_start, mod_end; // [start, end)
	uint32_t string;	     // the module's command line
	uint32_t reserved;
};
#endif

#endif
