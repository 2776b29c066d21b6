// SPDX-License-Identifier: BSD-3-Clause
// The multiboot (v1) header: the linker script puts it first in .text, well
// inside the image's first 8 KiB where a loader looks for it.
#include "multiboot.h"

	.section .multiboot, "a"
	.balign 4
	.long MB_HEADER_MAGIC
	.long MB_HEADER_FLAGS
	.long -(MB_HEADER_MAGIC + MB_HEADER_FLAGS)

	.section .note.GNU-stack, "", @progbits
