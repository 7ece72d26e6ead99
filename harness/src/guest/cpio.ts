// A pure writer for the kernel's initramfs format (cpio "newc"). Writing it
// ourselves lets a non-root user add /dev/console (a device node) and keeps
// owners at 0:0 without fakeroot.

export type CpioEntry =
  | { type: 'dir'; path: string; mode: number }
  | { type: 'file'; path: string; mode: number; data: Buffer }
  | { type: 'symlink'; path: string; target: string }
  | { type: 'chardev'; path: string; mode: number; major: number; minor: number };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0');
}

function pad4(len: number): Buffer {
  return Buffer.alloc((4 - (len % 4)) % 4);
}

export function cpioNewc(entries: readonly CpioEntry[], mtime = 0): Buffer {
  const parts: Buffer[] = [];
  let ino = 1;
  const push = (name: string, mode: number, body: Buffer, rdev: [number, number] = [0, 0], nlink = 1) => {
    const nameBuf = Buffer.from(`${name}\0`);
    const header =
      '070701' +
      hex8(ino++) + hex8(mode) + hex8(0) + hex8(0) + hex8(nlink) + hex8(mtime) + hex8(body.length) +
      hex8(0) + hex8(0) + hex8(rdev[0]) + hex8(rdev[1]) + hex8(nameBuf.length) + hex8(0);
    const head = Buffer.concat([Buffer.from(header, 'ascii'), nameBuf]);
    parts.push(head, pad4(head.length), body, pad4(body.length));
  };
  for (const e of entries) {
    const name = e.path.replace(/^\/+/, '');
    switch (e.type) {
      case 'dir': push(name, S_IFDIR | e.mode, Buffer.alloc(0), [0, 0], 2); break;
      case 'file': push(name, S_IFREG | e.mode, e.data); break;
      case 'symlink': push(name, S_IFLNK | 0o777, Buffer.from(e.target)); break;
      case 'chardev': push(name, S_IFCHR | e.mode, Buffer.alloc(0), [e.major, e.minor]); break;
    }
  }
  push('TRAILER!!!', 0, Buffer.alloc(0));
  return Buffer.concat(parts);
}
