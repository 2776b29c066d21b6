# SPDX-License-Identifier: BSD-3-Clause
# newlib's libc for the images that build their own (make newlib): i386 and
# amd64 with the host gcc, arm64 with Debian's aarch64 Linux cross gcc used
# freestanding, riscv64 with Debian's riscv64-unknown-elf-gcc, which comes
# without a libc; each once, from Debian's newlib-source, into
# $(B)/newlib/$(ARCH). arm uses Debian's prebuilt libnewlib-arm-none-eabi, so
# with ARCH=arm this file defines nothing.

ifneq ($(filter i386 amd64 arm64 riscv64,$(ARCH)),)
NEWLIB_DIR   := $(B)/newlib/$(ARCH)
NEWLIB_INC   := $(NEWLIB_DIR)/include
NEWLIB_LIBC  := $(NEWLIB_DIR)/lib/libc.a
NEWLIB_STAMP := $(NEWLIB_DIR)/stamp
# NEWLIB_DEPS: the tools/deps.sh group with the compiler and newlib-source.
NEWLIB_DEPS  ?= x86

# What a real i686-elf/x86_64-elf/aarch64-elf gcc sees: no glibc headers and
# no host macros (with __linux__, newlib's sys/config.h on i386 turns on
# __DYNAMIC_REENT__ and Linux types).  Code that includes newlib's headers
# must be compiled with NEWLIB_CPPFLAGS so that it agrees with libc.a.
# riscv64's cross compiler is a real one, with no libc headers of its own:
# its standard directories (include, and include-fixed with its limits.h)
# are what newlib's headers want.
NEWLIB_GCC_INC  := $(shell $(CROSS_CC) -print-file-name=include)
NEWLIB_UNHOST   := -U__linux__ -U__linux -Ulinux -U__gnu_linux__ -U__unix__ -U__unix -Uunix
NEWLIB_SYSINC_i386    := -nostdinc -idirafter $(NEWLIB_GCC_INC) $(NEWLIB_UNHOST)
NEWLIB_SYSINC_amd64   := $(NEWLIB_SYSINC_i386)
NEWLIB_SYSINC_arm64   := $(NEWLIB_SYSINC_i386)
NEWLIB_SYSINC_riscv64 :=
NEWLIB_CPPFLAGS := -isystem $(NEWLIB_INC) $(NEWLIB_SYSINC_$(ARCH))

# libc's own flags.  amd64 is linked and identity-mapped at 1 MiB, so the
# small model; SSE stays (boot enables it; printf passes doubles in SSE).
# arm64 takes the kernel's (mk/arch-arm64.mk): FP/SIMD on, atomics inline.
# riscv64 takes the kernel's (mk/arch-riscv64.mk): soft-float, medany.
NEWLIB_TFLAGS_i386  := -m32 -march=i686
NEWLIB_TFLAGS_amd64 := -m64 -mcmodel=small -mno-red-zone
NEWLIB_TFLAGS_arm64 := $(ARM64_TFLAGS)
NEWLIB_TFLAGS_riscv64 := $(RISCV_TFLAGS)
NEWLIB_CFLAGS := $(NEWLIB_TFLAGS_$(ARCH)) -ffreestanding -fno-pic -fno-pie \
		 -fno-stack-protector -O2 -g -Wa,--noexecstack $(NEWLIB_SYSINC_$(ARCH))

.PHONY: newlib
newlib: $(NEWLIB_STAMP)

# One run of the script makes the headers, libc.a and the stamp together.
$(NEWLIB_STAMP) $(NEWLIB_LIBC) &: tools/build-newlib.sh mk/newlib.mk
	@tools/deps.sh $(NEWLIB_DEPS)
	@tools/build-newlib.sh $(ARCH) $(NEWLIB_DIR) $(NEWLIB_CFLAGS)
endif
