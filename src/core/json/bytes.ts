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
