/**
 * NumPy's .npy format, version 1.0 (numpy.lib.format): the magic "\x93NUMPY", version 1.0, a
 * little-endian uint16 header length, an ASCII dict literal {'descr', 'fortran_order', 'shape'}
 * padded with spaces and a newline so that the data starts at a multiple of 64 bytes, then the
 * array in C order, little-endian.
 */

export type NpyArray =
  | { dtype: '<f4'; shape: number[]; data: Float32Array }
  | { dtype: '<f2'; shape: number[]; data: Uint16Array }
  | { dtype: '<f8'; shape: number[]; data: Float64Array }
  | { dtype: '<i4'; shape: number[]; data: Int32Array }
  | { dtype: '<i8'; shape: number[]; data: BigInt64Array }
  | { dtype: `<U${number}`; shape: number[]; data: string[] };

const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];

function shapeLiteral(shape: number[]): string {
  if (shape.length === 0) return '()';
  if (shape.length === 1) return `(${shape[0]},)`;
  return `(${shape.join(', ')})`;
}

function headerBytes(descr: string, shape: number[]): Uint8Array {
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeLiteral(shape)}, }`;
  const unpadded = magic.length + 2 + 2 + dict.length + 1;
  const total = Math.ceil(unpadded / 64) * 64;
  const text = dict + ' '.repeat(total - unpadded) + '\n';
  const out = new Uint8Array(total);
  out.set(magic, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, text.length, true);
  for (let i = 0; i < text.length; i++) out[10 + i] = text.charCodeAt(i);
  return out;
}

function count(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** The bytes of a .npy file. Typed arrays are written as they are (this library runs little-endian). */
export function writeNpy(array: NpyArray): Uint8Array {
  const n = count(array.shape);
  if (array.data.length !== n) throw new Error(`npy: ${array.data.length} values for shape ${shapeLiteral(array.shape)}`);
  if (array.dtype.startsWith('<U')) {
    const width = Number(array.dtype.slice(2));
    const header = headerBytes(array.dtype, array.shape);
    const out = new Uint8Array(header.length + n * width * 4);
    out.set(header);
    const view = new DataView(out.buffer);
    (array.data as string[]).forEach((s, i) => {
      const points = Array.from(s, (ch) => ch.codePointAt(0)!);
      if (points.length > width) throw new Error(`npy: "${s}" is longer than ${array.dtype}`);
      points.forEach((p, k) => view.setUint32(header.length + (i * width + k) * 4, p, true));
    });
    return out;
  }
  const data = array.data as Float32Array | Uint16Array | Float64Array | Int32Array | BigInt64Array;
  const header = headerBytes(array.dtype, array.shape);
  const out = new Uint8Array(header.length + data.byteLength);
  out.set(header);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), header.length);
  return out;
}

/** A unicode dtype wide enough for every string (NumPy's `<U{max length}`). */
export function unicodeArray(strings: string[]): NpyArray {
  // A loop, not Math.max(...spread): a million strings would overflow the call stack.
  let width = 1;
  for (const s of strings) {
    if (s.length > width) width = Math.max(width, [...s].length);
  }
  return { dtype: `<U${width}`, shape: [strings.length], data: strings };
}

/** Reads a .npy file; throws an Error saying what is wrong for anything it cannot read. */
export function readNpy(bytes: Uint8Array): NpyArray {
  if (bytes.length < 10 || !magic.every((b, i) => bytes[i] === b)) throw new Error('not a .npy file (no \\x93NUMPY magic)');
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  const header = new TextDecoder('latin1').decode(bytes.subarray(start, start + headerLength));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeText === undefined) throw new Error(`unreadable .npy header: ${header.trim()}`);
  if (fortran === 'True') throw new Error('Fortran-ordered arrays are not supported (save with np.ascontiguousarray)');
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(Number);
  const n = count(shape);
  const offset = start + headerLength;
  // A fresh, aligned copy (a typed array view needs its offset aligned; Node's Buffer.slice would not copy).
  const body = new Uint8Array(bytes.length - offset);
  body.set(bytes.subarray(offset));
  const need = (size: number) => {
    if (body.length < n * size) throw new Error(`the .npy data is truncated: ${body.length} bytes for ${n} values of ${descr}`);
  };
  switch (descr) {
    case '<f4':
      need(4);
      return { dtype: descr, shape, data: new Float32Array(body.buffer, 0, n) };
    case '<f2':
      need(2);
      return { dtype: descr, shape, data: new Uint16Array(body.buffer, 0, n) };
    case '<f8':
      need(8);
      return { dtype: descr, shape, data: new Float64Array(body.buffer, 0, n) };
    case '<i4':
      need(4);
      return { dtype: descr, shape, data: new Int32Array(body.buffer, 0, n) };
    case '<i8':
      need(8);
      return { dtype: descr, shape, data: new BigInt64Array(body.buffer, 0, n) };
  }
  const unicode = /^<U(\d+)$/.exec(descr);
  if (unicode) {
    const width = Number(unicode[1]);
    need(width * 4);
    const v = new DataView(body.buffer);
    const data: string[] = [];
    for (let i = 0; i < n; i++) {
      let s = '';
      for (let k = 0; k < width; k++) {
        const p = v.getUint32((i * width + k) * 4, true);
        if (p === 0) break;
        s += String.fromCodePoint(p);
      }
      data.push(s);
    }
    return { dtype: descr as `<U${number}`, shape, data };
  }
  throw new Error(`dtype ${descr} is not supported (use float32, float16, float64, int32, int64 or unicode)`);
}
