/**
 * The audit's stored record (a checkpoint while it runs, its result once done): any plain object
 * whose typed arrays are kept as raw bytes and the rest as JSON. Layout: 'LTLAUD1\n', u32 JSON
 * length, the JSON (arrays replaced by {"$array": i}; their kinds and lengths listed), padding to
 * 8, the arrays in order (each padded to 8), and a CRC-32 of everything before it.
 */

import { crc32 } from '../formats/crc32.ts';

const MAGIC = 'LTLAUD1\n';
const KINDS = { Int8Array, Uint8Array, Int32Array, Uint32Array, Float32Array, Float64Array } as const;
type KindName = keyof typeof KINDS;
type Typed = InstanceType<(typeof KINDS)[KindName]>;

const pad8 = (n: number) => (n + 7) & ~7;

export function encodeRecord(value: unknown): Uint8Array {
  const arrays: Typed[] = [];
  const json = JSON.stringify(value, function (_key, v) {
    if (ArrayBuffer.isView(v)) {
      arrays.push(v as Typed);
      return { $array: arrays.length - 1 };
    }
    // NaN and ±Infinity are not JSON: kept by name.
    if (typeof v === 'number' && !Number.isFinite(v)) return { $number: String(v) };
    return v;
  });
  const kinds = arrays.map((a) => {
    const name = Object.keys(KINDS).find((k) => a instanceof KINDS[k as KindName]);
    if (!name) throw new TypeError(`cannot store a ${a.constructor.name}`);
    return [name, a.length];
  });
  const head = new TextEncoder().encode(JSON.stringify({ kinds, value: JSON.parse(json) }));
  let size = pad8(MAGIC.length + 4 + head.length);
  for (const a of arrays) size += pad8(a.byteLength);
  const out = new Uint8Array(size + 4);
  out.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(MAGIC.length, head.length, true);
  out.set(head, MAGIC.length + 4);
  let at = pad8(MAGIC.length + 4 + head.length);
  for (const a of arrays) {
    out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), at);
    at += pad8(a.byteLength);
  }
  new DataView(out.buffer).setUint32(size, crc32(out.subarray(0, size)), true);
  return out;
}

/** The stored value, or null when the bytes are not an intact record (cut short, damaged, another format). */
export function decodeRecord(bytes: Uint8Array): unknown {
  if (bytes.length < MAGIC.length + 8 || new TextDecoder().decode(bytes.subarray(0, MAGIC.length)) !== MAGIC) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const size = bytes.length - 4;
  if (crc32(bytes.subarray(0, size)) !== view.getUint32(size, true)) return null;
  const headLength = view.getUint32(MAGIC.length, true);
  const { kinds, value } = JSON.parse(new TextDecoder().decode(bytes.subarray(MAGIC.length + 4, MAGIC.length + 4 + headLength))) as { kinds: [KindName, number][]; value: unknown };
  let at = pad8(MAGIC.length + 4 + headLength);
  const arrays = kinds.map(([name, length]) => {
    const Kind = KINDS[name];
    const byteLength = length * Kind.BYTES_PER_ELEMENT;
    const copy = bytes.slice(at, at + byteLength);
    at += pad8(byteLength);
    return new Kind(copy.buffer, 0, length);
  });
  const revive = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(revive);
    if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (typeof o.$array === 'number') return arrays[o.$array];
      if (typeof o.$number === 'string') return Number(o.$number);
      return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, revive(x)]));
    }
    return v;
  };
  return revive(value);
}
