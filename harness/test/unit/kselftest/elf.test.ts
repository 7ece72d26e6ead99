import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { EM, readElfInfo } from '../../../src/kselftest/elf.ts';

const temps: string[] = [];
const track = (d: string) => (temps.push(d), d);
after(() => temps.forEach((d) => rmSync(d, { recursive: true, force: true })));


const dir = track(mkdtempSync(join(tmpdir(), 'kvmatrix-kst-elf-')));

/** A minimal ELF: header plus program headers of the given types (nothing else). */
function fakeElf(bits: 32 | 64, le: boolean, machine: number, pTypes: number[]): string {
  const ehsize = bits === 64 ? 64 : 52;
  const phentsize = bits === 64 ? 56 : 32;
  const buf = Buffer.alloc(ehsize + phentsize * pTypes.length);
  buf.writeUInt32BE(0x7f454c46, 0);
  buf[4] = bits === 64 ? 2 : 1;
  buf[5] = le ? 1 : 2;
  buf[6] = 1;
  const w16 = (v: number, o: number) => (le ? buf.writeUInt16LE(v, o) : buf.writeUInt16BE(v, o));
  const w32 = (v: number, o: number) => (le ? buf.writeUInt32LE(v, o) : buf.writeUInt32BE(v, o));
  w16(2, 16);
  w16(machine, 18);
  if (bits === 64) {
    if (le) buf.writeBigUInt64LE(BigInt(ehsize), 32);
    else buf.writeBigUInt64BE(BigInt(ehsize), 32);
    w16(phentsize, 54);
    w16(pTypes.length, 56);
  } else {
    w32(ehsize, 28);
    w16(phentsize, 42);
    w16(pTypes.length, 44);
  }
  pTypes.forEach((t, i) => w32(t, ehsize + i * phentsize));
  const file = join(dir, `elf-${bits}-${le ? 'le' : 'be'}-${machine}-${pTypes.join('_')}`);
  writeFileSync(file, buf);
  return file;
}

describe('ELF header reader', () => {
  it('reads machine and PT_INTERP from 64-bit little-endian and 32-bit big-endian files', () => {
    assert.deepEqual(readElfInfo(fakeElf(64, true, EM.AARCH64, [1, 1, 4])), { bits: 64, littleEndian: true, type: 2, machine: 183, hasInterp: false, hasDynamic: false });
    assert.deepEqual(readElfInfo(fakeElf(64, true, EM.X86_64, [6, 3, 1, 2])), { bits: 64, littleEndian: true, type: 2, machine: 62, hasInterp: true, hasDynamic: true });
    assert.deepEqual(readElfInfo(fakeElf(32, false, 8, [3])), { bits: 32, littleEndian: false, type: 2, machine: 8, hasInterp: true, hasDynamic: false });
  });

  it('sees the host dynamic loader in a host binary', () => {
    const info = readElfInfo('/bin/sh');
    assert.equal(info.hasInterp, true);
  });

  it('refuses files that are not ELF or are cut short', () => {
    const text = join(dir, 'script');
    writeFileSync(text, '#!/bin/sh\necho hello there, this is long enough\n');
    assert.throws(() => readElfInfo(text), /not an ELF file/);
    const short = join(dir, 'short');
    writeFileSync(short, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]));
    assert.throws(() => readElfInfo(short), /short read/);
  });
});
