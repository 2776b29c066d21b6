# SPDX-License-Identifier: BSD-3-Clause
# The riscv64 port (ARCH=riscv64): Debian's riscv64-unknown-elf-gcc for
# RV64IMAC (soft-float, the lp64 ABI) on QEMU's virt board, in M-mode with
# no firmware (-bios none). The kernel is linked at 0x80000000, above the
# first 2 GiB, so the medany code model (pc-relative addressing). That
# compiler comes without a libc: newlib is built with it by mk/newlib.mk.
#
# Soft-float, as on arm: nothing in heaplab computes with floats, so no
# trap has FP state to save and mstatus.FS stays off (an FP instruction
# would be an illegal instruction); newlib's printf formats %f with
# libgcc's soft-float routines.

PLATFORM     := qemu-virt-riscv
CROSS_CC     := riscv64-unknown-elf-gcc
OBJDUMP      := riscv64-unknown-elf-objdump
RISCV_TFLAGS := -march=rv64imac_zicsr_zifencei -mabi=lp64 -mcmodel=medany
ARCH_CFLAGS  := $(RISCV_TFLAGS) -Iarch/riscv64
ARCH_LDFLAGS := $(RISCV_TFLAGS) -Wl,--build-id=none
ARCH_SRCS    := boot/riscv64/start.S $(sort $(wildcard arch/riscv64/*.S arch/riscv64/*.c))
BOOT_IMAGE   := $(KERNEL_ELF)
NEWLIB_DEPS  := riscv64

# gcc picks its multilib by -march; the _zicsr_zifencei suffix (the CSR and
# fence.i instructions, which the kernel's own code needs) would send it to
# the lp64d default, so libgcc is asked for by the plain ISA string.
LIBGCC        = $(shell $(CROSS_CC) -march=rv64imac -mabi=lp64 -print-libgcc-file-name)
