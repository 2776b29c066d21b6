# SPDX-License-Identifier: BSD-3-Clause
# The 32-bit ARM port (ARCH=arm): Debian's arm-none-eabi-gcc for ARMv7-A in
# ARM state, soft-float, against Debian's prebuilt newlib: the multilib that
# matches these flags (thumb/v7-a/nofp). QEMU's -kernel boots kernel.elf.
#
# Soft-float: nothing in heaplab computes with floats, so the compiler is
# kept from emitting any VFP/NEON instruction; the boot code then leaves the
# FPU off (CPACR, FPEXC) and no trap has FPU state to save. newlib's printf
# still formats %f, with libgcc's soft-float routines.

PLATFORM     := qemu-virt-arm
CROSS_CC     := arm-none-eabi-gcc
OBJDUMP      := arm-none-eabi-objdump
ARM_TFLAGS   := -march=armv7-a -marm -mfloat-abi=soft
ARCH_CFLAGS  := $(ARM_TFLAGS) -Iarch/arm
ARCH_LDFLAGS := $(ARM_TFLAGS) -Wl,--build-id=none
ARCH_SRCS    := boot/arm/start.S $(sort $(wildcard arch/arm/*.S arch/arm/*.c))
BOOT_IMAGE   := $(KERNEL_ELF)

# Until tools/deps.sh arm has installed the compiler, assume its multilib.
ARM_MULTILIB := $(or $(shell $(CROSS_CC) $(ARM_TFLAGS) -print-multi-directory 2>/dev/null),thumb/v7-a/nofp)
NEWLIB_INC   := /usr/lib/arm-none-eabi/include
NEWLIB_LIBC  := /usr/lib/arm-none-eabi/newlib/$(ARM_MULTILIB)/libc.a
LIBGCC        = $(shell $(CROSS_CC) $(ARM_TFLAGS) -print-libgcc-file-name)

$(NEWLIB_LIBC):
	@tools/deps.sh arm
