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

/**
 * Length of the UTF-8 sequence at `bytes[i]` when it is valid (1–4), else minus the length of
 * its maximal invalid subpart (the bytes one U+FFFD replaces, per WHATWG and Python alike).
 */
export function utf8SequenceAt(bytes: Uint8Array, i: number): number {
  const b = bytes[i];
  if (b < 0x80) return 1;
  let need: number;
  let lo = 0x80;
  let hi = 0xbf;
  if (b >= 0xc2 && b <= 0xdf) need = 1;
  else if (b >= 0xe0 && b <= 0xef) {
    need = 2;
    if (b === 0xe0) lo = 0xa0;
    else if (b === 0xed) hi = 0x9f;
  } else if (b >= 0xf0 && b <= 0xf4) {
    need = 3;
    if (b === 0xf0) lo = 0x90;
    else if (b === 0xf4) hi = 0x8f;
  } else return -1;
  for (let k = 1; k <= need; k++) {
    const c = bytes[i + k];
    if (c === undefined || c < lo || c > hi) return -k;
    lo = 0x80;
    hi = 0xbf;
  }
  return need + 1;
}

const utf8Decoder = new TextDecoder('utf-8', { ignoreBOM: true });

/**
 * Decodes UTF-8, reading each invalid sequence's bytes as Latin-1 (one character per byte)
 * instead of U+FFFD: a Latin-1 file's "é" comes out right, and two names that differ only in
 * such a byte stay two names. Returns the count of invalid sequences and where the first starts.
 */
export function decodeUtf8OrLatin1(bytes: Uint8Array): { text: string; invalid: number; firstInvalid: number } {
  let text = '';
  let invalid = 0;
  let firstInvalid = -1;
  let runStart = 0;
  for (let i = 0; i < bytes.length; ) {
    if (bytes[i] < 0x80) {
      i++;
      continue;
    }
    const n = utf8SequenceAt(bytes, i);
    if (n > 0) {
      i += n;
      continue;
    }
    if (firstInvalid < 0) firstInvalid = i;
    invalid++;
    text += utf8Decoder.decode(bytes.subarray(runStart, i));
    for (let k = 0; k < -n; k++) text += String.fromCharCode(bytes[i + k]);
    i -= n;
    runStart = i;
  }
  text += utf8Decoder.decode(bytes.subarray(runStart));
  return { text, invalid, firstInvalid };
}
