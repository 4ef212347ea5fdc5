/**
 * Array scanners: find element boundaries in a top-level JSON array. Two implementations of one
 * contract: WebAssembly with SIMD (the fast path) and plain JS (the fallback where WebAssembly
 * SIMD is unavailable, and the reference the tests compare it with).
 */

import { JsonReadError } from './jsonErrors.ts';
import { arrayScannerWasmBase64 } from './arrayScannerWasm.ts';
import { BACKSLASH, COMMA, LBRACE, LBRACKET, QUOTE, RBRACE, RBRACKET, countBackslashes, describeByte } from './bytes.ts';
import { formatBytes } from '../units.ts';

/** Where a scan of array elements stopped. */
export const ScanEnd = 0; // consumed the buffer
export const ScanClosed = 1; // at the `]` that closes the array
export const ScanFlush = 2; // at a `,` where the batch is big enough to parse

/** Scanner state that the hot loop reads and writes; a plain object so the loop can keep it in locals. */
export interface ScanState {
  depth: number; // open brackets, root included
  inString: boolean;
  escaped: boolean;
  arrayDepth: number; // depth inside the current top-level array (its own `[` counted)
  arrayWanted: boolean;
  arrayCount: number; // elements completed in the current array
  elementStart: number; // file offset of the current element's first byte, -1 between elements
  batchStart: number; // file offset where the current batch of elements begins, -1 if none
  batchFirstIndex: number;
  pos: number; // where the last scan stopped (buffer index)
}

/** Byte classes for the hot loop; 0 = nothing to do (whitespace, digits, letters, `:`, `.`). */
const Plain = 0;
const Quote = 1;
const Open = 2;
const Close = 3;
const Comma = 4;
const byteClass = new Uint8Array(256);
byteClass[QUOTE] = Quote;
byteClass[LBRACE] = Open;
byteClass[LBRACKET] = Open;
byteClass[RBRACE] = Close;
byteClass[RBRACKET] = Close;
byteClass[COMMA] = Comma;

/** Scans `buf[i..n)` from state `st`; returns a Scan* code and leaves the position in `st.pos`. */
export type ArrayScanner = (
  st: ScanState,
  buf: Uint8Array,
  i: number,
  n: number,
  bufStart: number,
  batchBytes: number,
  maxElementBytes: number,
  where: string,
) => number;

/**
 * The hot loop: elements of a top-level array. Every variable is a local (closure variables
 * would live on the heap and slow the loop several times), plain bytes are skipped by a table
 * lookup in a tight inner loop, and strings are skipped with the native `indexOf`.
 */
export const scanArrayJs: ArrayScanner = (st, buf, i, n, bufStart, batchBytes, maxElementBytes, where) => {
  let depth = st.depth;
  let inString = st.inString;
  let escaped = st.escaped;
  let elementStart = st.elementStart;
  let count = st.arrayCount;
  const arrayDepth = st.arrayDepth;
  const batchLimit = st.arrayWanted && st.batchStart >= 0 ? st.batchStart + batchBytes : Infinity;
  let code = ScanEnd;
  while (i < n) {
    if (inString) {
      if (escaped) {
        escaped = false;
        i++;
        continue;
      }
      const q = buf.indexOf(QUOTE, i);
      if (q < 0) {
        escaped = buf[n - 1] === BACKSLASH && countBackslashes(buf, n - 1, i) % 2 === 1;
        i = n;
        break;
      }
      if (q > i && buf[q - 1] === BACKSLASH && countBackslashes(buf, q - 1, i) % 2 === 1) {
        i = q + 1;
        continue;
      }
      inString = false;
      i = q + 1;
      continue;
    }
    if (elementStart < 0) {
      // Between elements: the next non-whitespace byte starts one, or closes the array.
      const c = buf[i];
      if (c === 32 || c === 10 || c === 13 || c === 9) {
        i++;
        continue;
      }
      if (c === COMMA)
        throw new JsonReadError(`empty element (two commas) in ${where}`, { byteOffset: bufStart + i, index: count });
      if (c !== RBRACKET && c !== RBRACE) elementStart = bufStart + i;
    }
    let k = Plain;
    while (i < n && (k = byteClass[buf[i]]) === Plain) i++;
    if (i >= n) break;
    if (k === Quote) {
      inString = true;
    } else if (k === Open) {
      depth++;
    } else if (k === Close) {
      depth--;
      if (depth < arrayDepth) {
        if (buf[i] !== RBRACKET)
          throw new JsonReadError(`unexpected ${describeByte(buf[i])} inside ${where}`, { byteOffset: bufStart + i, index: count });
        depth++; // the caller closes the array
        code = ScanClosed;
        break;
      }
    } else if (depth === arrayDepth) {
      // A comma between elements.
      if (bufStart + i - elementStart > maxElementBytes) {
        st.elementStart = elementStart;
        st.arrayCount = count;
        throw elementTooLarge(st, where, maxElementBytes);
      }
      count++;
      elementStart = -1;
      if (bufStart + i >= batchLimit) {
        code = ScanFlush;
        break;
      }
    }
    i++;
  }
  st.depth = depth;
  st.inString = inString;
  st.escaped = escaped;
  st.elementStart = elementStart;
  st.arrayCount = count;
  st.pos = i;
  return code;
};

export function elementTooLarge(st: ScanState, where: string, maxElementBytes: number): JsonReadError {
  return new JsonReadError(
    `element ${st.arrayCount} of ${where} is larger than ${formatBytes(maxElementBytes)} (a huge string or object?)`,
    { byteOffset: st.elementStart, index: st.arrayCount },
  );
}


interface ScannerExports {
  memory: WebAssembly.Memory;
  scan(start: number, end: number, arrayDepth: number, batchLimit: number, maxElement: number): number;
  skip(start: number, end: number, arrayDepth: number): number;
  pos: WebAssembly.Global;
  depth: WebAssembly.Global;
  flags: WebAssembly.Global;
  elementStart: WebAssembly.Global;
  count: WebAssembly.Global;
}

const maxI32 = 0x7fffffff;
/** Where the buffer starts in the scanner's memory. */
const bufferOffset = 0;

function decodeBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/**
 * The WebAssembly scanner, or null where WebAssembly cannot run. It keeps a copy of the
 * buffer in its memory: `scanner(…)` copies `buf` there whenever it is handed a new buffer.
 */
export function createWasmScanner(): ArrayScanner | null {
  let x: ScannerExports;
  try {
    const module = new WebAssembly.Module(decodeBase64(arrayScannerWasmBase64) as BufferSource);
    x = new WebAssembly.Instance(module).exports as unknown as ScannerExports;
  } catch {
    return null;
  }
  let mirrored: Uint8Array | null = null;
  return (st, buf, i, n, bufStart, batchBytes, maxElementBytes, where) => {
    if (mirrored !== buf) {
      const needed = bufferOffset + buf.length - x.memory.buffer.byteLength;
      if (needed > 0) x.memory.grow(Math.ceil(needed / 65536));
      new Uint8Array(x.memory.buffer).set(buf, bufferOffset);
      mirrored = buf;
    }
    x.depth.value = st.depth;
    if (!st.arrayWanted) {
      // Nobody reads this array: find its end without element boundaries.
      x.flags.value = (st.inString ? 1 : 0) | (st.escaped ? 2 : 0);
      const code = x.skip(i + bufferOffset, n + bufferOffset, st.arrayDepth);
      const flags = x.flags.value as number;
      st.pos = (x.pos.value as number) - bufferOffset;
      st.depth = x.depth.value as number;
      st.inString = (flags & 1) !== 0;
      st.escaped = (flags & 2) !== 0;
      st.elementStart = -1;
      return code;
    }
    x.flags.value = (st.inString ? 1 : 0) | (st.escaped ? 2 : 0) | (st.elementStart >= 0 ? 4 : 0);
    // Memory indexes are buffer indexes shifted by bufferOffset.
    const base = bufStart - bufferOffset;
    x.elementStart.value = st.elementStart >= 0 ? st.elementStart - base : 0;
    const limit = st.arrayWanted && st.batchStart >= 0 ? st.batchStart + batchBytes - base : maxI32;
    const code = x.scan(i + bufferOffset, n + bufferOffset, st.arrayDepth, Math.min(maxI32, limit), Math.min(maxI32, maxElementBytes));
    const pos = (x.pos.value as number) - bufferOffset;
    const flags = x.flags.value as number;
    st.pos = pos;
    st.depth = x.depth.value as number;
    st.inString = (flags & 1) !== 0;
    st.escaped = (flags & 2) !== 0;
    st.elementStart = flags & 4 ? base + (x.elementStart.value as number) : -1;
    st.arrayCount += x.count.value as number;
    if (code <= ScanFlush) return code;
    if (code === 3)
      throw new JsonReadError(`empty element (two commas) in ${where}`, { byteOffset: bufStart + pos, index: st.arrayCount });
    if (code === 4)
      throw new JsonReadError(`unexpected '}' inside ${where}`, { byteOffset: bufStart + pos, index: st.arrayCount });
    throw elementTooLarge(st, where, maxElementBytes);
  };
}
