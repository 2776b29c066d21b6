# SPDX-License-Identifier: BSD-3-Clause
# The i386 port (ARCH=i386): the host gcc in 32-bit mode for i686; QEMU's
# multiboot loader boots build/i386/kernel.elf itself. newlib comes from
# mk/newlib.mk.

PLATFORM     := pc
CROSS_CC     := gcc
OBJDUMP      := objdump
ARCH_CFLAGS  := -m32 -march=i686 -Iarch/x86 -Iarch/x86/32 -Iboot/x86
ARCH_LDFLAGS := -m32 -no-pie -Wl,-z,max-page-size=0x1000 -Wl,-z,noexecstack -Wl,--build-id=none
ARCH_SRCS    := boot/x86/multiboot.S boot/x86/stack.S boot/x86/entry32.S \
		boot/x86/trampoline.S \
		$(sort $(wildcard $(addprefix arch/x86/,*.c *.S 32/*.c 32/*.S)))
LIBGCC       := $(shell $(CROSS_CC) -m32 -print-libgcc-file-name)
BOOT_IMAGE   := $(KERNEL_ELF)
