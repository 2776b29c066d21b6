#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Builds newlib's libc for one target from Debian's newlib-source: x86 with the host gcc
# (Debian has no *-elf cross compiler for it), arm64 with Debian's aarch64-linux-gnu-gcc
# used freestanding (nor one for it), riscv64 with Debian's riscv64-unknown-elf-gcc
# (which comes without a libc).
#   tools/build-newlib.sh ARCH OUTDIR CFLAGS...     ARCH: i386, amd64, arm64 or riscv64
# Makes OUTDIR/include, OUTDIR/lib/libc.a (no libm.a), then OUTDIR/stamp; the noise goes to OUTDIR/build.log.
set -eu

tarball=${NEWLIB_TARBALL:-/usr/src/newlib/newlib-3.3.0.tar.xz}

newlib_die() {
	echo "newlib: $*" >&2
	exit 1
}

[ $# -ge 2 ] || newlib_die "usage: $0 ARCH OUTDIR CFLAGS..."
arch=$1
cross= # the tools' prefix: none for the host's
case $arch in
i386) triplet=i686-elf as="as --32" ld="ld -m elf_i386" ;;
amd64) triplet=x86_64-elf as="as --64" ld="ld -m elf_x86_64" ;;
arm64) triplet=aarch64-elf cross=aarch64-linux-gnu- as=aarch64-linux-gnu-as ld=aarch64-linux-gnu-ld ;;
riscv64) triplet=riscv64-unknown-elf cross=riscv64-unknown-elf- as=riscv64-unknown-elf-as ld=riscv64-unknown-elf-ld ;;
*) newlib_die "no newlib build for ARCH=$arch (want i386, amd64, arm64 or riscv64)" ;;
esac
mkdir -p "$2"
out=$(cd "$2" && pwd)
shift 2
# newlib's configure refuses a source or build path with a space in it
# (autoconf): a checkout under such a path builds through a link without
# one, which goes when the script ends. $out stays the real folder.
work=$out
case $out in
*[[:space:]]*)
	alias_dir=$(mktemp -d /tmp/heaplab-newlib.XXXXXX) || newlib_die "cannot make a folder in /tmp"
	trap 'rm -rf "$alias_dir"' EXIT
	ln -s "$(dirname "$out")" "$alias_dir/newlib"
	work=$alias_dir/newlib/$(basename "$out")
	;;
esac
cflags="$*"
log=$out/build.log
[ -f "$tarball" ] || newlib_die "$tarball missing: run tools/deps.sh x86, arm64 or riscv64 (Debian package newlib-source)"

# Unpacks the tarball once into build/newlib/src, shared by both targets;
# a temporary name and a rename keep a half-unpacked tree from being used.
newlib_unpack() {
	src=$(dirname "$work")/src
	[ -f "$src/newlib/libc/include/stdio.h" ] && return 0
	tmp=$src.tmp.$$
	rm -rf "$tmp"
	mkdir -p "$tmp"
	tar -xJf "$tarball" -C "$tmp" --strip-components=1
	mv -T "$tmp" "$src" 2>/dev/null || rm -rf "$tmp"
}

# Configures newlib for $triplet with the host's or the cross tools and installs its libc into $out/install.
# *-elf targets default to MISSING_SYSCALL_NAMES (libc would call write, sbrk...);
# CFLAGS_FOR_TARGET comes last on every compile line, so -U there gives the
# underscored names (_write, _sbrk...) that arm's libc and kernel/newlib.c use.
# Nothing links libm, so of libm only the objects that libc.a takes from it are
# built (newlib_mathobjs): libc alone is about 60% of newlib's whole build.
# Configure, its nine sub-configures and the recipes of the Makefiles they
# write run under dash, which starts its subshells faster than bash: the
# build spends most of its time starting processes, and takes a fifth less
# (the same libc.a, instruction for instruction). A one-shot build keeps no
# dependency files.
newlib_build() {
	unset MAKEFLAGS MFLAGS MAKEOVERRIDES MAKELEVEL
	nl=$work/obj/$triplet/newlib
	CONFIG_SHELL=/bin/dash
	[ -x "$CONFIG_SHELL" ] || CONFIG_SHELL=/bin/sh
	export CONFIG_SHELL
	cd "$work/obj" &&
		"$CONFIG_SHELL" "$src/configure" --target="$triplet" --prefix="$work/install" \
			--disable-multilib --disable-nls \
			--disable-newlib-supplied-syscalls \
			--enable-newlib-io-long-long --disable-dependency-tracking \
			CC_FOR_TARGET="${cross}gcc $cflags" CFLAGS_FOR_TARGET="-UMISSING_SYSCALL_NAMES" \
			AR_FOR_TARGET=${cross}ar RANLIB_FOR_TARGET=${cross}ranlib NM_FOR_TARGET=${cross}nm \
			AS_FOR_TARGET="$as" LD_FOR_TARGET="$ld" MAKEINFO=true &&
		make MAKEINFO=true configure-target-newlib &&
		make -C "$nl" MAKEINFO=true stmp-targ-include &&
		make -C "$nl/libc" -j2 MAKEINFO=true AR_FLAGS=rc all &&
		newlib_mathobjs &&
		make -C "$nl" MAKEINFO=true AR_FLAGS=rc libc.a &&
		make -C "$nl" MAKEINFO=true install-data-local &&
		rm -f "$work/install/$triplet/lib/libm.a"
}

# newlib's libc.a rule copies a few objects out of libm.a (MATHOBJS_IN_LIBC in
# newlib/Makefile.am: frexp, ldexp, isnan... which printf needs).  Each is
# built in the libm directory whose Makefile has a rule for it (the machine's
# own, when it has one, as libm.a's build would prefer it), and a libm/libm.a
# of just those objects stands in for the whole, for that rule alone.
newlib_mathobjs() {
	objs=$(printf 'heaplab-mathobjs:\n\t@echo $(MATHOBJS_IN_LIBC)\n' |
		make -s -C "$nl" -f Makefile -f - heaplab-mathobjs) || return 1
	[ -n "$objs" ] || {
		echo "newlib: no MATHOBJS_IN_LIBC in $nl/Makefile"
		return 1
	}
	rm -f "$nl/libm/libm.a"
	for o in $objs; do
		dir=
		for d in "$nl"/libm/math* "$nl"/libm/common "$nl"/libm/machine/*; do
			[ -f "$d/Makefile" ] && grep -q "^$o:" "$d/Makefile" && dir=$d
		done
		[ -n "$dir" ] || {
			echo "newlib: no libm directory builds $o"
			return 1
		}
		make -C "$dir" MAKEINFO=true "$o" && ${cross}ar rc "$nl/libm/libm.a" "$dir/$o" || return 1
	done
	${cross}ranlib "$nl/libm/libm.a"
}

# Two makes may ask for the same target at once: the second waits, and
# stops there if the first built it meanwhile.
newlib_lock() {
	mark=$out.wait.$$
	: >"$mark"
	exec 9>"$out.lock"
	flock 9
	if [ -n "$(find "$out/stamp" -newer "$mark" 2>/dev/null)" ] && [ -f "$out/lib/libc.a" ]; then
		rm -f "$mark"
		echo "newlib: libc for $arch was built by another make meanwhile"
		exit 0
	fi
	rm -f "$mark"
}

newlib_lock
echo "newlib: building libc for $arch (once, a few minutes)"
start=$(date +%s)
rm -rf "${out:?}/obj" "${out:?}/install" "${out:?}/include" "${out:?}/lib" "${out:?}/stamp"
mkdir -p "$out/obj"
newlib_unpack
echo "CC_FOR_TARGET=${cross}gcc $cflags" >"$log"
if ! (newlib_build) >>"$log" 2>&1; then
	tail -n 30 "$log" >&2
	echo "newlib: first errors:" >&2
	grep -m 5 'error:' "$log" >&2 || true
	newlib_die "building libc for $arch failed; full log: $log"
fi
mv "$out/install/$triplet/include" "$out/include"
mv "$out/install/$triplet/lib" "$out/lib"
rm -rf "$out/obj" "$out/install"
if [ ! -f "$out/lib/libc.a" ] || [ ! -f "$out/include/stdio.h" ]; then
	newlib_die "no libc.a or stdio.h installed; see $log"
fi
echo "newlib 3.3.0 $triplet: ${cross}gcc $cflags -UMISSING_SYSCALL_NAMES" >"$out/stamp"
echo "newlib: libc for $arch done in $(($(date +%s) - start)) s"
