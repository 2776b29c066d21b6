# SPDX-License-Identifier: BSD-3-Clause
# The 64-bit ARM port (ARCH=arm64): Debian's aarch64 Linux cross gcc, used
# freestanding, for ARMv8.0-A, against newlib built here from Debian's
# newlib-source (mk/newlib.mk). QEMU's -kernel boots kernel.elf on
# qemu-system-aarch64 -M virt, the board the 32-bit port runs on too: its
# code (platform/qemu-virt-arm) serves both.
#
# FP/SIMD stays on (there is no soft-float ABI for AArch64, and newlib's
# string functions use the vector registers); the boot code enables it.
# -mno-outline-atomics: GCC inlines the exclusives, instead of calling
# libgcc helpers that ask Linux (getauxval) whether the CPU has LSE.
# newlib is built with the same flags (mk/newlib.mk).

PLATFORM     := qemu-virt-arm
CROSS_CC     := aarch64-linux-gnu-gcc
OBJDUMP      := aarch64-linux-gnu-objdump
ARM64_TFLAGS := -march=armv8-a -mcmodel=small -mno-outline-atomics
ARCH_CFLAGS  := $(ARM64_TFLAGS) -Iarch/arm64
ARCH_LDFLAGS := $(ARM64_TFLAGS) -no-pie -Wl,--build-id=none -Wl,-z,max-page-size=0x1000 \
		-Wl,-z,noexecstack -Wl,--no-warn-rwx-segments
ARCH_SRCS    := boot/arm64/start.S $(sort $(wildcard arch/arm64/*.S arch/arm64/*.c))
LIBGCC        = $(shell $(CROSS_CC) $(ARM64_TFLAGS) -print-libgcc-file-name)
BOOT_IMAGE   := $(KERNEL_ELF)
NEWLIB_DEPS  := arm64

# mk/newlib.mk asks the compiler where its own headers are as make reads
# it, so on a fresh machine the compiler is installed first.
ifeq ($(shell command -v $(CROSS_CC)),)
$(shell tools/deps.sh arm64 >&2)
endif
