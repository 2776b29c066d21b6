# newlib's libc for the x86 and arm64 images (make newlib), built once from
# Debian's newlib-source into $(B)/newlib/$(ARCH) by the host gcc (x86) or
# Debian's aarch64 Linux cross gcc, used freestanding (arm64); arm uses
# Debian's prebuilt libnewlib-arm-none-eabi, so with ARCH=arm this file
# defines nothing.

ifneq ($(filter i386 amd64 arm64,$(ARCH)),)
NEWLIB_DIR   := $(B)/newlib/$(ARCH)
NEWLIB_INC   := $(NEWLIB_DIR)/include
NEWLIB_LIBC  := $(NEWLIB_DIR)/lib/libc.a
NEWLIB_STAMP := $(NEWLIB_DIR)/stamp

# The compiler's prefix, and the tools/deps.sh group that installs it.
NEWLIB_CROSS_arm64 := aarch64-linux-gnu-
NEWLIB_DEPS_arm64  := arm64
NEWLIB_CROSS := $(NEWLIB_CROSS_$(ARCH))

# What a real i686-elf/x86_64-elf/aarch64-elf gcc sees: no glibc headers and
# no host macros (with __linux__, newlib's sys/config.h on i386 turns on
# __DYNAMIC_REENT__ and Linux types).  Code that includes newlib's headers
# must be compiled with NEWLIB_CPPFLAGS so that it agrees with libc.a.
NEWLIB_GCC_INC  := $(shell $(NEWLIB_CROSS)gcc -print-file-name=include)
NEWLIB_UNHOST   := -U__linux__ -U__linux -Ulinux -U__gnu_linux__ -U__unix__ -U__unix -Uunix
NEWLIB_CPPFLAGS := -nostdinc -isystem $(NEWLIB_INC) -idirafter $(NEWLIB_GCC_INC) $(NEWLIB_UNHOST)

# libc's own flags.  amd64 is linked and identity-mapped at 1 MiB, so the
# small model; SSE stays (boot enables it; printf passes doubles in SSE).
NEWLIB_TFLAGS_i386  := -m32 -march=i686
NEWLIB_TFLAGS_amd64 := -m64 -mcmodel=small -mno-red-zone
# arm64: linked at 1 GiB, the small model; FP/SIMD stays (boot turns it on:
# newlib's memcpy and memset use the vector registers); atomics inline, not
# through libgcc's outline helpers, which ask Linux (getauxval) for LSE.
NEWLIB_TFLAGS_arm64 := -march=armv8-a -mcmodel=small -mno-outline-atomics
NEWLIB_CFLAGS := $(NEWLIB_TFLAGS_$(ARCH)) -ffreestanding -fno-pic -fno-pie \
		 -fno-stack-protector -O2 -g -Wa,--noexecstack -nostdinc -idirafter $(NEWLIB_GCC_INC) $(NEWLIB_UNHOST)

.PHONY: newlib
newlib: $(NEWLIB_STAMP)

# One run of the script makes the headers, libc.a and the stamp together.
$(NEWLIB_STAMP) $(NEWLIB_LIBC) &: tools/build-newlib.sh mk/newlib.mk
	@tools/deps.sh $(or $(NEWLIB_DEPS_$(ARCH)),x86)
	@tools/build-newlib.sh $(ARCH) $(NEWLIB_DIR) $(NEWLIB_CFLAGS)
endif
