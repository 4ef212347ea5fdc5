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
import { BACKSLASH, COLON, COMMA, LBRACE, LBRACKET, QUOTE, RBRACE, RBRACKET, countBackslashes, describeByte, formatBytes } from './bytes.ts';

export { formatBytes } from './bytes.ts';

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

/** Parses a batch's bytes into its elements; a bad element is reported with its index and offset. */
export function parseBatch(bytes: Uint8Array, byteOffset: number, firstIndex: number, key: string | null): unknown[] {
  const text = utf8.decode(bytes);
  try {
    return JSON.parse('[' + text + ']') as unknown[];
  } catch {
    throw text.trim().length === 0
      ? new JsonReadError(`a trailing comma in ${key === null ? 'the root array' : `"${key}"`}`, { byteOffset, key, index: firstIndex })
      : locateBadElement(bytes, byteOffset, firstIndex, key);
  }
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

function kindOfValueStart(c: number): string {
  if (c === QUOTE) return 'a string';
  if (c === LBRACE) return 'an object';
  if (c === LBRACKET) return 'an array';
  if (c === 116 || c === 102) return 'a boolean';
  if (c === 110) return 'null';
  if (c === 45 || (c >= 48 && c <= 57)) return 'a number';
  return describeByte(c);
}

/** Recognises files that are certainly not JSON, from their first bytes. */
export function sniffBinary(head: Uint8Array): string | null {
  const starts = (...sig: number[]) => sig.every((b, i) => head[i] === b);
  if (starts(0x89, 0x50, 0x4e, 0x47)) return 'a PNG image';
  if (starts(0xff, 0xd8, 0xff)) return 'a JPEG image';
  if (starts(0x50, 0x4b, 0x03, 0x04)) return 'a ZIP archive';
  if (starts(0x1f, 0x8b)) return 'a gzip archive';
  if (starts(0x25, 0x50, 0x44, 0x46)) return 'a PDF document';
  if (starts(0x47, 0x49, 0x46, 0x38)) return 'a GIF image';
  if (starts(0xff, 0xfe) || starts(0xfe, 0xff)) return 'UTF-16 text (save it as UTF-8)';
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
  const chunkBytes = options.chunkBytes ?? 8 * 1024 * 1024;
  const batchBytes = options.batchBytes ?? 2 * 1024 * 1024;
  const maxElementBytes = options.maxElementBytes ?? 64 * 1024 * 1024;
  const maxKeyBytes = options.maxKeyBytes ?? 64 * 1024;
  const total = source.size;
  const scanArray: ArrayScanner = (options.scanner !== 'js' && createWasmScanner()) || scanArrayJs;

  if (total === 0) throw new JsonReadError('the file is empty (0 bytes)', { byteOffset: 0 });

  const summary: JsonStreamSummary = { rootKind: 'object', keys: [], arrayLengths: new Map(), skippedArrays: [], bytes: total };

  // `buf` holds the unconsumed tail of earlier chunks followed by the newest chunk;
  // `bufStart` is the file offset of buf[0].
  let buf = new Uint8Array(0);
  let bufStart = 0;
  let readPos = 0;
  // Read ahead: up to `readAhead` slices load while earlier ones are scanned.
  const readAhead = options.readAhead ?? 3;
  const reads: Promise<ArrayBuffer>[] = [];
  let requested = 0;

  const st: ScanState = {
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
  let state: Top = Top.Start;
  let key: string | null = null;
  let keyStart = -1; // file offset of the opening quote of the current key
  let valueStart = -1; // file offset of a captured non-array member value
  let valueWanted = false;
  let sawRoot = false;

  const where = () => (key === null ? 'the root array' : `"${key}"`);
  /** Errors from the hot loop do not know the key; add it. */
  const withKey = (e: unknown) => {
    if (e instanceof JsonReadError && e.location.key === undefined) e.location.key = key;
    return e;
  };

  const flushBatch = (endOffset: number) => {
    if (st.batchStart < 0) return;
    const count = st.arrayCount - st.batchFirstIndex;
    const bytes = buf.subarray(st.batchStart - bufStart, endOffset - bufStart);
    // An empty tail after a trailing comma still goes out, so that the comma is reported.
    if (count > 0 || bytes.some((c) => !isWhitespace(c)))
      handlers.onBatch({ key, bytes, byteOffset: st.batchStart, firstIndex: st.batchFirstIndex, count });
    st.batchFirstIndex = st.arrayCount;
    st.batchStart = -1;
  };

  const startArray = (offset: number): Top => {
    st.arrayDepth = st.depth;
    st.arrayCount = 0;
    st.elementStart = -1;
    st.arrayWanted = handlers.wantArray(key);
    st.batchStart = st.arrayWanted ? offset + 1 : -1;
    st.batchFirstIndex = 0;
    return Top.InArray;
  };

  for (;;) {
    // Keep only what an open token still needs, then append the next chunk.
    let keepFrom = bufStart + buf.length;
    if (state === Top.InKey) keepFrom = keyStart;
    if (state === Top.InArray && st.batchStart >= 0) keepFrom = st.batchStart;
    if (state === Top.InValue && valueWanted) keepFrom = valueStart;
    const keepLen = bufStart + buf.length - keepFrom;

    if (readPos >= total) break;
    const end = Math.min(total, readPos + chunkBytes);
    while (reads.length < readAhead && requested < total) {
      reads.push(source.slice(requested, Math.min(total, requested + chunkBytes)).arrayBuffer());
      requested = Math.min(total, requested + chunkBytes);
    }
    const pending = reads.shift()!;
    const chunk = new Uint8Array(await pending);
    if (readPos === 0) {
      const binary = sniffBinary(chunk);
      if (binary) throw new JsonReadError(`this is ${binary}, not JSON`, { byteOffset: 0 });
    }
    if (keepLen === 0) buf = chunk;
    else {
      const next = new Uint8Array(keepLen + chunk.length);
      next.set(buf.subarray(buf.length - keepLen), 0);
      next.set(chunk, keepLen);
      buf = next;
    }
    bufStart = keepFrom;
    let i = readPos - bufStart; // first new byte
    readPos = end;
    // A UTF-8 byte order mark is allowed at the very start.
    if (bufStart + i === 0 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) i = 3;

    const n = buf.length;
    while (i < n) {
      if (state === Top.InArray) {
        let code: number;
        try {
          code = scanArray(st, buf, i, n, bufStart, batchBytes, maxElementBytes, where());
        } catch (e) {
          throw withKey(e);
        }
        i = st.pos;
        if (code === ScanFlush) {
          flushBatch(bufStart + i);
          st.batchStart = bufStart + i + 1;
          i++;
        } else if (code === ScanClosed) {
          if (st.elementStart >= 0) {
            if (bufStart + i - st.elementStart > maxElementBytes) throw withKey(elementTooLarge(st, where(), maxElementBytes));
            st.arrayCount++;
          }
          if (st.arrayWanted) {
            flushBatch(bufStart + i);
            summary.arrayLengths.set(key ?? '', st.arrayCount);
          } else summary.skippedArrays.push(key ?? '');
          handlers.onArrayEnd?.(key, st.arrayWanted ? st.arrayCount : null);
          st.elementStart = -1;
          st.depth--;
          state = key === null ? Top.Done : Top.CommaOrEnd;
          i++;
        }
        continue;
      }

      if (st.inString) {
        if (st.escaped) {
          st.escaped = false;
          i++;
          continue;
        }
        const q = buf.indexOf(QUOTE, i);
        if (q < 0) {
          st.escaped = buf[n - 1] === BACKSLASH && countBackslashes(buf, n - 1, i) % 2 === 1;
          i = n;
          break;
        }
        if (countBackslashes(buf, q - 1, i) % 2 === 1) {
          i = q + 1;
          continue;
        }
        st.inString = false;
        i = q + 1;
        if (state === Top.InKey) {
          const keyBytes = bufStart + i - keyStart;
          if (keyBytes > maxKeyBytes)
            throw new JsonReadError(`a top-level key is ${formatBytes(keyBytes)} long`, { byteOffset: keyStart });
          key = JSON.parse(utf8.decode(buf.subarray(keyStart - bufStart, i))) as string;
          summary.keys.push(key);
          handlers.onKey?.(key, keyStart);
          state = Top.Colon;
        }
        continue;
      }

      const c = buf[i];

      if (state === Top.InValue) {
        if (c === QUOTE) st.inString = true;
        else if (c === LBRACE || c === LBRACKET) st.depth++;
        else if (c === RBRACE || c === RBRACKET) st.depth--;
        const atEnd = (c === COMMA && st.depth === 1) || (c === RBRACE && st.depth === 0);
        if (valueWanted && bufStart + i - valueStart > maxElementBytes)
          throw new JsonReadError(
            `the value of "${key}" is larger than ${formatBytes(maxElementBytes)} (a huge string?)`,
            { byteOffset: valueStart, key },
          );
        if (atEnd) {
          if (valueWanted) {
            const text = utf8.decode(buf.subarray(valueStart - bufStart, i));
            let value: unknown;
            try {
              value = JSON.parse(text);
            } catch (e) {
              throw new JsonReadError(`the value of "${key}" is not valid JSON (${(e as Error).message})`, {
                byteOffset: valueStart,
                key,
              });
            }
            handlers.onValue?.(key!, value);
          }
          if (c === RBRACE) {
            st.depth = 0;
            state = Top.Done;
          } else {
            st.depth = 1;
            state = Top.ObjKey;
          }
        }
        i++;
        continue;
      }

      if (isWhitespace(c)) {
        i++;
        continue;
      }
      const offset = bufStart + i;
      switch (state) {
        case Top.Start:
          sawRoot = true;
          if (c === LBRACE) {
            summary.rootKind = 'object';
            st.depth = 1;
            state = Top.ObjKeyOrEnd;
          } else if (c === LBRACKET) {
            summary.rootKind = 'array';
            st.depth = 1;
            key = null;
            state = startArray(offset);
          } else {
            const kind = c === QUOTE || c === 45 || (c >= 48 && c <= 57) ? kindOfValueStart(c) : describeByte(c);
            throw new JsonReadError(`the top level is ${kind}; expected an object or an array`, {
              byteOffset: offset,
            });
          }
          break;
        case Top.ObjKeyOrEnd:
        case Top.ObjKey:
          if (c === QUOTE) {
            keyStart = offset;
            st.inString = true;
            state = Top.InKey;
          } else if (c === RBRACE && state === Top.ObjKeyOrEnd) {
            st.depth = 0;
            state = Top.Done;
          } else {
            throw new JsonReadError(`expected a key (a quoted string) but found ${describeByte(c)}`, {
              byteOffset: offset,
            });
          }
          break;
        case Top.Colon:
          if (c !== COLON)
            throw new JsonReadError(`expected ':' after the key "${key}" but found ${describeByte(c)}`, {
              byteOffset: offset,
              key,
            });
          state = Top.Value;
          break;
        case Top.Value:
          if (c === LBRACKET) {
            st.depth = 2;
            state = startArray(offset);
          } else {
            if (c === RBRACE || c === COMMA || c === RBRACKET || c === COLON)
              throw new JsonReadError(`the key "${key}" has no value`, { byteOffset: offset, key });
            valueWanted = handlers.wantValue?.(key!, kindOfValueStart(c), offset) ?? false;
            valueStart = offset;
            state = Top.InValue;
            if (c === QUOTE) st.inString = true;
            else if (c === LBRACE) st.depth = 2;
          }
          break;
        case Top.CommaOrEnd:
          if (c === COMMA) state = Top.ObjKey;
          else if (c === RBRACE) {
            st.depth = 0;
            state = Top.Done;
          } else
            throw new JsonReadError(`expected ',' or '}' after the value of "${key}" but found ${describeByte(c)}`, {
              byteOffset: offset,
              key,
            });
          break;
        case Top.Done:
          throw new JsonReadError(`unexpected ${describeByte(c)} after the end of the JSON document`, {
            byteOffset: offset,
          });
        default:
          break;
      }
      i++;
    }

    // Checked per chunk and per element rather than per byte: keeps the hot loop lean.
    if (state === Top.InArray && st.elementStart >= 0 && bufStart + n - st.elementStart > maxElementBytes)
      throw withKey(elementTooLarge(st, where(), maxElementBytes));
    options.onProgress?.(readPos, total);
    if (options.afterChunk) await options.afterChunk();
  }

  if (!sawRoot) throw new JsonReadError('the file holds only whitespace', { byteOffset: total });
  if (state !== Top.Done) {
    const count = st.arrayCount;
    const inside =
      state === Top.InArray
        ? ` inside ${where()} after ${count} complete element${count === 1 ? '' : 's'}`
        : key !== null
          ? ` after the key "${key}"`
          : '';
    throw new JsonReadError(`the file ends early${inside}: truncated JSON?`, {
      byteOffset: total,
      key,
      index: state === Top.InArray ? count : undefined,
    });
  }
  return summary;
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
  const tryElement = (from: number, to: number): JsonReadError | null => {
    const text = utf8.decode(bytes.subarray(from, to));
    if (text.trim() === '') {
      return new JsonReadError(`empty element in ${where}`, { byteOffset: fileOffset + from, key, index });
    }
    try {
      JSON.parse(text);
      return null;
    } catch (e) {
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
