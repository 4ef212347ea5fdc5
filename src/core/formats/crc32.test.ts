import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../random.mjs';
import { crc32 } from './crc32.ts';

describe('crc32', () => {
  it('gives the standard check value and agrees with Python zlib.crc32 at every length and offset mod 8, chained or not', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    const random = mulberry32(5);
    const bytes = Uint8Array.from({ length: 4099 }, () => Math.floor(random() * 256));
    const cuts = [0, 1, 7, 8, 9, 63, 64, 1000, 4099];
    const python = execFileSync('/usr/bin/python3', ['-c', `import sys, zlib; b = sys.stdin.buffer.read(); print(' '.join(str(zlib.crc32(b[o:o + n])) for o in range(8) for n in ${JSON.stringify(cuts)} if o + n <= len(b)))`], { input: bytes }).toString().trim().split(' ').map(Number);
    const ours = [];
    for (let o = 0; o < 8; o++) for (const n of cuts) if (o + n <= bytes.length) ours.push(crc32(bytes.subarray(o, o + n)));
    expect(ours).toEqual(python);
    // Chaining: the CRC of a whole is the CRC of its second part continued from the first's.
    expect(crc32(bytes.subarray(1003), crc32(bytes.subarray(0, 1003)))).toBe(crc32(bytes));
  });
});
