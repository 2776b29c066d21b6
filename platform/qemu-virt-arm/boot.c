// SPDX-License-Identifier: BSD-3-Clause
// The virt board's boot information: the hand-over blob run-qemu.sh loads
// at VIRT_HANDOVER (kernel/handover.c reads it), bounded by the end of RAM.
#include "virt.h"

#include "kernel.h"

const char *virt_boot_info(const char **cmdline, size_t *len)
{
	return handover_take(VIRT_HANDOVER, VIRT_RAM_BASE + VIRT_RAM_SIZE, cmdline, len);
}
