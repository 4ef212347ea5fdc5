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

/** Numbers in messages, as people read them (en-US grouping, the same on every machine). */
const num = (n: number) => n.toLocaleString('en-US');

/** What a .npy header says, checked: a dtype this reader takes and a shape of whole, non-negative sizes. */
export interface NpyHeader {
  descr: NpyArray['dtype'];
  shape: number[];
  /** Where the data starts (the preamble and the header dict). */
  dataOffset: number;
  itemSize: number;
  /** Bytes of data the shape says (values × itemSize). */
  dataBytes: number;
}

/** A limit on the data of one array: its bytes, and the reason in words (after "more than"). */
export interface NpyLimit {
  bytes: number;
  why: string;
}

const itemSizes: Record<string, number> = { '<f4': 4, '<f2': 2, '<f8': 8, '<i4': 4, '<i8': 8 };
const supported = 'float16, float32, float64, int32, int64 or unicode, little-endian';

type PyValue = string | number | boolean | null | PyValue[] | { tuple: PyValue[] } | Map<PyValue, PyValue>;

/**
 * The Python literal of a .npy header (what numpy.lib.format reads with ast.literal_eval): a dict
 * of strings, numbers, booleans, tuples and lists. Throws saying what it found and where.
 */
function parsePyLiteral(text: string): PyValue {
  let i = 0;
  const fail = (what: string): never => {
    throw new Error(`${what} at character ${i} of the header (${JSON.stringify(text.slice(Math.max(0, i - 20), i + 20))})`);
  };
  const space = () => {
    while (i < text.length && /\s/.test(text[i])) i++;
  };
  const sequence = (close: string): PyValue[] => {
    const items: PyValue[] = [];
    for (;;) {
      space();
      if (text[i] === close) return i++, items;
      items.push(value());
      space();
      if (text[i] === ',') i++;
      else if (text[i] !== close) fail(`expected "," or "${close}"`);
    }
  };
  const value = (): PyValue => {
    space();
    const c = text[i];
    if (c === "'" || c === '"') {
      const end = text.indexOf(c, i + 1);
      if (end < 0) fail('a string that never ends');
      const s = text.slice(i + 1, end);
      i = end + 1;
      return s;
    }
    if (c === '(') return i++, { tuple: sequence(')') };
    if (c === '[') return i++, sequence(']');
    if (c === '{') {
      i++;
      const dict = new Map<PyValue, PyValue>();
      for (;;) {
        space();
        if (text[i] === '}') return i++, dict;
        const key = value();
        space();
        if (text[i] !== ':') fail('expected ":"');
        i++;
        dict.set(key, value());
        space();
        if (text[i] === ',') i++;
        else if (text[i] !== '}') fail('expected "," or "}"');
      }
    }
    const word = /^(True|False|None|[-+]?(?:\d+\.?\d*(?:e[-+]?\d+)?|\.\d+)L?)/i.exec(text.slice(i))?.[0];
    if (!word) return fail(i >= text.length ? 'the header ends early' : `unexpected ${JSON.stringify(c)}`);
    i += word.length;
    if (word === 'True' || word === 'False') return word === 'True';
    if (word === 'None') return null;
    return Number(word.replace(/L$/i, ''));
  };
  const v = value();
  space();
  if (i < text.length) fail('unexpected text after the dict');
  return v;
}

const shapeText = (shape: number[]) => (shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`);

/** A parsed header value written back as Python writes it, for messages. */
function pyText(v: PyValue): string {
  if (typeof v === 'string') return `'${v}'`;
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (v === null) return 'None';
  if (typeof v === 'number') return String(v);
  if (Array.isArray(v)) return `[${v.map(pyText).join(', ')}]`;
  if (v instanceof Map) return `{${[...v].map(([k, x]) => `${pyText(k)}: ${pyText(x)}`).join(', ')}}`;
  return v.tuple.length === 1 ? `(${pyText(v.tuple[0])},)` : `(${v.tuple.map(pyText).join(', ')})`;
}

/**
 * Reads and checks a .npy preamble and header dict. Needs only the header's bytes; throws an
 * Error in words for a file that is not a .npy, a header it cannot read, a dtype or layout it
 * does not take, or a shape that is not whole non-negative sizes.
 */
export function readNpyHeader(bytes: Uint8Array): NpyHeader {
  if (bytes.length < 10 && magic.every((b, i) => i >= bytes.length || bytes[i] === b))
    throw new Error(`only ${bytes.length} bytes: too short for a .npy file (its preamble alone is 10)`);
  if (!magic.every((b, i) => bytes[i] === b)) {
    const start = Array.from(bytes.subarray(0, 6), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new Error(`not a NumPy .npy file: it starts with the bytes ${start}, not \\x93NUMPY`);
  }
  const [major, minor] = [bytes[6], bytes[7]];
  if (major < 1 || major > 3) throw new Error(`.npy format version ${major}.${minor} is not one NumPy writes (1.0, 2.0 or 3.0)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const start = major === 1 ? 10 : 12;
  if (bytes.length < start) throw new Error(`only ${bytes.length} bytes: too short for a version ${major}.0 .npy preamble`);
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  if (start + headerLength > bytes.length)
    throw new Error(`the preamble announces a ${num(headerLength)}-byte header, but the file ends ${num(bytes.length - start)} bytes after the preamble`);
  const text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(start, start + headerLength));
  let dict: PyValue;
  try {
    dict = parsePyLiteral(text);
  } catch (e) {
    throw new Error(`the header is not a Python dict literal: ${(e as Error).message}`);
  }
  if (!(dict instanceof Map)) throw new Error(`the header is not a Python dict ({'descr': …, 'fortran_order': …, 'shape': (…)}): ${JSON.stringify(text.trim().slice(0, 80))}`);
  for (const key of ['descr', 'fortran_order', 'shape']) if (!dict.has(key)) throw new Error(`the header has no '${key}' (it says ${JSON.stringify(text.trim().slice(0, 120))})`);
  const descr = dict.get('descr');
  const fortran = dict.get('fortran_order');
  const shapeValue = dict.get('shape');
  if (typeof descr !== 'string') throw new Error(`the header's descr is a structured dtype (${pyText(descr as PyValue)}); only plain arrays of ${supported} are read`);
  if (typeof fortran !== 'boolean') throw new Error(`the header's fortran_order is ${pyText(fortran as PyValue)}, not True or False`);
  if (fortran) throw new Error('the array is Fortran-ordered (fortran_order: True), which is not supported: save it with np.ascontiguousarray(a)');
  if (descr.startsWith('>')) throw new Error(`the data is big-endian (${descr}), which is not supported: save it little-endian, e.g. np.save(f, a.astype('<${descr.slice(1)}'))`);
  const unicode = /^<U(\d+)$/.exec(descr);
  const itemSize = unicode ? Number(unicode[1]) * 4 : itemSizes[descr];
  if (itemSize === undefined) throw new Error(`dtype ${descr} is not supported (use ${supported})`);
  if (shapeValue === null || typeof shapeValue !== 'object' || !('tuple' in shapeValue)) throw new Error(`the header's shape is ${shapeValue === undefined ? 'missing' : pyText(shapeValue)}, not a tuple`);
  const shape = shapeValue.tuple as unknown[];
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isInteger(d)) throw new Error(`the header's shape (${shape.map((x) => pyText(x as PyValue)).join(', ')}) has ${pyText(d as PyValue)}, not a whole number`);
    if (d < 0) throw new Error(`the header's shape ${shapeText(shape as number[])} has a negative size, ${d}`);
  }
  const dims = shape as number[];
  const values = dims.reduce((a, b) => a * b, 1);
  const dataBytes = values * itemSize;
  if (!Number.isSafeInteger(dataBytes)) throw new Error(`the header's shape ${shapeText(dims)} of ${descr} is ${dataBytes.toExponential(2)} bytes, more than any file holds`);
  return { descr: descr as NpyArray['dtype'], shape: dims, dataOffset: start + headerLength, itemSize, dataBytes };
}

/**
 * How many bytes the preamble and header of a .npy take, once its first 12 bytes are there
 * (null before): what to wait for before readNpyHeader when the bytes arrive in pieces.
 */
export function npyHeaderEnd(head: Uint8Array): number | null {
  if (head.length < 12) return null;
  if (!magic.every((b, i) => head[i] === b)) return 0; // readNpyHeader says what is wrong
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  return head[6] === 1 ? 10 + view.getUint16(8, true) : 12 + view.getUint32(8, true);
}

/**
 * Reads a .npy file; throws an Error in words for anything it cannot read: see readNpyHeader,
 * and data shorter or longer than the shape says, or over `limit`.
 */
export function readNpy(bytes: Uint8Array, limit?: NpyLimit): NpyArray {
  const { descr, shape, dataOffset, itemSize, dataBytes } = readNpyHeader(bytes);
  if (limit && dataBytes > limit.bytes) throw new Error(`its shape ${shapeText(shape)} of ${descr} is ${num(dataBytes)} bytes, more than ${limit.why}`);
  const have = bytes.length - dataOffset;
  if (have < dataBytes) throw new Error(`it has ${num(have)} bytes of data, but shape ${shapeText(shape)} of ${descr} needs ${num(dataBytes)}: the file is cut short`);
  if (have > dataBytes) throw new Error(`it has ${num(have - dataBytes)} bytes more than shape ${shapeText(shape)} of ${descr} needs (${num(dataBytes)}): the shape or the data is wrong`);
  const n = itemSize ? dataBytes / itemSize : shape.reduce((a, b) => a * b, 1);
  // A fresh, aligned copy (a typed array view needs its offset aligned; Node's Buffer.slice would not copy).
  const body = new Uint8Array(dataBytes);
  body.set(bytes.subarray(dataOffset));
  switch (descr) {
    case '<f4':
      return { dtype: descr, shape, data: new Float32Array(body.buffer, 0, n) };
    case '<f2':
      return { dtype: descr, shape, data: new Uint16Array(body.buffer, 0, n) };
    case '<f8':
      return { dtype: descr, shape, data: new Float64Array(body.buffer, 0, n) };
    case '<i4':
      return { dtype: descr, shape, data: new Int32Array(body.buffer, 0, n) };
    case '<i8':
      return { dtype: descr, shape, data: new BigInt64Array(body.buffer, 0, n) };
  }
  const width = itemSize / 4;
  const v = new DataView(body.buffer);
  const data: string[] = [];
  for (let i = 0; i < n; i++) {
    let s = '';
    for (let k = 0; k < width; k++) {
      const p = v.getUint32((i * width + k) * 4, true);
      if (p === 0) break;
      if (p > 0x10ffff) throw new Error(`string ${i} holds ${p}, which is not a Unicode code point`);
      s += String.fromCodePoint(p);
    }
    data.push(s);
  }
  return { dtype: descr, shape, data };
}
