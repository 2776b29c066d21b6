// SPDX-License-Identifier: BSD-3-Clause
// QEMU's virt board for riscv64 (qemu-system-riscv64 -M virt -bios none):
// the memory map heaplab uses, and the board's services for arch/riscv64.
#ifndef HEAPLAB_VIRT_H
#define HEAPLAB_VIRT_H

// Physical memory as heaplab uses it, with run-qemu.sh's -m 256M:
//
//   0x00000000  +------------------+  page 0: PMP denies every access
//   0x00001000  |  reset code      |  QEMU's: jumps to 0x80000000
//   0x00100000  |  test device     |  sifive_test: writing it ends the run
//   0x02000000  |  CLINT           |  msip (IPIs), mtimecmp, mtime
//   0x0c000000  |  PLIC            |
//   0x10000000  |  NS16550A UART   |  the console
//   0x80000000  +------------------+  RAM: linker/riscv64.ld puts the
//               |  kernel image    |  kernel here, then every hart's
//               |  stacks          |  stacks, then the heap
//               |  heap            |  [_heap_start, _heap_end)
//   0x88000000  |  the trace       |  -initrd: QEMU loads it 128 MiB above
//               |                  |  the kernel's entry
//   0x8f000000  |  device tree     |  QEMU's: 16 MiB-aligned below RAM's
//   0x90000000  +------------------+  end; it lists the harts, the command
//                                     line (-append) and the trace
#define VIRT_TEST_BASE	0x100000ul
#define VIRT_CLINT_BASE 0x2000000ul
#define VIRT_UART_BASE	0x10000000ul

#ifndef __ASSEMBLER__

#include <stddef.h>
#include <stdint.h>

// What the device tree hands the kernel (fdt.c).
struct virt_boot {
	const char *cmdline; // /chosen/bootargs, or "" when there is none
	const char *initrd;  // /chosen/linux,initrd-start, or NULL: the trace
	size_t initrd_len;   // linux,initrd-end - linux,initrd-start
	int ncpu;	     // cpu nodes under /cpus
	uint64_t timebase;   // /cpus/timebase-frequency, Hz
	uint64_t ram_end;    // the end of the first /memory range, or 0
};

// virt_fdt_read reads the device tree at fdt into b; answers 0, or -1 when
// there is no device tree there (b then holds the defaults: "", NULL, 1
// CPU, 10 MHz, RAM of unknown size).
int virt_fdt_read(const void *fdt, struct virt_boot *b);

// virt_boot_info reads the device tree at fdt (boot.c): it answers the
// trace (or NULL) with its length in *len, sets *cmdline (a copy, "" when
// there is none), virt_harts and virt_timebase_hz, and stops the run if
// the heap or the trace does not fit in RAM.
const char *virt_boot_info(const void *fdt, const char **cmdline, size_t *len);
extern int virt_harts; // harts the device tree lists

// The console, NS16550A at VIRT_UART_BASE, polled (uart.c).
void virt_uart_init(void);

// The CLINT: software interrupts between harts (clint.c). virt_ipi_send
// raises hart h's machine software interrupt (mip.MSIP), virt_ipi_clear
// lowers it.
void virt_ipi_send(int h);
void virt_ipi_clear(int h);

// arch_ticks per second: the device tree's timebase-frequency, set by
// virt_boot_info before anything asks.
extern uint64_t virt_timebase_hz;

// virt_timer_irq handles this hart's machine timer interrupt, which came
// at pc (clint.c; the tick is platform_timer_start's).
void virt_timer_irq(uintptr_t pc);

#endif // __ASSEMBLER__
#endif
