#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Installs the Debian packages heaplab needs, when missing.
#   tools/deps.sh GROUP...   groups: host x86 arm arm64 riscv64 gdb bench plot browser all
# As root it runs apt-get; otherwise it prints the exact command and fails.
set -eu

pkgs=""
for g in "$@"; do
	case $g in
	host) pkgs="$pkgs make gcc clang libclang-rt-14-dev libcmocka-dev python3 python3-pytest python3-pytest-xdist bubblewrap sqlite3 git" ;; # bubblewrap: the graders' sandbox; sqlite3, git: programs run on the preload malloc
	# gcc-12-multilib, not the gcc-multilib metapackage: that one adds only
	# /usr/include/asm, which heaplab never includes, and conflicts with
	# every Debian cross gcc (installing arm64's would remove it, and back).
	x86) pkgs="$pkgs qemu-system-x86 newlib-source xz-utils gcc-12-multilib" ;;
	arm) pkgs="$pkgs qemu-system-arm gcc-arm-none-eabi libnewlib-arm-none-eabi" ;;
	arm64) pkgs="$pkgs qemu-system-arm gcc-aarch64-linux-gnu newlib-source xz-utils" ;; # qemu-system-aarch64
	riscv64) pkgs="$pkgs qemu-system-misc gcc-riscv64-unknown-elf newlib-source xz-utils" ;;
	gdb) pkgs="$pkgs gdb gdb-multiarch" ;;
	bench) pkgs="$pkgs valgrind libjemalloc-dev libmimalloc2.0 libtcmalloc-minimal4" ;; # the last two: preloaded peers of the objects layer
	plot) pkgs="$pkgs python3-matplotlib" ;;
	browser) pkgs="$pkgs chromium chromium-driver python3-selenium" ;; # tests/test_heapview.py
	all) exec "$0" host x86 arm arm64 riscv64 gdb plot browser ;;
	*) echo "deps.sh: unknown group '$g' (want host x86 arm arm64 riscv64 gdb bench plot browser all)" >&2; exit 2 ;;
	esac
done

missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "heaplab needs these Debian packages; run as root:" >&2
	echo "  apt-get update && apt-get install -y$missing" >&2
	exit 1
fi
echo "deps.sh: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing >/dev/null
