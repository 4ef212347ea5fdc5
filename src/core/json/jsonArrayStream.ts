/**
 * Streaming reader for large JSON documents whose bulk sits in arrays: a root object whose
 * members are arrays (`{"images": [...], "annotations": [...]}`) or a root array (`[...]`).
 *
 * V8 cannot hold a 667 MB string, so `file.text()` + `JSON.parse` fails on Herbarium 2022's
 * metadata. This reader scans raw bytes (tracking only strings, brackets and top-level commas),
 * cuts the arrays it is asked for into batches of whole elements and hands each batch to the
 * native `JSON.parse`, which is far faster than any JS tokenizer. Arrays nobody asked for are
 * scanned and dropped without decoding. Memory stays bounded by one chunk plus one batch.
 */

import { JsonReadError } from './jsonErrors.ts';
import { createWasmScanner, scanArrayJs, ScanClosed, ScanFlush, elementTooLarge, type ArrayScanner, type ScanState } from './arrayScanner.ts';
import {
  BACKSLASH,
  COLON,
  COMMA,
  LBRACE,
  LBRACKET,
  QUOTE,
  RBRACE,
  RBRACKET,
  countBackslashes,
  decodeUtf8OrLatin1,
  describeByte,
} from './bytes.ts';
import { formatBytes } from '../units.ts';

export { JsonReadError } from './jsonErrors.ts';

/** What the caller wants from the document. `key` is null for a root array. */
export interface JsonArrayStreamHandlers {
  /** Called when an array starts at the top level: return true to receive its elements. */
  wantArray(key: string | null): boolean;
  /**
   * A batch of whole elements of a wanted array, as raw bytes: `count` comma-separated JSON
   * values starting at file offset `byteOffset`, the first being element `firstIndex`.
   * `bytes` is a view into the reader's buffer, valid during the call only (copy to keep).
   * Parse it with `parseBatch`, here or in another worker.
   */
  onBatch(batch: RawBatch): void;
  /**
   * Called when a top-level non-array value starts (`kind`: "a string", "an object", …):
   * return true to receive it parsed (size-limited); may throw to reject the document.
   */
  wantValue?(key: string, kind: string, byteOffset: number): boolean;
  onValue?(key: string, value: unknown): void;
  /** Called when a top-level array ends, with its element count (null for skipped arrays, not counted). */
  onArrayEnd?(key: string | null, count: number | null): void;
  /** Called for every top-level key of a root object, before its value is read. */
  onKey?(key: string, byteOffset: number): void;
}

export interface JsonArrayStreamOptions {
  /** Bytes per `Blob.slice` read. */
  chunkBytes?: number;
  /** Target size of a batch of elements handed to `JSON.parse`. */
  batchBytes?: number;
  /** Largest single array element or captured top-level value, in bytes. */
  maxElementBytes?: number;
  /** Largest top-level key, in bytes. */
  maxKeyBytes?: number;
  onProgress?(bytesRead: number, totalBytes: number): void;
  /** Awaited after each chunk; lets a caller cancel (throw) or yield. */
  afterChunk?(): Promise<void> | void;
  /** Slices being read ahead of the scan. */
  readAhead?: number;
  /** Array scanner: WebAssembly where it runs (default), or the JS reference loop. */
  scanner?: 'wasm' | 'js';
}

export interface RawBatch {
  key: string | null;
  bytes: Uint8Array;
  byteOffset: number;
  firstIndex: number;
  count: number;
}

/** Where something odd but readable was found in a batch: how often, the first file offset and element. */
export interface BatchOddity {
  count: number;
  byteOffset: number;
  index: number;
}

/** What `parseBatch` read that is not plain JSON in UTF-8 (absent: nothing of the kind). */
export interface BatchOddities {
  /** Python's NaN, Infinity, -Infinity outside strings. */
  nonFinite?: BatchOddity;
  /** Byte sequences that are not UTF-8 (read as Latin-1). */
  invalidUtf8?: BatchOddity;
}

/**
 * Parses a batch's bytes into its elements; a bad element is reported with its index and offset.
 * The common path is one TextDecoder call and one JSON.parse; only a batch whose text holds
 * U+FFFD is checked for invalid UTF-8, and only one JSON.parse rejects is searched for NaN.
 * What was read that way is recorded in `oddities`.
 */
export function parseBatch(
  bytes: Uint8Array,
  byteOffset: number,
  firstIndex: number,
  key: string | null,
  oddities: BatchOddities = {},
): unknown[] {
  const whole = decodeBatchText(bytes);
  const text = whole.text;
  if (whole.invalid > 0)
    oddities.invalidUtf8 = {
      count: whole.invalid,
      byteOffset: byteOffset + whole.firstInvalid,
      index: elementIndexAt(bytes, whole.firstInvalid, firstIndex),
    };
  try {
    return JSON.parse('[' + text + ']') as unknown[];
  } catch {
    if (text.trim().length === 0)
      throw new JsonReadError(`a trailing comma in ${key === null ? 'the root array' : `"${key}"`}`, { byteOffset, key, index: firstIndex });
    const nonFinite = rewriteNonFinite(bytes, 0, bytes.length, firstIndex);
    if (nonFinite) {
      try {
        const elements = JSON.parse('[' + decodeBatchText(nonFinite.bytes).text + ']') as unknown[];
        oddities.nonFinite = { count: nonFinite.count, byteOffset: byteOffset + nonFinite.first, index: nonFinite.firstIndex };
        return elements;
      } catch {
        // Something else is wrong too: find the element.
      }
    }
    throw locateBadElement(bytes, byteOffset, firstIndex, key);
  }
}

/**
 * UTF-8 text of `bytes`. Invalid sequences become U+FFFD in TextDecoder, so only text holding
 * U+FFFD is checked; invalid bytes are then read as Latin-1, and counted.
 */
function decodeBatchText(bytes: Uint8Array): { text: string; invalid: number; firstInvalid: number } {
  const text = utf8.decode(bytes);
  if (!text.includes('\ufffd')) return { text, invalid: 0, firstInvalid: -1 };
  const read = decodeUtf8OrLatin1(bytes);
  return read.invalid === 0 ? { text, invalid: 0, firstInvalid: -1 } : read;
}

const nanToken = [78, 97, 78]; // NaN
const infinityToken = [73, 110, 102, 105, 110, 105, 116, 121]; // Infinity
const nullBytes = [110, 117, 108, 108]; // null
const hugeBytes = [49, 101, 57, 57, 57]; // 1e999

function matchesAt(bytes: Uint8Array, i: number, token: number[]): boolean {
  for (let k = 0; k < token.length; k++) if (bytes[i + k] !== token[k]) return false;
  return true;
}

/**
 * `bytes[from…to)` with Python's NaN, Infinity and -Infinity outside strings made JSON: NaN as
 * null (missing, which is what pandas and iNaturalist mean by it), ±Infinity as ±1e999 (which
 * JSON.parse reads as ±Infinity). Null when there are none. Slow path only; rewritten as bytes,
 * so that the text is decoded once.
 */
function rewriteNonFinite(
  bytes: Uint8Array,
  from: number,
  to: number,
  firstIndex: number,
): { bytes: Uint8Array; count: number; first: number; firstIndex: number } | null {
  let out: Uint8Array | null = null;
  let at = 0;
  let count = 0;
  let first = -1;
  let firstAt = firstIndex;
  let last = from;
  let inString = false;
  let depth = 0;
  let index = firstIndex;
  for (let i = from; i < to; i++) {
    const c = bytes[i];
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
      continue;
    }
    if (c === QUOTE) inString = true;
    else if (c === LBRACE || c === LBRACKET) depth++;
    else if (c === RBRACE || c === RBRACKET) depth--;
    else if (c === COMMA && depth === 0) index++;
    else if (c === 78 || c === 73) {
      const isNaN = c === 78 && matchesAt(bytes, i, nanToken);
      if (!isNaN && !(c === 73 && matchesAt(bytes, i, infinityToken))) continue;
      if (count++ === 0) {
        first = bytes[i - 1] === 45 ? i - 1 : i; // -Infinity starts at its minus sign
        firstAt = index;
        // Each NaN grows by one byte (null), each Infinity shrinks: a token is at least 3 bytes.
        out = new Uint8Array(to - from + Math.ceil((to - i) / 3));
      }
      out!.set(bytes.subarray(last, i), at);
      at += i - last;
      const replacement = isNaN ? nullBytes : hugeBytes;
      out!.set(replacement, at);
      at += replacement.length;
      i += isNaN ? nanToken.length - 1 : infinityToken.length - 1;
      last = i + 1;
    }
  }
  if (!out) return null;
  out.set(bytes.subarray(last, to), at);
  at += to - last;
  return { bytes: out.subarray(0, at), count, first, firstIndex: firstAt };
}

/** Index (in its array) of the element holding batch byte `pos`: depth-0 commas before it. Slow path only. */
export function elementIndexAt(bytes: Uint8Array, pos: number, firstIndex: number): number {
  let inString = false;
  let depth = 0;
  let index = firstIndex;
  for (let i = 0; i < pos; i++) {
    const c = bytes[i];
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === LBRACE || c === LBRACKET) depth++;
    else if (c === RBRACE || c === RBRACKET) depth--;
    else if (c === COMMA && depth === 0) index++;
  }
  return index;
}

/** A byte source: a Blob/File in the browser and in Node ≥ 20. */
export interface ByteSource {
  readonly size: number;
  slice(start: number, end: number): { arrayBuffer(): Promise<ArrayBuffer> };
}

export interface JsonStreamSummary {
  rootKind: 'object' | 'array';
  /** Top-level keys in document order (empty for a root array). */
  keys: string[];
  /** Element counts of the wanted top-level arrays, by key ('' for a root array). */
  arrayLengths: Map<string, number>;
  /** Top-level arrays skipped (scanned to their end, not counted). */
  skippedArrays: string[];
  bytes: number;
  /** The file's encoding; UTF-16 was transcoded, so byte offsets count UTF-8 bytes. */
  encoding: TextEncodingName;
  byteOrderMark: boolean;
}

function isWhitespace(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9;
}

/** Where the reader is in the top-level grammar. */
const enum Top {
  Start, // before the root value
  ObjKeyOrEnd, // after `{` : a key or `}`
  ObjKey, // after `,` : a key
  InKey, // inside a top-level key string
  Colon, // after a key
  Value, // after `:` : a member value
  CommaOrEnd, // after a member value
  InArray, // inside a top-level array (root or member)
  InValue, // inside a captured or skipped non-array member value
  Done, // after the root value
}

const utf8 = new TextDecoder('utf-8');
const utf8Encoder = new TextEncoder();

function kindOfValueStart(c: number): string {
  if (c === QUOTE) return 'a string';
  if (c === LBRACE) return 'an object';
  if (c === LBRACKET) return 'an array';
  if (c === 116 || c === 102) return 'a boolean';
  if (c === 110) return 'null';
  if (c === 45 || (c >= 48 && c <= 57)) return 'a number';
  return describeByte(c);
}

/** The encodings the reader reads; UTF-16 is transcoded to UTF-8 as it streams. */
export type TextEncodingName = 'utf-8' | 'utf-16le' | 'utf-16be';

/**
 * UTF-16 from the first bytes: a byte order mark, or without one the NUL-byte pattern of JSON's
 * ASCII (`{`, `[`, quotes, key names) in 16-bit units, the high byte zero: `{ 00 " 00` (LE) or
 * `00 { 00 "` (BE). Null for anything else (UTF-8 JSON has no NUL bytes).
 */
export function sniffUtf16(head: Uint8Array): { encoding: 'utf-16le' | 'utf-16be'; byteOrderMark: boolean } | null {
  if (head[0] === 0xff && head[1] === 0xfe) return { encoding: 'utf-16le', byteOrderMark: true };
  if (head[0] === 0xfe && head[1] === 0xff) return { encoding: 'utf-16be', byteOrderMark: true };
  const units = Math.min(64, head.length >> 1);
  if (units < 2) return null;
  for (const [order, lo, hi] of [['utf-16le', 0, 1], ['utf-16be', 1, 0]] as const) {
    let ascii = 0;
    for (let u = 0; u < units; u++) if (head[2 * u + hi] === 0 && head[2 * u + lo] !== 0) ascii++;
    let u = 0;
    while (u < units && head[2 * u + hi] === 0 && isWhitespace(head[2 * u + lo])) u++;
    const opens = u < units && head[2 * u + hi] === 0 && (head[2 * u + lo] === LBRACE || head[2 * u + lo] === LBRACKET);
    // Most units ASCII: names may hold other characters, but keys and punctuation are ASCII.
    if (opens && ascii * 10 >= units * 9) return { encoding: order, byteOrderMark: false };
  }
  return null;
}

/** Recognises files that are certainly not JSON, from their first bytes (UTF-16 is read, not refused). */
export function sniffBinary(head: Uint8Array): string | null {
  if (sniffUtf16(head)) return null;
  const starts = (...sig: number[]) => sig.every((b, i) => head[i] === b);
  if (starts(0x89, 0x50, 0x4e, 0x47)) return 'a PNG image';
  if (starts(0xff, 0xd8, 0xff)) return 'a JPEG image';
  if (starts(0x50, 0x4b, 0x03, 0x04)) return 'a ZIP archive';
  if (starts(0x1f, 0x8b)) return 'a gzip archive';
  if (starts(0x25, 0x50, 0x44, 0x46)) return 'a PDF document';
  if (starts(0x47, 0x49, 0x46, 0x38)) return 'a GIF image';
  const n = Math.min(head.length, 4096);
  for (let i = 0; i < n; i++) {
    const c = head[i];
    if (c === 0 || (c < 32 && !isWhitespace(c) && c !== 12 && c !== 8)) return 'binary data';
  }
  return null;
}

/**
 * Reads `source` and reports its top-level arrays through `handlers`.
 * Throws `JsonReadError` with a byte offset (and array key/index where known) on bad input.
 */
export async function readJsonArrays(
  source: ByteSource,
  handlers: JsonArrayStreamHandlers,
  options: JsonArrayStreamOptions = {},
): Promise<JsonStreamSummary> {
  const total = source.size;
  const scanArray: ArrayScanner = (options.scanner !== 'js' && createWasmScanner()) || scanArrayJs;
  if (total === 0) throw new JsonReadError('the file is empty (0 bytes)', { byteOffset: 0 });

  const input = new ChunkedInput(source, options.chunkBytes ?? 8 * 1024 * 1024, options.readAhead ?? 3);
  const reader = new TopLevelReader(handlers, scanArray, {
    batchBytes: options.batchBytes ?? 2 * 1024 * 1024,
    maxElementBytes: options.maxElementBytes ?? 64 * 1024 * 1024,
    maxKeyBytes: options.maxKeyBytes ?? 64 * 1024,
    total,
  });
  try {
    while (!input.done) {
      const first = await input.next(reader.keepFrom(input.end));
      reader.scanChunk(input.buf, input.bufStart, first);
      options.onProgress?.(input.readPos, total);
      if (options.afterChunk) await options.afterChunk();
    }
    reader.summary.encoding = input.encoding;
    reader.summary.byteOrderMark = input.byteOrderMark;
    return reader.finish(input.end);
  } catch (e) {
    // The offsets of a transcoded file count UTF-8 bytes: the error says so.
    if (e instanceof JsonReadError && input.encoding !== 'utf-8') e.location.textEncoding = input.encoding;
    throw e;
  }
}

/**
 * The file as a sliding window: `buf` holds the unconsumed tail of earlier chunks followed by the
 * newest chunk, and `bufStart` is the offset of buf[0]. Up to `readAhead` slices load while
 * earlier ones are scanned. A UTF-16 file is transcoded to UTF-8 chunk by chunk: offsets in
 * `buf` then count UTF-8 bytes (the same as file offsets for UTF-8).
 */
class ChunkedInput {
  buf = new Uint8Array(0);
  bufStart = 0;
  /** File offset of the first byte not yet read into `buf`. */
  readPos = 0;
  encoding: TextEncodingName = 'utf-8';
  byteOrderMark = false;
  /** Offset just past the bytes appended to `buf` so far. */
  private scanEnd = 0;
  private transcoder: TextDecoder | null = null;
  private readonly total: number;
  private readonly reads: Promise<ArrayBuffer>[] = [];
  private requested = 0;

  constructor(
    private readonly source: ByteSource,
    private readonly chunkBytes: number,
    private readonly readAhead: number,
  ) {
    this.total = source.size;
  }

  get done(): boolean {
    return this.readPos >= this.total;
  }

  /** File offset just past `buf`. */
  get end(): number {
    return this.bufStart + this.buf.length;
  }

  /**
   * Drops the bytes before file offset `keepFrom` and appends the next chunk; returns the index in
   * `buf` of the first new byte (past a UTF-8 byte order mark at the very start of the file).
   */
  async next(keepFrom: number): Promise<number> {
    const keepLen = this.end - keepFrom;
    const end = Math.min(this.total, this.readPos + this.chunkBytes);
    this.requestAhead();
    let chunk = new Uint8Array(await this.reads.shift()!);
    if (this.readPos === 0) {
      const utf16 = sniffUtf16(chunk);
      if (utf16) {
        this.encoding = utf16.encoding;
        this.byteOrderMark = utf16.byteOrderMark;
        this.transcoder = new TextDecoder(utf16.encoding); // drops the byte order mark
      } else {
        const binary = sniffBinary(chunk);
        if (binary) throw new JsonReadError(`this is ${binary}, not JSON`, { byteOffset: 0 });
      }
    }
    if (this.transcoder) chunk = utf8Encoder.encode(this.transcoder.decode(chunk, { stream: end < this.total }));
    if (keepLen === 0) this.buf = chunk;
    else {
      const next = new Uint8Array(keepLen + chunk.length);
      next.set(this.buf.subarray(this.buf.length - keepLen), 0);
      next.set(chunk, keepLen);
      this.buf = next;
    }
    this.bufStart = keepFrom;
    const first = this.scanEnd - this.bufStart;
    this.scanEnd += chunk.length;
    this.readPos = end;
    const buf = this.buf;
    if (this.bufStart + first === 0 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) return 3;
    return first;
  }

  private requestAhead(): void {
    while (this.reads.length < this.readAhead && this.requested < this.total) {
      const to = Math.min(this.total, this.requested + this.chunkBytes);
      this.reads.push(this.source.slice(this.requested, to).arrayBuffer());
      this.requested = to;
    }
  }
}

interface ReaderLimits {
  batchBytes: number;
  maxElementBytes: number;
  maxKeyBytes: number;
  /** The file's size, for messages at its end. */
  total: number;
}

/**
 * The top-level grammar: root value, keys, colons, commas and non-array member values, byte by
 * byte; the inside of a top-level array goes to the array scanner, which finds element and batch
 * boundaries far faster. One instance reads one document, chunk by chunk.
 */
class TopLevelReader {
  readonly summary: JsonStreamSummary;
  private readonly st: ScanState = {
    depth: 0,
    inString: false,
    escaped: false,
    arrayDepth: 0,
    arrayWanted: false,
    arrayCount: 0,
    elementStart: -1,
    batchStart: -1,
    batchFirstIndex: 0,
    pos: 0,
  };
  private state: Top = Top.Start;
  private key: string | null = null;
  /** File offset of the opening quote of the current key. */
  private keyStart = -1;
  /** File offset of a captured non-array member value. */
  private valueStart = -1;
  private valueWanted = false;
  private sawRoot = false;
  /** The chunk being scanned, and the file offset of its first byte. */
  private buf: Uint8Array = new Uint8Array(0);
  private bufStart = 0;

  constructor(
    private readonly handlers: JsonArrayStreamHandlers,
    private readonly scanArray: ArrayScanner,
    private readonly limits: ReaderLimits,
  ) {
    this.summary = {
      rootKind: 'object',
      keys: [],
      arrayLengths: new Map(),
      skippedArrays: [],
      bytes: limits.total,
      encoding: 'utf-8',
      byteOrderMark: false,
    };
  }

  /** The file offset from which bytes are still needed by an open token (`bufferEnd` if none). */
  keepFrom(bufferEnd: number): number {
    if (this.state === Top.InKey) return this.keyStart;
    if (this.state === Top.InArray && this.st.batchStart >= 0) return this.st.batchStart;
    if (this.state === Top.InValue && this.valueWanted) return this.valueStart;
    return bufferEnd;
  }

  /** Scans `buf` from index `from`; `bufStart` is the file offset of buf[0]. */
  scanChunk(buf: Uint8Array, bufStart: number, from: number): void {
    this.buf = buf;
    this.bufStart = bufStart;
    const n = buf.length;
    let i = from;
    while (i < n) {
      if (this.state === Top.InArray) i = this.scanInArray(i, n);
      else if (this.st.inString) i = this.scanString(i, n);
      else if (this.state === Top.InValue) i = this.scanInValue(i);
      else {
        const c = buf[i];
        if (!isWhitespace(c)) this.readStructural(c, bufStart + i);
        i++;
      }
    }
    // Checked per chunk and per element rather than per byte: keeps the hot loop lean.
    const st = this.st;
    if (this.state === Top.InArray && st.elementStart >= 0 && bufStart + n - st.elementStart > this.limits.maxElementBytes)
      throw this.withKey(elementTooLarge(st, this.where(), this.limits.maxElementBytes));
  }

  /** After the last chunk (the scan ended at offset `total`): the document must be complete. */
  finish(total: number): JsonStreamSummary {
    if (!this.sawRoot) throw new JsonReadError('the file holds only whitespace', { byteOffset: total });
    if (this.state !== Top.Done) {
      const count = this.st.arrayCount;
      const inArray = this.state === Top.InArray;
      const inside = inArray
        ? ` inside ${this.where()} after ${count} complete element${count === 1 ? '' : 's'}`
        : this.key !== null
          ? ` after the key "${this.key}"`
          : '';
      throw new JsonReadError(`the file ends early${inside}: truncated JSON?`, {
        byteOffset: total,
        key: this.key,
        index: inArray ? count : undefined,
      });
    }
    return this.summary;
  }

  private where(): string {
    return this.key === null ? 'the root array' : `"${this.key}"`;
  }

  /** Errors from the hot loop do not know the key; add it. */
  private withKey(e: unknown): unknown {
    if (e instanceof JsonReadError && e.location.key === undefined) e.location.key = this.key;
    return e;
  }

  /** Inside a top-level array: runs the scanner to the chunk's end, a batch boundary or the `]`. */
  private scanInArray(from: number, n: number): number {
    const st = this.st;
    let code: number;
    try {
      code = this.scanArray(st, this.buf, from, n, this.bufStart, this.limits.batchBytes, this.limits.maxElementBytes, this.where());
    } catch (e) {
      throw this.withKey(e);
    }
    const i = st.pos;
    if (code === ScanFlush) {
      this.flushBatch(this.bufStart + i);
      st.batchStart = this.bufStart + i + 1;
      return i + 1;
    }
    if (code === ScanClosed) {
      this.closeArray(this.bufStart + i);
      return i + 1;
    }
    return i;
  }

  /** Hands the wanted array's pending elements, up to file offset `endOffset`, to `onBatch`. */
  private flushBatch(endOffset: number): void {
    const st = this.st;
    if (st.batchStart < 0) return;
    const count = st.arrayCount - st.batchFirstIndex;
    const bytes = this.buf.subarray(st.batchStart - this.bufStart, endOffset - this.bufStart);
    // An empty tail after a trailing comma still goes out, so that the comma is reported.
    if (count > 0 || bytes.some((c) => !isWhitespace(c)))
      this.handlers.onBatch({ key: this.key, bytes, byteOffset: st.batchStart, firstIndex: st.batchFirstIndex, count });
    st.batchFirstIndex = st.arrayCount;
    st.batchStart = -1;
  }

  /** At the `[` (file offset `offset`) of a top-level array. */
  private startArray(offset: number): void {
    const st = this.st;
    st.arrayDepth = st.depth;
    st.arrayCount = 0;
    st.elementStart = -1;
    st.arrayWanted = this.handlers.wantArray(this.key);
    st.batchStart = st.arrayWanted ? offset + 1 : -1;
    st.batchFirstIndex = 0;
    this.state = Top.InArray;
  }

  /** At the `]` (file offset `offset`) that closes a top-level array. */
  private closeArray(offset: number): void {
    const st = this.st;
    const key = this.key;
    if (st.elementStart >= 0) {
      if (offset - st.elementStart > this.limits.maxElementBytes)
        throw this.withKey(elementTooLarge(st, this.where(), this.limits.maxElementBytes));
      st.arrayCount++;
    }
    if (st.arrayWanted) {
      this.flushBatch(offset);
      this.summary.arrayLengths.set(key ?? '', st.arrayCount);
    } else this.summary.skippedArrays.push(key ?? '');
    this.handlers.onArrayEnd?.(key, st.arrayWanted ? st.arrayCount : null);
    st.elementStart = -1;
    st.depth--;
    this.state = key === null ? Top.Done : Top.CommaOrEnd;
  }

  /** Inside a string outside the arrays (a key, or in a member value): jumps to its closing quote. */
  private scanString(i: number, n: number): number {
    const st = this.st;
    const buf = this.buf;
    if (st.escaped) {
      st.escaped = false;
      return i + 1;
    }
    const q = buf.indexOf(QUOTE, i);
    if (q < 0) {
      st.escaped = buf[n - 1] === BACKSLASH && countBackslashes(buf, n - 1, i) % 2 === 1;
      return n;
    }
    if (countBackslashes(buf, q - 1, i) % 2 === 1) return q + 1;
    st.inString = false;
    if (this.state === Top.InKey) this.endKey(q + 1);
    return q + 1;
  }

  /** The closing quote of a top-level key ends just before buffer index `end`. */
  private endKey(end: number): void {
    const keyBytes = this.bufStart + end - this.keyStart;
    if (keyBytes > this.limits.maxKeyBytes)
      throw new JsonReadError(`a top-level key is ${formatBytes(keyBytes)} long`, { byteOffset: this.keyStart });
    const key = JSON.parse(utf8.decode(this.buf.subarray(this.keyStart - this.bufStart, end))) as string;
    this.key = key;
    this.summary.keys.push(key);
    this.handlers.onKey?.(key, this.keyStart);
    this.state = Top.Colon;
  }

  /** One byte (outside strings) of a non-array member value, captured or skipped. */
  private scanInValue(i: number): number {
    const st = this.st;
    const c = this.buf[i];
    if (c === QUOTE) st.inString = true;
    else if (c === LBRACE || c === LBRACKET) st.depth++;
    else if (c === RBRACE || c === RBRACKET) st.depth--;
    const atEnd = (c === COMMA && st.depth === 1) || (c === RBRACE && st.depth === 0);
    if (this.valueWanted && this.bufStart + i - this.valueStart > this.limits.maxElementBytes)
      throw new JsonReadError(
        `the value of "${this.key}" is larger than ${formatBytes(this.limits.maxElementBytes)} (a huge string?)`,
        { byteOffset: this.valueStart, key: this.key },
      );
    if (atEnd) this.endValue(i, c);
    return i + 1;
  }

  /** The member value ends just before buffer index `i`, at the `,` or `}` byte `c`. */
  private endValue(i: number, c: number): void {
    if (this.valueWanted) {
      const text = utf8.decode(this.buf.subarray(this.valueStart - this.bufStart, i));
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (e) {
        throw new JsonReadError(`the value of "${this.key}" is not valid JSON (${(e as Error).message})`, {
          byteOffset: this.valueStart,
          key: this.key,
        });
      }
      this.handlers.onValue?.(this.key!, value);
    }
    if (c === RBRACE) {
      this.st.depth = 0;
      this.state = Top.Done;
    } else {
      this.st.depth = 1;
      this.state = Top.ObjKey;
    }
  }

  /** A non-whitespace byte `c` at file offset `offset` between the top-level tokens. */
  private readStructural(c: number, offset: number): void {
    switch (this.state) {
      case Top.Start:
        this.startRoot(c, offset);
        break;
      case Top.ObjKeyOrEnd:
      case Top.ObjKey:
        if (c === QUOTE) {
          this.keyStart = offset;
          this.st.inString = true;
          this.state = Top.InKey;
        } else if (c === RBRACE && this.state === Top.ObjKeyOrEnd) {
          this.st.depth = 0;
          this.state = Top.Done;
        } else {
          throw new JsonReadError(`expected a key (a quoted string) but found ${describeByte(c)}`, { byteOffset: offset });
        }
        break;
      case Top.Colon:
        if (c !== COLON)
          throw new JsonReadError(`expected ':' after the key "${this.key}" but found ${describeByte(c)}`, {
            byteOffset: offset,
            key: this.key,
          });
        this.state = Top.Value;
        break;
      case Top.Value:
        this.startMemberValue(c, offset);
        break;
      case Top.CommaOrEnd:
        if (c === COMMA) this.state = Top.ObjKey;
        else if (c === RBRACE) {
          this.st.depth = 0;
          this.state = Top.Done;
        } else
          throw new JsonReadError(`expected ',' or '}' after the value of "${this.key}" but found ${describeByte(c)}`, {
            byteOffset: offset,
            key: this.key,
          });
        break;
      case Top.Done:
        throw new JsonReadError(`unexpected ${describeByte(c)} after the end of the JSON document`, { byteOffset: offset });
      default:
        break;
    }
  }

  /** The first non-whitespace byte of the document: `{` or `[`. */
  private startRoot(c: number, offset: number): void {
    this.sawRoot = true;
    if (c === LBRACE) {
      this.summary.rootKind = 'object';
      this.st.depth = 1;
      this.state = Top.ObjKeyOrEnd;
    } else if (c === LBRACKET) {
      this.summary.rootKind = 'array';
      this.st.depth = 1;
      this.key = null;
      this.startArray(offset);
    } else {
      const kind = c === QUOTE || c === 45 || (c >= 48 && c <= 57) ? kindOfValueStart(c) : describeByte(c);
      throw new JsonReadError(`the top level is ${kind}; expected an object or an array`, { byteOffset: offset });
    }
  }

  /** The first byte of a member value, after its key's colon: an array, or a value to capture or skip. */
  private startMemberValue(c: number, offset: number): void {
    if (c === LBRACKET) {
      this.st.depth = 2;
      this.startArray(offset);
      return;
    }
    if (c === RBRACE || c === COMMA || c === RBRACKET || c === COLON)
      throw new JsonReadError(`the key "${this.key}" has no value`, { byteOffset: offset, key: this.key });
    this.valueWanted = this.handlers.wantValue?.(this.key!, kindOfValueStart(c), offset) ?? false;
    this.valueStart = offset;
    this.state = Top.InValue;
    if (c === QUOTE) this.st.inString = true;
    else if (c === LBRACE) this.st.depth = 2;
  }
}

/**
 * A batch failed to parse: split it into elements and parse each alone to name the bad one.
 * Only runs on the error path, so it may be slow.
 */
function locateBadElement(bytes: Uint8Array, fileOffset: number, firstIndex: number, key: string | null): JsonReadError {
  const where = key === null ? 'the root array' : `"${key}"`;
  let depth = 0;
  let inString = false;
  let start = 0;
  let index = firstIndex;
  const parsesWithNonFinite = (from: number, to: number): boolean => {
    const rewritten = rewriteNonFinite(bytes, from, to, index);
    if (!rewritten) return false;
    try {
      JSON.parse(utf8.decode(rewritten.bytes));
      return true;
    } catch {
      return false;
    }
  };
  const tryElement = (from: number, to: number): JsonReadError | null => {
    const text = utf8.decode(bytes.subarray(from, to));
    if (text.trim() === '') {
      return new JsonReadError(`empty element in ${where}`, { byteOffset: fileOffset + from, key, index });
    }
    try {
      JSON.parse(text);
      return null;
    } catch (e) {
      if (parsesWithNonFinite(from, to)) return null;
      const lead = text.length - text.trimStart().length;
      return new JsonReadError(`element ${index} of ${where} is not valid JSON: ${(e as Error).message}`, {
        byteOffset: fileOffset + from + lead,
        key,
        index,
      });
    }
  };
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i];
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
      continue;
    }
    if (c === QUOTE) inString = true;
    else if (c === LBRACE || c === LBRACKET) depth++;
    else if (c === RBRACE || c === RBRACKET) depth--;
    else if (c === COMMA && depth === 0) {
      const err = tryElement(start, i);
      if (err) return err;
      start = i + 1;
      index++;
    }
  }
  return (
    tryElement(start, bytes.length) ??
    new JsonReadError(`a batch of ${where} is not valid JSON`, { byteOffset: fileOffset, key, index: firstIndex })
  );
}
