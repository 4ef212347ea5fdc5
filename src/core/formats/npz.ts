/**
 * NumPy's .npz: a zip archive of .npy files, one per array (`name.npy`), as `numpy.savez`
 * writes it. Written store-only (no compression; embeddings barely compress); read store-only or
 * deflated (`numpy.savez_compressed`). No ZIP64: an archive stays under 4 GB, so large
 * embeddings are offered in parts or as float16.
 */

import { crc32 } from './crc32.ts';
import { npyHeaderEnd, readNpy, readNpyHeader, writeNpy, type NpyArray, type NpyLimit } from './npy.ts';

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

const num = (n: number) => n.toLocaleString('en-US');

/** One member of a zip, from its central-directory entry, checked against its local header. */
export interface NpzMember {
  /** The file name in the zip ("prototypes.npy"). */
  fileName: string;
  /** The array's name (without ".npy"). */
  name: string;
  method: number;
  crc: number;
  compressedSize: number;
  /** Uncompressed bytes, as the zip headers declare them. */
  size: number;
  dataStart: number;
}

/** The members of an .npz (a zip), without reading their data. Throws an Error in words. */
export function npzMembers(bytes: Uint8Array): NpzMember[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let eocd = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 65535); i--)
    if (view.getUint32(i, true) === 0x06054b50) {
      eocd = i;
      break;
    }
  if (eocd < 0) throw new Error(`not a zip archive (as an .npz is): no end-of-central-directory record in its last ${num(Math.min(bytes.length, 65557))} bytes; the file may be cut short`);
  const count = view.getUint16(eocd + 10, true);
  const directorySize = view.getUint32(eocd + 12, true);
  let p = view.getUint32(eocd + 16, true);
  if (p === maxZip32 || count === 0xffff) throw new Error('it is a ZIP64 archive (over 4 GB or 65,535 members), which is not supported');
  if (p + directorySize > eocd) throw new Error(`its central directory (bytes ${num(p)}–${num(p + directorySize)}) runs past the end-of-central-directory record at byte ${num(eocd)}: the archive is cut short or corrupt`);
  const members: NpzMember[] = [];
  const seen = new Set<string>();
  for (let k = 0; k < count; k++) {
    if (p + 46 > eocd || view.getUint32(p, true) !== 0x02014b50) throw new Error(`corrupt zip: central-directory entry ${k + 1} of ${count} (byte ${num(p)}) is not one`);
    const flags = view.getUint16(p + 8, true);
    const method = view.getUint16(p + 10, true);
    const crc = view.getUint32(p + 16, true);
    const compressedSize = view.getUint32(p + 20, true);
    const size = view.getUint32(p + 24, true);
    const nameLength = view.getUint16(p + 28, true);
    const local = view.getUint32(p + 42, true);
    const fileName = new TextDecoder().decode(bytes.subarray(p + 46, p + 46 + nameLength));
    p += 46 + nameLength + view.getUint16(p + 30, true) + view.getUint16(p + 32, true);
    const where = `member ${fileName}`;
    if (seen.has(fileName)) throw new Error(`${where} appears twice`);
    seen.add(fileName);
    if (flags & 1) throw new Error(`${where} is encrypted, which is not supported`);
    if (compressedSize === maxZip32 || size === maxZip32 || local === maxZip32) throw new Error(`${where} is a ZIP64 entry (4 GB or more), which is not supported`);
    if (local + 30 > bytes.length || view.getUint32(local, true) !== 0x04034b50)
      throw new Error(`${where}: no local file header at byte ${num(local)}, where the central directory puts it; the archive is corrupt`);
    const localSize = view.getUint32(local + 22, true);
    if (!(view.getUint16(local + 6, true) & 8) && localSize !== maxZip32 && localSize !== size)
      throw new Error(`${where}: its local header says ${num(localSize)} bytes uncompressed, the central directory ${num(size)}; the archive is corrupt`);
    const dataStart = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
    if (dataStart + compressedSize > bytes.length)
      throw new Error(`${where}: its data (bytes ${num(dataStart)}–${num(dataStart + compressedSize)}) runs past the end of the file (${num(bytes.length)} bytes): the archive is cut short`);
    if (method === 0 && compressedSize !== size) throw new Error(`${where} is stored uncompressed, yet its headers say ${num(compressedSize)} bytes stored and ${num(size)} uncompressed`);
    if (method !== 0 && method !== 8) throw new Error(`${where}: zip compression method ${method} is not supported (only stored, as numpy.savez writes, or deflated, as numpy.savez_compressed)`);
    members.push({ fileName, name: fileName.replace(/\.npy$/, ''), method, crc, compressedSize, size, dataStart });
  }
  return members;
}

/**
 * Checks a member's .npy header, once its bytes are there, against the size its zip headers
 * declare: a member must hold exactly what its shape says. True once checked, false while the
 * header's bytes are still to come.
 */
function checkNpyAgainstZip(head: Uint8Array, member: NpzMember, complete: boolean): boolean {
  const end = npyHeaderEnd(head);
  if (!complete && (end === null || head.length < end)) return false;
  const header = readNpyHeader(head);
  const total = header.dataOffset + header.dataBytes;
  if (total !== member.size)
    throw new Error(
      `its .npy header says shape (${header.shape.join(', ')}) of ${header.descr}, ${num(total)} bytes with the header, but its zip headers declare ${num(member.size)} bytes`,
    );
  return true;
}

/**
 * Inflates a deflated member into exactly the bytes its headers declare, checking its .npy
 * header as soon as that has come out: stops, and throws, when the output would pass the declared
 * size (a lying header) or the .npy header disagrees with it, without inflating the rest.
 */
async function inflateMember(raw: Uint8Array, member: NpzMember): Promise<Uint8Array> {
  const out = new Uint8Array(member.size);
  let n = 0;
  let checked = false;
  const reader = new Blob([raw as BlobPart]).stream().pipeThrough(new DecompressionStream('deflate-raw')).getReader();
  try {
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (e) {
        throw new Error(`its deflated data is corrupt after ${num(n)} bytes (${(e as Error).message})`);
      }
      if (chunk.done) break;
      if (n + chunk.value.length > member.size)
        throw new Error(`it inflates to more than the ${num(member.size)} bytes its zip headers declare; stopped there (the archive lies about its size)`);
      out.set(chunk.value, n);
      n += chunk.value.length;
      if (!checked) checked = checkNpyAgainstZip(out.subarray(0, n), member, false);
    }
  } catch (e) {
    void reader.cancel().catch(() => undefined);
    throw e;
  }
  if (n < member.size) throw new Error(`it inflates to ${num(n)} bytes, but its zip headers declare ${num(member.size)}; the archive is corrupt`);
  return out;
}

export interface ReadNpzOptions {
  /** The arrays to read (names without ".npy"); the others are not inflated. Default: all. */
  only?: string[];
  /** The most a member may hold (its declared uncompressed size), checked before it is inflated. */
  limit?: (name: string) => NpyLimit | null;
}

/**
 * Reads the arrays of an .npz (names without ".npy"). Throws an Error in words, naming the
 * member; a member's declared size is checked against `limit` before it is inflated.
 */
export async function readNpz(bytes: Uint8Array, options: ReadNpzOptions = {}): Promise<Record<string, NpyArray>> {
  const out: Record<string, NpyArray> = {};
  for (const member of npzMembers(bytes)) {
    if (options.only && !options.only.includes(member.name)) continue;
    try {
      const limit = options.limit?.(member.name);
      if (limit && member.size > limit.bytes) throw new Error(`its zip headers declare ${num(member.size)} bytes uncompressed, more than ${limit.why}; not inflated`);
      const raw = bytes.subarray(member.dataStart, member.dataStart + member.compressedSize);
      let data: Uint8Array;
      if (member.method === 0) {
        checkNpyAgainstZip(raw, member, true);
        data = raw;
      } else data = await inflateMember(raw, member);
      if (crc32(data) !== member.crc) throw new Error('CRC mismatch: its data is not what was written (the archive is corrupt)');
      out[member.name] = readNpy(data, limit ?? undefined);
    } catch (e) {
      throw new Error(`member ${member.fileName}: ${(e as Error).message}`);
    }
  }
  return out;
}
