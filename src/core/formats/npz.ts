/**
 * NumPy's .npz: a zip archive of .npy files, one per array (`name.npy`), as `numpy.savez`
 * writes it. Written store-only (no compression; embeddings barely compress); read store-only or
 * deflated (`numpy.savez_compressed`). No ZIP64: an archive stays under 4 GB, so large
 * embeddings are offered in parts or as float16.
 */

import { crc32 } from './crc32.ts';
import { readNpy, writeNpy, type NpyArray } from './npy.ts';

const encoder = new TextEncoder();
const maxZip32 = 0xffffffff;

/** The bytes of an .npz holding `arrays` (names without ".npy"), in the given order. */
export function writeNpz(arrays: Record<string, NpyArray>): Blob {
  const parts: BlobPart[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  const entries = Object.entries(arrays);
  for (const [name, array] of entries) {
    const data = writeNpy(array);
    const fileName = encoder.encode(`${name}.npy`);
    const crc = crc32(data);
    if (offset + 30 + fileName.length + data.length > maxZip32) throw new Error('npz: over 4 GB; write it in parts');
    const local = new Uint8Array(30 + fileName.length);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true); // local file header
    lv.setUint16(4, 20, true); // version needed: 2.0
    lv.setUint16(6, 0, true); // flags
    lv.setUint16(8, 0, true); // method: store
    lv.setUint16(10, 0, true); // time
    lv.setUint16(12, 0x21, true); // date: 1980-01-01
    lv.setUint32(14, crc, true);
    lv.setUint32(18, data.length, true);
    lv.setUint32(22, data.length, true);
    lv.setUint16(26, fileName.length, true);
    lv.setUint16(28, 0, true);
    local.set(fileName, 30);
    const dir = new Uint8Array(46 + fileName.length);
    const dv = new DataView(dir.buffer);
    dv.setUint32(0, 0x02014b50, true); // central directory header
    dv.setUint16(4, 20, true); // version made by
    dv.setUint16(6, 20, true);
    dv.setUint16(8, 0, true);
    dv.setUint16(10, 0, true);
    dv.setUint16(12, 0, true);
    dv.setUint16(14, 0x21, true);
    dv.setUint32(16, crc, true);
    dv.setUint32(20, data.length, true);
    dv.setUint32(24, data.length, true);
    dv.setUint16(28, fileName.length, true);
    dv.setUint32(42, offset, true); // local header offset
    dir.set(fileName, 46);
    parts.push(local, data as BlobPart);
    central.push(dir);
    offset += local.length + data.length;
  }
  const centralSize = central.reduce((n, d) => n + d.length, 0);
  const end = new Uint8Array(22);
  const ev = new DataView(end.buffer);
  ev.setUint32(0, 0x06054b50, true); // end of central directory
  ev.setUint16(8, entries.length, true);
  ev.setUint16(10, entries.length, true);
  ev.setUint32(12, centralSize, true);
  ev.setUint32(16, offset, true);
  return new Blob([...parts, ...(central as BlobPart[]), end], { type: 'application/zip' });
}

async function inflateRaw(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new DecompressionStream('deflate-raw'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Reads every array of an .npz (names without ".npy"). Throws an Error saying what is wrong. */
export async function readNpz(bytes: Uint8Array): Promise<Record<string, NpyArray>> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let eocd = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 65535); i--)
    if (view.getUint32(i, true) === 0x06054b50) {
      eocd = i;
      break;
    }
  if (eocd < 0) throw new Error('not an .npz (zip) file: no end-of-central-directory record');
  const count = view.getUint16(eocd + 10, true);
  let p = view.getUint32(eocd + 16, true);
  if (p === maxZip32) throw new Error('ZIP64 .npz files (over 4 GB) are not supported');
  const out: Record<string, NpyArray> = {};
  for (let k = 0; k < count; k++) {
    if (view.getUint32(p, true) !== 0x02014b50) throw new Error('corrupt .npz: bad central directory');
    const method = view.getUint16(p + 10, true);
    const crc = view.getUint32(p + 16, true);
    const compressed = view.getUint32(p + 20, true);
    const nameLength = view.getUint16(p + 28, true);
    const extraLength = view.getUint16(p + 30, true);
    const commentLength = view.getUint16(p + 32, true);
    const local = view.getUint32(p + 42, true);
    const name = new TextDecoder().decode(bytes.subarray(p + 46, p + 46 + nameLength));
    p += 46 + nameLength + extraLength + commentLength;
    const dataStart = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
    const raw = bytes.subarray(dataStart, dataStart + compressed);
    let data: Uint8Array;
    if (method === 0) data = raw;
    else if (method === 8) data = await inflateRaw(raw);
    else throw new Error(`${name}: zip method ${method} is not supported (only stored or deflated)`);
    if (crc32(data) !== crc) throw new Error(`${name}: CRC mismatch, the .npz is corrupt`);
    try {
      out[name.replace(/\.npy$/, '')] = readNpy(data);
    } catch (e) {
      throw new Error(`${name}: ${(e as Error).message}`);
    }
  }
  return out;
}
