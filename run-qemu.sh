#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# run-qemu.sh: boots a heaplab image in QEMU (TCG, no KVM) with the console
# on stdout, and exits with the status the image reported. Run --help.
set -u

usage() {
	cat <<'EOF'
usage: ./run-qemu.sh [--arch i386|amd64|arm|arm64|riscv64] [--smp N] [--trace FILE] [--test NAME]
                     [--heap BYTES] [--page BYTES] [--check] [--exact-free] [--list] [--bench]
                     [--irq-unsafe] [--lockstat] [--irqbench] [--pcp] [--page-stress] [--gdb] [--gdb-tcp PORT]
                     [--timeout S] [--dry-run] [-- QEMU-ARGS...]

Boots heaplab's image for one architecture in QEMU (TCG only) with the
console on stdout. Missing Debian packages are installed (tools/deps.sh, as
root) and the image is built or brought up to date (make ARCH=...) first.

  --arch A       i386, amd64 (default; qemu-system-x86_64), arm, arm64
                 (qemu-system-aarch64) or riscv64 (qemu-system-riscv64 -M
                 virt -bios none: heaplab runs in M-mode and takes its own
                 traps)
  --smp N        give QEMU N CPUs (and the kernel smp=N), 1 to 8 (NCPU)
  --trace FILE   replay FILE in the image instead of the self-test, printing
                 what build/host/replay prints for it; at most 67108864
                 bytes (64 MiB), 131072 alloc lines, 128 bytes an ID
  --test NAME    run only the self-test case NAME (kernel test=NAME; a
                 wrong name lists them), without the SMP stress and the
                 demo; null_write, stack_overflow and stack_overflow_cpu1
                 (with --smp 2) run only this way and end in a panic that
                 names the fault
  --heap BYTES   trace mode: the replay's heap size (kernel heap=BYTES), a
                 whole number of pages; at most the heap linked in
                 (HEAP_SIZE=BYTES ./run-qemu.sh ... links a bigger one;
                 default 64 MiB)
  --page BYTES   trace mode: the granule (kernel page=BYTES), a power of
                 two from 16 to 1048576; BYTES is decimal or 0x-hex
  --check        trace mode: run the allocator's full check after every
                 operation (kernel check)
  --exact-free   trace mode: refuse a free or freeat that is not exactly one
                 live allocation, as build/host/replay --exact-free does
                 (kernel exactfree: the pool keeps heaplab_track's record,
                 taken from the break below the replay's heap)
  --list         find every first fit by the seed's list walk instead of the
                 placement index, in every pool of the image (kernel list);
                 the placement is the same
  --bench        trace mode: instead of replaying, run the trace through
                 heaplab and then newlib's malloc, silently, between calls of
                 bench_mark() (kernel bench; make bench counts instructions),
                 with the timer off: no interrupt adds to the count
  --lockstat     print every lock's statistics at the end of the run (kernel
                 lockstat): times taken (#acquire()), failed test-and-sets
                 (#test-and-set), the longest hold and the longest stretch
                 with interrupts off that taking it opened, in microseconds
  --irqbench     instead of the self-test: the longest stretch with interrupts
                 off of each allocator operation on runs of 4 KiB up to what
                 the heap holds, with the check on and off (kernel irqbench;
                 make bench-irqoff runs it under -icount, in instructions)
  --pcp          the SMP stress through a per-CPU page cache in front of the
                 pool, with stealing from another CPU's cache (kernel pcp;
                 off by default: it changes the placement)
  --page-stress  instead of the self-test: lab 9's page stress on every CPU
                 (kernel pagestress), pages alone, as 6.1810's kalloctest;
                 with --pcp it first checks the cache's stealing, its cap and
                 its drain; it prints the failed test-and-sets of the locks
                 the CPUs took (docs/lab/9-pcp.md)
  --irq-unsafe   a demonstration, never the default (kernel irqunsafe): the
                 allocator holds its lock with interrupts on, while the timer's
                 handler (every CPU, TICK_HZ 100 times a second) takes the
                 same lock; the first tick that comes inside the allocator
                 deadlocks its CPU against itself, and spin_lock's check
                 names the lock, the CPU and where it took it: the run
                 panics (status 120). If no tick ever came inside, the run
                 fails (status 1)
  --gdb          start QEMU halted with its gdb stub on a Unix socket in a
                 directory made for this run that only you can enter
                 (mktemp -d, mode 0700), write the gdb script for this run
                 beside it and print the gdb command that attaches; no
                 time limit unless --timeout is given
  --gdb-tcp PORT --gdb, but the stub listens on TCP 127.0.0.1:PORT instead:
                 ANYONE on this machine, any user, can connect to it, and
                 through gdb's `monitor` command reach QEMU's monitor, which
                 runs commands as you; for a machine that is yours alone
  --timeout S    stop QEMU after S seconds (default 120); a timeout fails
  --dry-run      print the QEMU command and exit 0 (builds nothing)
  -- ARGS        pass ARGS on to QEMU
  -h, --help     this text

Temporary files: each run makes its own directory under $TMPDIR (or /tmp)
with mktemp -d, mode 0700, and removes it on exit: the console log, the
copy of the trace QEMU reads (any trace path works: QEMU gets the copy's
name, which has no space or comma), arm's blob, and with --gdb the stub's
socket and the gdb script. TMPDIR must be a directory you can write whose
path has no space, comma, colon or control character (QEMU splits its
options' values there, and gdb reads HOST:PORT), else status 2.

RAM: -m 256M, or on x86 as much more as the heap linked in (its _heap_end)
and the trace need; more than 3584M is refused (status 2).

How the image gets its input: on x86 (multiboot) the options are the
kernel command line (-append "heap=N page=N check exactfree list irqunsafe irqbench pcp pagestress lockstat smp=N") and the trace is
the first module (-initrd FILE); riscv64 takes the same two flags, which
QEMU passes in the device tree (/chosen); on arm and arm64, one blob loaded
at 0x48000000 holds the line "heaplab: OPTIONS" (with the token trace=LEN,
the trace's length in bytes, when one follows), then the trace.

Every run's last console line is "# heaplab: exit N". The exit status is
N when QEMU's status agrees with that line (x86: isa-debug-exit makes QEMU
exit with 2N+1; arm, arm64: semihosting exit N; riscv64: the virt board's
test device, QEMU exits N), so 0 only when the image
reported success. Every status, with a one-line reason on stderr when it
is not 0:
  0    the self-test passed / the trace replayed, nothing refused
  1    a self-test case failed / the replay refused an operation
  2    usage error, found here before QEMU starts (unknown flag or arch,
       bad number, --smp or --heap beyond the image, unreadable or too
       large trace, a TMPDIR that is not a writable directory with a plain
       path) or by the image (a malformed trace: its "# " line says)
  120  the image panicked: a failed check, a fault, a refused sys_free
  123  QEMU refused to start (its own message is above): nothing ran
  124  timed out
  125  no exit line: a triple fault or reset (QEMU exits 0 on x86), or
       the image stopped without finishing
  126  missing packages or the build failed
  129, 130, 143  stopped by SIGHUP, SIGINT, SIGTERM
EOF
}

die() { # die STATUS MESSAGE: a one-line reason on stderr
	echo "run-qemu.sh: $2" >&2
	exit "$1"
}

usage_error() {
	echo "run-qemu.sh: $1 (see ./run-qemu.sh --help)" >&2
	exit 2
}

is_count() { [[ $1 =~ ^[1-9][0-9]*$ ]]; }
is_seconds() { [[ $1 =~ ^([0-9]+\.?[0-9]*|\.[0-9]+)$ && ! $1 =~ ^0*\.?0*$ ]]; }
# is_virt: the target boots on QEMU's virt board (arm, arm64), not the PC.
is_virt() { [ "$arch" = arm ] || [ "$arch" = arm64 ]; }

arch=amd64 smp='' trace='' test='' heap='' page='' check=0 exact=0 list=0 bench=0 irqunsafe=0 irqbench=0 pcp=0 pagestress=0 lockstat=0 gdb=0
timeout_s='' dry=0 gdbtcp=''
qemu_extra=()
trace_arg='' trace_size=0 # --trace as given, and its size in bytes
tmp=''                    # $TMPDIR, or /tmp, as a full path
rundir=''                 # this run's directory (make_rundir), removed on exit

# need_value FLAG COUNT: a flag's value must follow it.
need_value() { [ "$2" -ge 2 ] || usage_error "$1 needs a value"; }

parse_args() {
	while [ $# -gt 0 ]; do
		case $1 in
		--arch | --smp | --trace | --test | --heap | --page | --timeout | --gdb-tcp)
			need_value "$1" $#
			set_opt "$1" "$2"
			shift 2
			;;
		--arch=* | --smp=* | --trace=* | --test=* | --heap=* | --page=* | --timeout=* | --gdb-tcp=*)
			set_opt "${1%%=*}" "${1#*=}"
			shift
			;;
		--check) check=1; shift ;;
		--exact-free) exact=1; shift ;;
		--list) list=1; shift ;;
		--bench) bench=1; shift ;;
		--irq-unsafe) irqunsafe=1; shift ;;
		--lockstat) lockstat=1; shift ;;
		--irqbench) irqbench=1; shift ;;
		--pcp) pcp=1; shift ;;
		--page-stress) pagestress=1; shift ;;
		--gdb) gdb=1; shift ;;
		--dry-run) dry=1; shift ;;
		-h | --help) usage; exit 0 ;;
		--) shift; qemu_extra=("$@"); break ;;
		*) usage_error "unknown flag '$1'" ;;
		esac
	done
}

set_opt() {
	case $1 in
	--arch)
		case $2 in
		i386 | amd64 | arm | arm64 | riscv64) arch=$2 ;;
		*) usage_error "unknown arch '$2' (want i386, amd64, arm, arm64 or riscv64)" ;;
		esac
		;;
	--test)
		[[ $2 =~ ^[a-z0-9_]{1,31}$ ]] || usage_error "--test wants a case name ([a-z0-9_]), not '$2'"
		test=$2
		;;
	--smp) is_count "$2" || usage_error "--smp wants a positive count, not '$2'"; smp=$2 ;;
	--heap) heap=$(bytes_value "$1" "$2") || exit 2 ;;
	--page) page=$(bytes_value "$1" "$2") || exit 2 ;;
	--timeout) is_seconds "$2" || usage_error "--timeout wants a positive number of seconds, not '$2'"; timeout_s=$2 ;;
	--trace) trace=$(trace_path "$2") || exit 2; trace_arg=$2 ;;
	--gdb-tcp)
		[[ $2 =~ ^[1-9][0-9]{0,4}$ ]] && [ "$2" -le 65535 ] ||
			usage_error "--gdb-tcp wants a TCP port 1..65535, not '$2'"
		gdb=1 gdbtcp=$2
		;;
	esac
}

# The limits the host tool and the image enforce (replay/replay.h), checked
# here before QEMU starts, with the tool's words.
TRACE_MAX=67108864 PAGE_MIN=16 PAGE_MAX=1048576

# bytes_value FLAG VALUE prints VALUE (decimal or 0x-hex, as the trace
# grammar writes numbers) in decimal, or fails with a usage error in the
# host tool's words (replay_number). Any number up to 2^64-1 is one, as
# there: bash's arithmetic stops at 2^63-1, so the value stays a string
# (printf %u reads it unsigned) and is compared as one (num_gt).
bytes_value() {
	local digits
	[[ $2 =~ ^([0-9]+|0[xX][0-9a-fA-F]+)$ ]] ||
		usage_error "$1 '$2': not a number (want decimal or 0x-hex)"
	if [[ $2 =~ ^0[xX]0*([0-9a-fA-F]*)$ ]]; then
		digits=${BASH_REMATCH[1]}
		[ ${#digits} -le 16 ] || usage_error "$1 '$2': number too large (the most is 2^64-1)"
		printf '%u\n' "0x${digits:-0}"
	else
		[[ $2 =~ ^0*([0-9]*)$ ]] && digits=${BASH_REMATCH[1]}
		num_gt "${digits:-0}" 18446744073709551615 &&
			usage_error "$1 '$2': number too large (the most is 2^64-1)"
		echo "${digits:-0}"
	fi
}

# num_gt A B: is the decimal A (no leading zeros) more than the decimal B?
num_gt() {
	[ ${#1} != ${#2} ] && { [ ${#1} -gt ${#2} ]; return; }
	[[ $1 > $2 ]]
}

# num_mod A P prints the decimal A (up to 2^64-1) modulo P (below 2^32).
num_mod() {
	local r=0 i
	for ((i = 0; i < ${#1}; i++)); do
		r=$(((r * 10 + ${1:i:1}) % $2))
	done
	echo "$r"
}

# trace_path FILE prints FILE's full path, or fails with why it will not do.
# The path is made full, not resolved: /proc/self/... names the process that
# reads it, and copy_trace reads it from this shell. A file whose size stat
# gives is refused here when too large; one stat says nothing of (/proc,
# a pipe) when copy_trace has read it.
trace_path() {
	local size
	[ -e "$1" ] || usage_error "trace '$1': no such file"
	[ -d "$1" ] && usage_error "trace '$1': is a directory"
	[ -r "$1" ] || usage_error "trace '$1': cannot read it"
	size=$(stat -L -c %s -- "$1") || usage_error "trace '$1': cannot read it"
	[ "$size" -le "$TRACE_MAX" ] ||
		usage_error "trace '$1': $size bytes, more than the limit of $TRACE_MAX (64 MiB) a trace may have"
	if [[ $1 == /* ]]; then echo "$1"; else echo "$PWD/$1"; fi
}

# copy_trace copies the trace into the run's directory, reading at most one
# byte past the limit, and points trace at the copy: QEMU reads a file
# whose name heaplab chose (x86's multiboot -initrd splits a name at commas
# and cuts it at a space), and the size checked is the size loaded.
copy_trace() {
	local copy=$rundir/trace
	head -c $((TRACE_MAX + 1)) -- "$trace" >"$copy" 2>/dev/null ||
		usage_error "trace '$trace_arg': cannot read it"
	trace_size=$(stat -c %s -- "$copy") || die 126 "cannot stat $copy"
	[ "$trace_size" -le "$TRACE_MAX" ] ||
		usage_error "trace '$trace_arg': more than $TRACE_MAX bytes, the limit (64 MiB) a trace may have"
	trace=$copy
}

# max_cpus prints the most CPUs the image runs (arch/arch.h's NCPU).
max_cpus() {
	local n
	n=$(sed -n 's/^#define NCPU \([0-9]*\).*/\1/p' arch/arch.h 2>/dev/null)
	echo "${n:-8}"
}

# check_opts applies the rules the image applies (replay/replay.c's
# replay_opts, kernel/main.c) so that QEMU starts only when they hold.
check_opts() {
	local p=${page:-4096} h=${heap:-67108864} linked=${HEAP_SIZE:-0x4000000} ncpu
	ncpu=$(max_cpus)
	if [ -n "$smp" ] && { [ ${#smp} -gt 4 ] || [ "$smp" -gt "$ncpu" ]; }; then
		usage_error "--smp $smp is more than the $ncpu CPUs the $arch image runs (NCPU)"
	fi
	if num_gt "$p" "$PAGE_MAX" || [ "$p" -lt "$PAGE_MIN" ] || [ $((p & (p - 1))) != 0 ]; then
		usage_error "page $p is not a power of two from $PAGE_MIN to $PAGE_MAX"
	fi
	if [ "$h" = 0 ] || [ "$(num_mod "$h" "$p")" != 0 ]; then
		usage_error "heap $h is not a whole number of pages (of $p bytes)"
	fi
	linked=$(bytes_value HEAP_SIZE "$linked") || exit 2
	if num_gt "$h" "$linked"; then
		usage_error "heap $h is more than the $linked bytes the image's heap has (HEAP_SIZE=BYTES ./run-qemu.sh ... links a bigger one)"
	fi
}

# shell_words prints its arguments as a shell would read them back
# (bash's $'...' for control characters, so that none reaches the terminal).
shell_words() {
	local a out=()
	for a in "$@"; do
		if [[ $a =~ ^[][A-Za-z0-9_./:=,+@%-]+$ ]]; then
			out+=("$a")
		elif [[ $a =~ [[:cntrl:]] ]]; then
			out+=("${a@Q}")
		else
			out+=("'${a//\'/\'\\\'\'}'")
		fi
	done
	echo "${out[*]}"
}

# kernel_cmdline prints the options as kernel command-line tokens.
kernel_cmdline() {
	local t=()
	[ -n "$heap" ] && t+=("heap=$heap")
	[ -n "$page" ] && t+=("page=$page")
	[ "$check" = 1 ] && t+=(check)
	[ "$exact" = 1 ] && t+=(exactfree)
	[ "$list" = 1 ] && t+=(list)
	[ "$bench" = 1 ] && t+=(bench)
	[ "$irqunsafe" = 1 ] && t+=(irqunsafe)
	[ "$lockstat" = 1 ] && t+=(lockstat)
	[ "$irqbench" = 1 ] && t+=(irqbench)
	[ "$pcp" = 1 ] && t+=(pcp)
	[ "$pagestress" = 1 ] && t+=(pagestress)
	[ -n "$smp" ] && t+=("smp=$smp")
	[ -n "$test" ] && t+=("test=$test")
	is_virt && [ -n "$trace" ] && t+=("trace=$trace_size")
	echo "${t[*]}"
}

# make_blob FILE CMDLINE: arm's and arm64's input, "heaplab: CMDLINE\n" + the trace.
make_blob() {
	{
		printf 'heaplab: %s\n' "$2"
		[ -n "$trace" ] && cat -- "$trace"
	} >"$1"
}

# qemu_mem sets mem, QEMU's -m: 256M, or on x86 enough for the heap linked
# into the image (its _heap_end) and the trace that start.c moves past it,
# with a MiB to spare; a machine that would need more than the 3.5 GiB
# QEMU's pc keeps below 4 GiB is refused. arm's, arm64's and riscv64's heaps
# are bounded by their linker scripts well inside 256M.
qemu_mem() {
	local elf=$img/kernel.elf end need mib
	mem=256M
	if is_virt || [ "$arch" = riscv64 ] || [ ! -f "$elf" ]; then
		return 0
	fi
	end=$(nm "$elf" 2>/dev/null | awk '$3 == "_heap_end" { print $1 }')
	[ -n "$end" ] || die 126 "cannot read _heap_end from $elf (nm)"
	need=$((16#$end + (1 << 20)))
	need=$((need + trace_size))
	mib=$(((need + (1 << 20) - 1) >> 20))
	[ "$mib" -le 3584 ] || die 2 "the heap linked in ends at 0x$end and, with the trace, QEMU would need $mib MiB of RAM, more than the 3584 MiB below 4 GiB: link a smaller HEAP_SIZE or use a shorter trace"
	[ "$mib" -gt 256 ] && mem=${mib}M
	return 0
}

# qemu_command fills cmd with the QEMU command line.
qemu_command() {
	local cmdline
	cmdline=$(kernel_cmdline)
	cmd=()
	case $arch in
	i386 | amd64)
		if [ "$arch" = i386 ]; then
			cmd=(qemu-system-i386 -kernel "$img/kernel.elf")
		else
			cmd=(qemu-system-x86_64 -kernel "$img/kernel32.elf")
		fi
		cmd+=(-device 'isa-debug-exit,iobase=0xf4,iosize=0x04')
		[ -n "$trace" ] && cmd+=(-initrd "$rundir/trace")
		[ -n "$cmdline" ] && cmd+=(-append "$cmdline")
		;;
	riscv64) # no firmware: heaplab owns M-mode; the device tree carries both
		cmd=(qemu-system-riscv64 -M virt -bios none -kernel "$img/kernel.elf")
		[ -n "$trace" ] && cmd+=(-initrd "$rundir/trace")
		[ -n "$cmdline" ] && cmd+=(-append "$cmdline")
		;;
	arm | arm64)
		if [ "$arch" = arm ]; then
			cmd=(qemu-system-arm -M virt -cpu cortex-a15)
		else
			cmd=(qemu-system-aarch64 -M virt -cpu cortex-a57)
		fi
		cmd+=(-semihosting-config 'enable=on,target=native' -kernel "$img/kernel.elf")
		if [ -n "$cmdline" ] || [ -n "$trace" ]; then
			if [ "$dry" = 1 ]; then
				printf '# RUNDIR/blob holds "heaplab: %s\\n"%s\n' \
					"$cmdline" "${trace:+, then the trace}"
			else
				make_blob "$rundir/blob" "$cmdline"
			fi
			cmd+=(-device "loader,file=$rundir/blob,addr=0x48000000,force-raw=on")
		fi
		;;
	esac
	qemu_mem
	cmd+=(-accel tcg -m "$mem" -smp "${smp:-1}" -display none -serial stdio -net none -no-reboot)
	if [ -n "$gdbtcp" ]; then
		cmd+=(-S -gdb "tcp:127.0.0.1:$gdbtcp")
	elif [ "$gdb" = 1 ]; then
		cmd+=(-S -gdb "unix:$rundir/gdb.sock,server=on,wait=off")
	fi
	cmd+=("${qemu_extra[@]}")
}

# image_dir sets img, the image's directory: build/ARCH, or the one make
# names for NOLOCK=1, MEM_DEBUG=0 or another HEAP_SIZE (mk/image.mk).
# Before anything is installed (--dry-run on a bare machine) it is build/ARCH.
image_dir() {
	img=build/$arch
	if command -v make >/dev/null; then
		img=$(make -s --no-print-directory ARCH="$arch" image-dir) ||
			die 126 "make ARCH=$arch image-dir failed"
	fi
}

# prepare installs what is missing and builds the image.
prepare() {
	local groups=(x86)
	is_virt && groups=("$arch")
	[ "$arch" = riscv64 ] && groups=(riscv64)
	[ "$gdb" = 1 ] && groups+=(gdb)
	tools/deps.sh "${groups[@]}" >&2 || die 126 "missing packages (tools/deps.sh ${groups[*]})"
	make -s --no-print-directory ARCH="$arch" image >&2 ||
		die 126 "build failed (make ARCH=$arch image)"
}

# gdb_word prints its argument escaped for a gdb command that splits its
# arguments as a shell does (`file`: libiberty's buildargv).
gdb_word() {
	printf '%s\n' "$1" | sed 's/[^A-Za-z0-9_.\/+-]/\\&/g'
}

# write_gdb_script FILE writes this run's gdb script, from
# tools/gdb/gdbinit.tmpl: the ELF's symbols, the `heap` commands, and the
# stub's address. Full paths, so that gdb may run from any directory.
write_gdb_script() {
	local t target=$rundir/gdb.sock
	[ -n "$gdbtcp" ] && target=127.0.0.1:$gdbtcp
	t=$(<tools/gdb/gdbinit.tmpl) || die 126 "cannot read tools/gdb/gdbinit.tmpl"
	t=${t//@ELF@/"$(gdb_word "$PWD/$img/kernel.elf")"}
	t=${t//@HEAPLAB_PY@/"$PWD/tools/gdb/heaplab.py"}
	t=${t//@TARGET@/"$target"}
	t=${t//@ARCH@/"$arch"}
	printf '%s\n' "$t" >"$1" || die 126 "cannot write $1"
}

# attach_hint says where the stub listens, who can reach it, and the gdb
# command that attaches.
attach_hint() {
	local gdb_cmd=gdb
	{ is_virt || [ "$arch" = riscv64 ]; } && gdb_cmd="gdb-multiarch"
	if [ -n "$gdbtcp" ]; then
		echo "run-qemu.sh: gdb stub on TCP 127.0.0.1:$gdbtcp: anyone on this machine can connect to it, and through gdb's monitor command run commands as you" >&2
	else
		echo "run-qemu.sh: gdb stub on the Unix socket $rundir/gdb.sock, in a directory only you can enter" >&2
	fi
	echo "run-qemu.sh: QEMU waits for gdb; attach with: $gdb_cmd -x $rundir/gdbinit" >&2
}

# image_said N prints what the image's exit status N means.
image_said() {
	case $1 in
	1) echo "the image reported failure (exit 1: a self-test case failed or an operation was refused)" ;;
	2) echo "the image refused its input (exit 2: usage error or malformed trace, see its '# ' line)" ;;
	120) echo "the image panicked (exit 120: a failed check, a fault or a refused sys_free)" ;;
	*) echo "the image reported failure (exit $1)" ;;
	esac
}

# verdict reads QEMU's status and the console log and exits accordingly.
verdict() {
	local st=$1 log=$2 n last gdb_note=
	[ "$gdb" = 1 ] && gdb_note=", or gdb killed it"
	[ "$st" = 124 ] && die 124 "timed out after $timeout_s s"
	# QEMU exits 1 when it refuses its arguments, before the image prints.
	if [ "$st" = 1 ] && ! grep -q '^# heaplab: ' "$log"; then
		die 123 "QEMU refused to start (status $st; its message is above)"
	fi
	if is_virt || [ "$arch" = riscv64 ]; then
		n=$st
	elif [ "$st" = 0 ]; then
		die 125 "crashed: QEMU exited 0 (triple fault or reset${gdb_note})"
	elif [ $((st % 2)) = 1 ]; then
		n=$(((st - 1) / 2))
	else
		die 125 "QEMU failed (status $st)"
	fi
	last=$(tr -d '\r' <"$log" | grep -v '^$' | tail -n 1)
	[ "$last" = "# heaplab: exit $n" ] ||
		die 125 "no exit line: the image did not finish (QEMU status $st)"
	[ "$n" = 0 ] || echo "run-qemu.sh: $(image_said "$n")" >&2
	exit "$n"
}

# SOCK_MAX: the longest path a Unix socket may have (sun_path, less its NUL).
SOCK_MAX=107

# check_tmpdir sets tmp, the directory the run's own goes in: $TMPDIR, or
# /tmp; it must be a directory we can write, with a path QEMU's and gdb's
# options can carry.
check_tmpdir() {
	local q
	tmp=${TMPDIR:-/tmp}
	[[ $tmp == /* ]] || tmp=$PWD/$tmp
	q="'$tmp'"
	[[ $tmp =~ [[:cntrl:]] ]] && q=${tmp@Q}
	[ -e "$tmp" ] || usage_error "TMPDIR $q: no such directory (it holds the run's temporary files; unset TMPDIR or make it)"
	[ -d "$tmp" ] || usage_error "TMPDIR $q: not a directory"
	[ -w "$tmp" ] && [ -x "$tmp" ] || usage_error "TMPDIR $q: cannot make files in it"
	[[ $tmp =~ [[:space:][:cntrl:],:] ]] &&
		usage_error "TMPDIR $q: a space, comma, colon or control character in the path, which QEMU's options and gdb cannot carry; set TMPDIR to a plain path"
	if [ "$gdb" = 1 ] && [ -z "$gdbtcp" ] && [ $((${#tmp} + 24)) -gt "$SOCK_MAX" ]; then
		usage_error "TMPDIR $q: too long for the gdb stub's socket ($tmp/heaplab.XXXXXX/gdb.sock: more than the $SOCK_MAX bytes a Unix socket's path may have)"
	fi
	return 0
}

# make_rundir makes the run's own directory (mktemp -d: mode 0700, so only
# its owner can enter it, and reach the gdb stub's socket in it); the EXIT
# trap removes it.
make_rundir() {
	rundir=$(mktemp -d -- "$tmp/heaplab.XXXXXX") ||
		usage_error "TMPDIR '$tmp': cannot make a directory in it"
	chmod 700 -- "$rundir" || die 126 "cannot chmod $rundir"
}

# cleanup removes the run's directory. A signal now (a test stopping the
# run's process group just as QEMU has exited) would kill rm half-way: rm
# inherits them ignored.
cleanup() {
	trap '' HUP INT TERM
	[ -z "$rundir" ] || rm -rf -- "$rundir"
}

# dry_run prints the QEMU command, RUNDIR standing for the run's directory.
dry_run() {
	local timeout_cmd=()
	rundir=RUNDIR
	image_dir
	echo "# RUNDIR: the run's own directory (mktemp -d under $(shell_words "$tmp")${trace:+; RUNDIR/trace: a copy of $(shell_words "$trace_arg")})"
	qemu_command
	[ -n "$timeout_s" ] && timeout_cmd=(timeout --foreground -k 5 "$timeout_s")
	shell_words "${timeout_cmd[@]}" "${cmd[@]}"
}

main() {
	local st timeout_cmd=()
	parse_args "$@"
	[ -n "$test" ] && [ -n "$trace" ] && usage_error "--test and --trace exclude each other"
	check_tmpdir
	cd "$(dirname "$(realpath "$0")")" || die 126 "cannot enter the repository"
	check_opts
	if [ -z "$timeout_s" ] && [ "$gdb" = 0 ]; then
		timeout_s=120
	fi
	if [ "$trace" != '' ]; then
		trace_size=$(stat -L -c %s -- "$trace" 2>/dev/null) || trace_size=0
	fi
	if [ "$dry" = 1 ]; then
		dry_run
		exit 0
	fi
	if [ "$gdb" = 1 ] && [[ $PWD =~ [[:cntrl:]] ]]; then
		usage_error "the repository's path holds a control character, which a gdb script cannot carry"
	fi
	trap cleanup EXIT
	trap 'exit 129' HUP
	trap 'exit 130' INT
	trap 'exit 143' TERM
	make_rundir
	[ -n "$trace" ] && copy_trace
	prepare
	image_dir
	qemu_command
	[ -n "$timeout_s" ] && timeout_cmd=(timeout --foreground -k 5 "$timeout_s")
	if [ "$gdb" = 1 ]; then
		write_gdb_script "$rundir/gdbinit"
		attach_hint
	fi
	"${timeout_cmd[@]}" "${cmd[@]}" | tee "$rundir/console"
	st=${PIPESTATUS[0]}
	verdict "$st" "$rundir/console"
}

main "$@"
