# heaplab: a teaching-grade bare-metal memory allocator.
#   make host        host programs (build/host/replay, tests)
#   make test        everything CI runs
#   make ARCH=...    the image for i386, amd64 (default) or arm

ARCH      ?= amd64
B         := build
MEM_DEBUG ?= 1

.PHONY: all host test host-test deps clean
all: host image

include mk/host.mk
-include mk/image.mk

host: $(B)/host/replay

deps:
	@tools/deps.sh host

test: deps host
	@tools/trace-test.sh

clean:
	rm -rf $(B) .gdbinit
