/** Byte-level helpers shared by the JSON reader and its array scanners. */

export const QUOTE = 34;
export const BACKSLASH = 92;
export const LBRACE = 123;
export const RBRACE = 125;
export const LBRACKET = 91;
export const RBRACKET = 93;
export const COMMA = 44;
export const COLON = 58;


export function describeByte(c: number): string {
  if (c >= 32 && c < 127) return `'${String.fromCharCode(c)}'`;
  return `byte 0x${c.toString(16).padStart(2, '0')}`;
}


/** Counts backslashes ending at `pos` (inclusive), not looking before `floor`. */
export function countBackslashes(buf: Uint8Array, pos: number, floor: number): number {
  let n = 0;
  while (pos >= floor && buf[pos] === BACKSLASH) {
    n++;
    pos--;
  }
  // A run reaching `floor` may continue before it; callers pass the string start as floor,
  // and a string cannot start with an escaped quote, so this is exact within one string.
  return n;
}

/** Decimal units, as file managers and Kaggle show sizes (667 MB for Herbarium's metadata). */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  if (n < 1e6) return `${(n / 1e3).toFixed(1)} kB`;
  if (n < 1e9) return `${(n / 1e6).toFixed(1)} MB`;
  return `${(n / 1e9).toFixed(2)} GB`;
}

