// Just enough ELF to check a built selftest: its machine and that it is
// static (no PT_INTERP: the guest image has no dynamic loader for it).
import { openSync, readSync, closeSync } from 'node:fs';

export const EM = { X86_64: 62, AARCH64: 183, RISCV: 243 } as const;
const PT_DYNAMIC = 2;
const PT_INTERP = 3;

export interface ElfInfo {
  bits: 32 | 64;
  littleEndian: boolean;
  /** e_type: 2 = ET_EXEC, 3 = ET_DYN (PIE). */
  type: number;
  /** e_machine: 62 x86_64, 183 aarch64. */
  machine: number;
  /** Has a PT_INTERP program header (needs a dynamic loader). */
  hasInterp: boolean;
  hasDynamic: boolean;
}

function readAt(fd: number, offset: number, length: number): Buffer {
  const buf = Buffer.alloc(length);
  const n = readSync(fd, buf, 0, length, offset);
  if (n !== length) throw new Error(`short read: ${n} of ${length} bytes at ${offset}`);
  return buf;
}

/** Parse the ELF header and program headers of `path`; throws on anything that is not ELF. */
export function readElfInfo(path: string): ElfInfo {
  const fd = openSync(path, 'r');
  try {
    const ident = readAt(fd, 0, 16);
    if (ident.readUInt32BE(0) !== 0x7f454c46) throw new Error(`${path}: not an ELF file`);
    const cls = ident[4];
    const data = ident[5];
    if ((cls !== 1 && cls !== 2) || (data !== 1 && data !== 2)) throw new Error(`${path}: unknown ELF class ${cls} / data ${data}`);
    const bits = cls === 2 ? 64 : 32;
    const le = data === 1;
    const h = readAt(fd, 0, bits === 64 ? 64 : 52);
    const u16 = (b: Buffer, o: number) => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
    const u32 = (b: Buffer, o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
    const u64 = (b: Buffer, o: number) => Number(le ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o));
    const type = u16(h, 16);
    const machine = u16(h, 18);
    const phoff = bits === 64 ? u64(h, 32) : u32(h, 28);
    const phentsize = u16(h, bits === 64 ? 54 : 42);
    const phnum = u16(h, bits === 64 ? 56 : 44);
    let hasInterp = false;
    let hasDynamic = false;
    if (phnum > 0) {
      if (phentsize < 4) throw new Error(`${path}: bad e_phentsize ${phentsize}`);
      const ph = readAt(fd, phoff, phentsize * phnum);
      for (let i = 0; i < phnum; i++) {
        const pType = u32(ph, i * phentsize);
        if (pType === PT_INTERP) hasInterp = true;
        if (pType === PT_DYNAMIC) hasDynamic = true;
      }
    }
    return { bits, littleEndian: le, type, machine, hasInterp, hasDynamic };
  } finally {
    closeSync(fd);
  }
}
