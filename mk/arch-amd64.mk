# SPDX-License-Identifier: BSD-3-Clause
# The amd64 port (ARCH=amd64): the host gcc; a 32-bit multiboot entry
# switches to long mode. QEMU's multiboot loader refuses ELF64, so it boots
# build/amd64/kernel32.elf, an elf32-i386 copy of the ELF64 kernel.elf
# (which keeps the full symbols, for gdb). newlib comes from mk/newlib.mk.

PLATFORM     := pc
CROSS_CC     := gcc
OBJDUMP      := objdump
ARCH_CFLAGS  := -m64 -mno-red-zone -mcmodel=small -Iarch/x86 -Iarch/x86/64 -Iboot/x86
ARCH_LDFLAGS := -m64 -no-pie -Wl,-z,max-page-size=0x1000 -Wl,-z,noexecstack -Wl,--build-id=none
ARCH_SRCS    := boot/x86/multiboot.S boot/x86/stack.S boot/x86/entry64.S \
		boot/x86/trampoline.S \
		$(sort $(wildcard $(addprefix arch/x86/,*.c *.S 64/*.c 64/*.S)))
LIBGCC       := $(shell $(CROSS_CC) -m64 -print-libgcc-file-name)
BOOT_IMAGE   := $(IMG)/kernel32.elf

$(IMG)/kernel32.elf: $(KERNEL_ELF)
	objcopy -O elf32-i386 --strip-debug $< $@
