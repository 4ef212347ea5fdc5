/** Small typed-array helpers shared by the core and the workers. */

/** Joins `parts` end to end into one new array (empty parts allowed; the parts are not modified). */
export function concatInt32(parts: Int32Array[]): Int32Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Int32Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
