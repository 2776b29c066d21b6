# SPDX-License-Identifier: BSD-3-Clause
# heaplab as a component others take (docs/porting.md):
#   make dist                 the amalgamation: $(B)/dist/heaplab.c, heaplab.h, LICENSE
#   make lib [ARCH=...]       $(B)/lib/ARCH/libheaplab.a, built from the amalgamation,
#                             for host, i386, amd64, arm (Thumb-2), arm64 or riscv64
#   make install [ARCH=host] [PREFIX=/usr/local] [DESTDIR=]
#                             the header, the library, heaplab.pc and the licence
#   make uninstall            takes them away again
#   make size                 the allocator's .text per target (bench/size.py)
# GNU's directory variables (prefix, exec_prefix, includedir, libdir,
# datarootdir, docdir) may each be set; PREFIX sets prefix. A path with a
# space works: every recipe quotes them.

DIST_DIR   := $(B)/dist
DIST_PARTS := include/heaplab.h $(wildcard mem/*.c mem/*.h) LICENSE tools/amalgamate.py
HEAPLAB_VERSION := $(shell sed -n 's/^\#define HEAPLAB_VERSION_STRING "\(.*\)"/\1/p' include/heaplab.h)

.PHONY: dist lib install uninstall size
dist: $(DIST_DIR)/heaplab.c

$(DIST_DIR)/heaplab.c $(DIST_DIR)/heaplab.h $(DIST_DIR)/LICENSE &: $(DIST_PARTS)
	/usr/bin/python3 tools/amalgamate.py $(DIST_DIR)

# The library's compiler and flags per target. The ports' own target flags
# (mk/arch-*.mk), but Thumb-2 on arm, where the kernel is built in ARM
# state: a consumer's kernel links either. Freestanding everywhere but the
# host, where the library is position-independent (Debian links PIE).
LIB_DEPS_i386    := x86
LIB_DEPS_amd64   := x86
LIB_DEPS_arm     := arm
LIB_DEPS_arm64   := arm64
LIB_DEPS_riscv64 := riscv64
LIB_DEPS_host    := host
LIB_CC_host      := $(HOST_CC)
LIB_CC_i386      := gcc
LIB_CC_amd64     := gcc
LIB_CC_arm       := arm-none-eabi-gcc
LIB_CC_arm64     := aarch64-linux-gnu-gcc
LIB_CC_riscv64   := riscv64-unknown-elf-gcc
LIB_AR_host      := ar
LIB_AR_i386      := ar
LIB_AR_amd64     := ar
LIB_AR_arm       := arm-none-eabi-ar
LIB_AR_arm64     := aarch64-linux-gnu-ar
LIB_AR_riscv64   := riscv64-unknown-elf-ar
LIB_TFLAGS_host    := -O2 -fPIC
LIB_TFLAGS_i386    := -m32 -march=i686 -mgeneral-regs-only
LIB_TFLAGS_amd64   := -m64 -mno-red-zone -mcmodel=kernel -mgeneral-regs-only
LIB_TFLAGS_arm     := -march=armv7-a -mthumb -mfloat-abi=soft
LIB_TFLAGS_arm64   := -march=armv8-a -mgeneral-regs-only -mno-outline-atomics
LIB_TFLAGS_riscv64 := -march=rv64imac_zicsr_zifencei -mabi=lp64 -mcmodel=medany
LIB_FREESTANDING   := -Os -ffreestanding -fno-builtin -fno-stack-protector -fno-pic \
		      -ffunction-sections -fdata-sections
# make lib and make install build for the host unless ARCH is given.
LIB_ARCH   := $(if $(filter command line environment,$(origin ARCH)),$(ARCH),host)
LIB_CFLAGS  = -std=c99 -Wall -Wextra -Werror -pedantic -g -DHEAPLAB_DEBUG=$(MEM_DEBUG) \
	      $(if $(filter host,$(LIB_ARCH)),,$(LIB_FREESTANDING)) $(LIB_TFLAGS_$(LIB_ARCH))
LIB_DIR    := $(B)/lib/$(LIB_ARCH)
LIB        := $(LIB_DIR)/libheaplab.a

lib: $(LIB)

$(LIB): $(DIST_DIR)/heaplab.c $(DIST_DIR)/heaplab.h mk/dist.mk
	@if [ -z "$(LIB_CC_$(LIB_ARCH))" ]; then \
	  echo "make lib: no library for ARCH=$(LIB_ARCH) (want host i386 amd64 arm arm64 riscv64)" >&2; \
	  exit 2; fi
	@tools/deps.sh $(LIB_DEPS_$(LIB_ARCH))
	@mkdir -p "$(LIB_DIR)"
	$(LIB_CC_$(LIB_ARCH)) $(LIB_CFLAGS) -c -o "$(LIB_DIR)/heaplab.o" "$(DIST_DIR)/heaplab.c"
	rm -f "$@" && $(LIB_AR_$(LIB_ARCH)) rcs "$@" "$(LIB_DIR)/heaplab.o"

prefix      ?= $(or $(PREFIX),/usr/local)
exec_prefix ?= $(prefix)
includedir  ?= $(prefix)/include
libdir      ?= $(exec_prefix)/lib
datarootdir ?= $(prefix)/share
docdir      ?= $(datarootdir)/doc/heaplab

# heaplab.pc names the directories as installed, so pkg-config answers
# -I and -L for them whatever DESTDIR staged them under.
install: $(LIB) $(DIST_DIR)/heaplab.h
	install -d "$(DESTDIR)$(includedir)" "$(DESTDIR)$(libdir)/pkgconfig" "$(DESTDIR)$(docdir)"
	install -m 644 include/heaplab.h "$(DESTDIR)$(includedir)/heaplab.h"
	install -m 644 "$(LIB)" "$(DESTDIR)$(libdir)/libheaplab.a"
	install -m 644 LICENSE "$(DESTDIR)$(docdir)/LICENSE"
	printf '%s\n' 'prefix=$(prefix)' 'exec_prefix=$(exec_prefix)' 'includedir=$(includedir)' \
	  'libdir=$(libdir)' '' 'Name: heaplab' \
	  'Description: the free-list allocator of Go'"'"'s Plan 9 port, freestanding' \
	  'Version: $(HEAPLAB_VERSION)' 'Cflags: -I$${includedir}' 'Libs: -L$${libdir} -lheaplab' \
	  > "$(DESTDIR)$(libdir)/pkgconfig/heaplab.pc"

uninstall:
	rm -f "$(DESTDIR)$(includedir)/heaplab.h" "$(DESTDIR)$(libdir)/libheaplab.a" \
	  "$(DESTDIR)$(libdir)/pkgconfig/heaplab.pc" "$(DESTDIR)$(docdir)/LICENSE"
	-rmdir "$(DESTDIR)$(docdir)" 2>/dev/null

# The size table: each target's compiler and flags, as make lib has them.
SIZE_ARCHES := i386 amd64 arm arm64 riscv64
size: $(DIST_DIR)/heaplab.c
	@tools/deps.sh $(sort $(foreach a,$(SIZE_ARCHES),$(LIB_DEPS_$(a))))
	@/usr/bin/python3 bench/size.py $(DIST_DIR) \
	  $(foreach a,$(SIZE_ARCHES),'$(a)|$(LIB_CC_$(a))|$(LIB_TFLAGS_$(a)) $(LIB_FREESTANDING)')
