# SPDX-License-Identifier: BSD-3-Clause
# The bare-metal image, for ARCH=i386|amd64|arm|arm64|riscv64 (make image): kernel/, mem/
# and the port's boot/ and arch/ code, linked with newlib into
# build/$(ARCH)/kernel.elf, with its objdump -S listing kernel.asm beside it
# and the image QEMU boots. Also make qemu, qemu-gdb (run-qemu.sh --gdb,
# which writes the run's own gdb script) and boot-test.
#
# Each port's mk/arch-$(ARCH).mk sets:
#   CROSS_CC      the compiler, also used to assemble (.S) and link
#   OBJDUMP       its objdump, for the listing
#   ARCH_CFLAGS   target flags and the port's include directories
#   ARCH_LDFLAGS  target link flags
#   PLATFORM      the board: platform/$(PLATFORM) (pc, qemu-virt-arm)
#   ARCH_SRCS     the port's .c and .S files (boot/ and arch/; the board's
#                 platform/$(PLATFORM)/*.c are added here)
#   LIBGCC        the libgcc.a to link
#   BOOT_IMAGE    what QEMU boots: kernel.elf, or a rule-made copy of it
#   NEWLIB_INC, NEWLIB_LIBC (and optionally NEWLIB_CPPFLAGS) when newlib
#                 does not come from mk/newlib.mk (x86, arm64 and riscv64 build it
#                 there; NEWLIB_DEPS names the tools/deps.sh group it needs)
# The heap's size is a link-time constant: make HEAP_SIZE=BYTES. NOLOCK=1
# compiles the allocator's lock out (a demonstration, see kernel/kmem.c).
# A build other than the default one has a directory of its own, so that
# switching never rebuilds (nor breaks, under a running QEMU) the default
# image: a lab's file (MEM_FREE=lab/free.c, MEM_ALLOC=..., MEM_FIT=..., OBJ_SPAN=...),
# NOLOCK=1 and MEM_DEBUG=0 compile into build/ARCH-lab, build/ARCH-nolock,
# build/ARCH-debug0 (two of them: build/ARCH-nolock-debug0), NEWLIB_MALLOC=1
# (newlib's own malloc rather than the objects layer's, kernel/kobj.c) into
# build/ARCH-newlibmalloc, a MEM_INDEX
# other than the build's default into build/ARCH-index0 (or -index1 for a
# lab's build that would walk the list), and another
# HEAP_SIZE links the same objects into build/ARCH-heapSIZE
# (build/amd64-heap0x20000000).
# Lab 9's file, KERNEL_PCP=lab/pcp.c in place of kernel/pcp.c (the
# per-CPU page cache, ./run-qemu.sh --pcp), compiles into build/ARCH-labpcp.
# `make image-dir` prints the directory; run-qemu.sh boots what it names.

HEAP_SIZE ?= 0x4000000
NOLOCK	  ?= 0
NEWLIB_MALLOC ?= 0
KERNEL_PCP ?= kernel/pcp.c
IMG_OBJ	  := $(B)/$(ARCH)$(if $(MEM_SWAPPED)$(filter-out objects/span.c,$(OBJ_SPAN)),-lab)$(if $(filter-out kernel/pcp.c,$(KERNEL_PCP)),-labpcp)$(if $(filter-out 0,$(NOLOCK)),-nolock)$(if $(filter-out 0,$(NEWLIB_MALLOC)),-newlibmalloc)$(if $(filter-out 1,$(MEM_DEBUG)),-debug$(MEM_DEBUG))$(if $(filter-out $(MEM_INDEX_DEFAULT),$(MEM_INDEX)),-index$(MEM_INDEX))
IMG	  := $(IMG_OBJ)$(if $(filter-out 0x4000000,$(HEAP_SIZE)),-heap$(HEAP_SIZE))
KERNEL_ELF := $(IMG)/kernel.elf

.PHONY: image image-dir qemu qemu-gdb boot-test heaplab-force

image-dir:
	@echo $(IMG)

ifeq ($(wildcard mk/arch-$(ARCH).mk),)
image:
	@echo "make: no port for ARCH=$(ARCH) (mk/arch-$(ARCH).mk is missing)" >&2; exit 2
else
include mk/arch-$(ARCH).mk
ifneq ($(filter i386 amd64 arm64 riscv64,$(ARCH)),)
-include mk/newlib.mk
endif

NEWLIB_CPPFLAGS ?= -nostdinc -isystem $(NEWLIB_INC) -isystem $(shell $(CROSS_CC) -print-file-name=include)
KERNEL_SRCS ?= $(sort $(filter-out kernel/pcp.c,$(wildcard kernel/*.c))) $(KERNEL_PCP)
PLATFORM_SRCS := $(sort $(wildcard platform/$(PLATFORM)/*.c))
IMAGE_SRCS  := $(KERNEL_SRCS) $(MEM_SRCS) $(OBJ_SRCS) $(RUNTIME_SRCS) $(REPLAY_SRCS) $(REPLAY_OBJ_SRCS) $(ARCH_SRCS) $(PLATFORM_SRCS)
IMAGE_OBJS  := $(patsubst %,$(IMG_OBJ)/%.o,$(basename $(IMAGE_SRCS)))
IMAGE_CFLAGS := -std=gnu11 -ffreestanding -fno-stack-protector -fno-pic -fno-pie \
		-Wall -Wextra -Werror -g -O2 -fno-omit-frame-pointer -DHEAPLAB_DEBUG=$(MEM_DEBUG) -DHEAPLAB_INDEX=$(MEM_INDEX) \
		-DHOBJ_DEBUG=$(MEM_DEBUG) -DNOLOCK=$(NOLOCK) -DNEWLIB_MALLOC=$(NEWLIB_MALLOC) $(NEWLIB_CPPFLAGS) -Ikernel -Iarch -Iplatform \
		-Iplatform/$(PLATFORM) $(ARCH_CFLAGS)
# A lab's span.c: objects/fast.h (kernel/kobj.c's fast paths) calls it
# rather than its own inlined take and give (mk/objects.mk, the preload).
IMAGE_CFLAGS += $(if $(filter-out objects/span.c,$(OBJ_SPAN)),-DHOBJ_INLINE_SPAN=0)
IMAGE_LDFLAGS := $(ARCH_LDFLAGS) -nostdlib -static -T linker/$(ARCH).ld \
		 -Wl,--defsym=HEAP_SIZE=$(HEAP_SIZE)

image: $(BOOT_IMAGE) $(IMG)/kernel.asm

# build/$(ARCH)/config records the compiler and its flags, and changes (so
# everything is rebuilt) only when they do; kernel.elf.ldflags beside the
# ELF records the link flags and the heap size (make HEAP_SIZE=...
# KERNEL_ELF=/tmp/k.elf /tmp/k.elf links one there).
# KERNEL_PCP's file links in by its own object (named after its path), so
# another file relinks (the link flags' record names it) and recompiles
# nothing else.
IMAGE_CONFIG := $(CROSS_CC) $(IMAGE_CFLAGS) $(MEM_ALLOC) $(MEM_FREE) $(MEM_FIT) $(OBJ_SPAN)
LINK_CONFIG  := $(IMAGE_LDFLAGS) $(KERNEL_PCP)
$(IMG_OBJ)/config: heaplab-force
	@mkdir -p $(@D)
	$(call record,$(IMAGE_CONFIG))

$(KERNEL_ELF).ldflags: heaplab-force
	@mkdir -p $(@D)
	$(call record,$(LINK_CONFIG))

# newlib's headers come with its libc.a: build that before any object.
$(IMG_OBJ)/%.o: %.c $(IMG_OBJ)/config | $(NEWLIB_LIBC)
	@mkdir -p $(@D)
	$(CROSS_CC) $(IMAGE_CFLAGS) -MMD -MP -c -o $@ $<

$(IMG_OBJ)/%.o: %.S $(IMG_OBJ)/config | $(NEWLIB_LIBC)
	@mkdir -p $(@D)
	$(CROSS_CC) $(IMAGE_CFLAGS) -MMD -MP -c -o $@ $<

$(KERNEL_ELF): $(IMAGE_OBJS) linker/$(ARCH).ld $(NEWLIB_LIBC) $(IMG_OBJ)/config $(KERNEL_ELF).ldflags
	$(CROSS_CC) $(IMAGE_LDFLAGS) -o $@ $(IMAGE_OBJS) \
		-Wl,--start-group $(NEWLIB_LIBC) $(LIBGCC) -Wl,--end-group

$(IMG)/kernel.asm: $(KERNEL_ELF)
	$(OBJDUMP) -S $< > $@

-include $(IMAGE_OBJS:.o=.d)
endif

heaplab-force:

# ARCH reaches the script through the environment, never read by the shell.
qemu qemu-gdb: export HEAPLAB_ARCH = $(value ARCH)
qemu:
	./run-qemu.sh --arch "$$HEAPLAB_ARCH"

# The stub on a Unix socket only you can reach; run-qemu.sh writes the gdb
# script for the run and prints the command that attaches.
qemu-gdb:
	./run-qemu.sh --arch "$$HEAPLAB_ARCH" --gdb

boot-test: host
	/usr/bin/python3 -m pytest -q tests/test_boot.py
