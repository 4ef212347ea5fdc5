/**
 * A column of strings stored as UTF-8 bytes plus offsets, with an optional hash index.
 *
 * 840k image ids and 840k paths as JS strings cost ~60 MB of heap and cannot be transferred
 * between workers; here they are two ArrayBuffers that move between threads without a copy.
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Whether `s` has no unpaired surrogate (String.prototype.isWellFormed, ES2024, where the engine has it). */
export function isWellFormed(s: string): boolean {
  const own = (s as { isWellFormed?: () => boolean }).isWellFormed;
  return own ? own.call(s) : !/\p{Cs}/u.test(s);
}

/**
 * Writes `s` at `target[at…]` and returns the bytes written (room for `s.length * 3` needed).
 * UTF-8, except that an unpaired surrogate ("\ud800", which JSON may hold as an escape) is
 * written as its own 3-byte sequence (WTF-8) rather than as U+FFFD, so that two such ids stay
 * two ids and read back exactly. Well-formed strings get TextEncoder's bytes unchanged.
 */
function encodeInto(s: string, target: Uint8Array, at: number): number {
  if (isWellFormed(s)) return encoder.encodeInto(s, target.subarray(at)).written;
  let p = at;
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
      }
    }
    if (c < 0x80) target[p++] = c;
    else if (c < 0x800) {
      target[p++] = 0xc0 | (c >> 6);
      target[p++] = 0x80 | (c & 0x3f);
    } else if (c < 0x10000) {
      target[p++] = 0xe0 | (c >> 12);
      target[p++] = 0x80 | ((c >> 6) & 0x3f);
      target[p++] = 0x80 | (c & 0x3f);
    } else {
      target[p++] = 0xf0 | (c >> 18);
      target[p++] = 0x80 | ((c >> 12) & 0x3f);
      target[p++] = 0x80 | ((c >> 6) & 0x3f);
      target[p++] = 0x80 | (c & 0x3f);
    }
  }
  return p - at;
}

/** Decodes bytes written by `encodeInto`; TextDecoder does, except for WTF-8 surrogates (seen as U+FFFD). */
function decode(bytes: Uint8Array): string {
  const text = decoder.decode(bytes);
  return text.includes('\ufffd') ? decodeWtf8(bytes) : text;
}

/** The slow path of `decode`: generalized UTF-8 (well-formed, as `encodeInto` writes it), surrogates allowed. */
function decodeWtf8(bytes: Uint8Array): string {
  const units: number[] = [];
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i];
    let c: number;
    if (b < 0x80) c = bytes[i++];
    else if (b < 0xe0) c = ((b & 0x1f) << 6) | (bytes[i + 1] & 0x3f), (i += 2);
    else if (b < 0xf0) c = ((b & 0x0f) << 12) | ((bytes[i + 1] & 0x3f) << 6) | (bytes[i + 2] & 0x3f), (i += 3);
    else c = ((b & 0x07) << 18) | ((bytes[i + 1] & 0x3f) << 12) | ((bytes[i + 2] & 0x3f) << 6) | (bytes[i + 3] & 0x3f), (i += 4);
    if (c >= 0x10000) units.push(0xd800 + ((c - 0x10000) >> 10), 0xdc00 + ((c - 0x10000) & 0x3ff));
    else units.push(c);
  }
  let s = '';
  for (let k = 0; k < units.length; k += 4096) s += String.fromCharCode(...units.slice(k, k + 4096));
  return s;
}

/** The transferable form of a StringTable. */
export interface StringTableData {
  bytes: Uint8Array;
  /** offsets[i]..offsets[i+1] are the bytes of string i; length count + 1. */
  offsets: Uint32Array;
  count: number;
}

export class StringTable {
  private bytes: Uint8Array;
  private offsets: Uint32Array;
  private n = 0;
  private byteLength = 0;
  /** Open-addressing table of string index + 1 (0 = empty), built lazily by `indexOf`. */
  private slots: Int32Array | null = null;
  private duplicates: number[] = [];
  private scratch = new Uint8Array(256);

  constructor(initialCount = 1024, initialBytes = initialCount * 16) {
    this.bytes = new Uint8Array(Math.max(16, initialBytes));
    this.offsets = new Uint32Array(Math.max(2, initialCount + 1));
  }

  static from(strings: Iterable<string>): StringTable {
    const table = new StringTable();
    for (const s of strings) table.push(s);
    return table;
  }

  static fromData(data: StringTableData): StringTable {
    const table = new StringTable(0, 0);
    table.bytes = data.bytes;
    table.offsets = data.offsets;
    table.n = data.count;
    table.byteLength = data.offsets[data.count];
    return table;
  }

  get length(): number {
    return this.n;
  }

  /** Appends a string and returns its index. */
  push(s: string): number {
    const maxBytes = s.length * 3;
    this.reserveBytes(maxBytes);
    let at = this.byteLength;
    const bytes = this.bytes;
    let ascii = true;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) {
        ascii = false;
        break;
      }
      bytes[at + i] = c;
    }
    if (ascii) at += s.length;
    else at += encodeInto(s, bytes, at);
    if (this.n + 2 > this.offsets.length) {
      const grown = new Uint32Array(this.offsets.length * 2);
      grown.set(this.offsets);
      this.offsets = grown;
    }
    this.byteLength = at;
    this.n++;
    this.offsets[this.n] = at;
    this.slots = null;
    return this.n - 1;
  }

  /** Appends every string of another table (bulk copy, no decoding). */
  appendData(data: StringTableData): void {
    const added = data.offsets[data.count];
    this.reserveBytes(added);
    this.bytes.set(data.bytes.subarray(0, added), this.byteLength);
    if (this.n + data.count + 1 > this.offsets.length) {
      let size = this.offsets.length * 2;
      while (size < this.n + data.count + 1) size *= 2;
      const grown = new Uint32Array(size);
      grown.set(this.offsets.subarray(0, this.n + 1));
      this.offsets = grown;
    }
    const base = this.byteLength;
    for (let k = 1; k <= data.count; k++) this.offsets[this.n + k] = base + data.offsets[k];
    this.n += data.count;
    this.byteLength += added;
    this.slots = null;
  }

  get(i: number): string {
    const start = this.offsets[i];
    const end = this.offsets[i + 1];
    const bytes = this.bytes;
    // Short ASCII strings decode faster by hand than through TextDecoder.
    if (end - start <= 64) {
      let s = '';
      for (let j = start; j < end; j++) {
        const c = bytes[j];
        if (c >= 0x80) return decode(bytes.subarray(start, end));
        s += String.fromCharCode(c);
      }
      return s;
    }
    return decode(bytes.subarray(start, end));
  }

  /** Index of the first occurrence of `s`, or -1. Builds a hash index on first use. */
  indexOf(s: string): number {
    if (!this.slots) this.buildIndex();
    if (s.length * 3 > this.scratch.length) this.scratch = new Uint8Array(s.length * 3);
    const len = encodeInto(s, this.scratch, 0);
    return this.lookupBytes(this.scratch, 0, len);
  }

  /** Whether string `i` equals `other`'s string `j`, compared as bytes. */
  sameAs(i: number, other: StringTable, j: number): boolean {
    return this.equalsAt(i, other.bytes, other.offsets[j], other.offsets[j + 1]);
  }

  /** Indexes of strings equal to an earlier one, found while building the hash index. */
  duplicateIndexes(): number[] {
    if (!this.slots) this.buildIndex();
    return this.duplicates;
  }

  /** Index of the string equal to `other`'s string `j`, without decoding it. */
  indexOfEntry(other: StringTable, j: number): number {
    if (!this.slots) this.buildIndex();
    return this.lookupBytes(other.bytes, other.offsets[j], other.offsets[j + 1]);
  }

  /** Exact memory held, in bytes. */
  get memoryBytes(): number {
    return this.bytes.byteLength + this.offsets.byteLength + (this.slots?.byteLength ?? 0);
  }

  /** Trims spare capacity and returns the buffers (the table stays usable). */
  toData(): StringTableData {
    if (this.bytes.length !== this.byteLength) this.bytes = this.bytes.slice(0, this.byteLength);
    if (this.offsets.length !== this.n + 1) this.offsets = this.offsets.slice(0, this.n + 1);
    return { bytes: this.bytes, offsets: this.offsets, count: this.n };
  }

  private reserveBytes(extra: number) {
    if (this.byteLength + extra <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < this.byteLength + extra) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.bytes.subarray(0, this.byteLength));
    this.bytes = grown;
  }

  private hash(bytes: Uint8Array, start: number, end: number): number {
    // FNV-1a, 32-bit.
    let h = 0x811c9dc5;
    for (let i = start; i < end; i++) {
      h ^= bytes[i];
      h = Math.imul(h, 0x01000193);
    }
    return h >>> 0;
  }

  private buildIndex() {
    let size = 16;
    while (size < this.n * 2) size *= 2;
    const slots = new Int32Array(size);
    const mask = size - 1;
    this.duplicates = [];
    for (let i = 0; i < this.n; i++) {
      const start = this.offsets[i];
      const end = this.offsets[i + 1];
      let slot = this.hash(this.bytes, start, end) & mask;
      for (;;) {
        const held = slots[slot];
        if (held === 0) {
          slots[slot] = i + 1;
          break;
        }
        if (this.equalsAt(held - 1, this.bytes, start, end)) {
          this.duplicates.push(i); // the first of equal strings keeps the slot
          break;
        }
        slot = (slot + 1) & mask;
      }
    }
    this.slots = slots;
  }

  private lookupBytes(bytes: Uint8Array, start: number, end: number): number {
    const slots = this.slots!;
    const mask = slots.length - 1;
    let slot = this.hash(bytes, start, end) & mask;
    for (;;) {
      const held = slots[slot];
      if (held === 0) return -1;
      if (this.equalsAt(held - 1, bytes, start, end)) return held - 1;
      slot = (slot + 1) & mask;
    }
  }

  private equalsAt(i: number, bytes: Uint8Array, start: number, end: number): boolean {
    const a = this.offsets[i];
    const len = this.offsets[i + 1] - a;
    if (len !== end - start) return false;
    const own = this.bytes;
    for (let k = 0; k < len; k++) if (own[a + k] !== bytes[start + k]) return false;
    return true;
  }
}
