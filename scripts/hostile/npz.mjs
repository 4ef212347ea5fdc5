/**
 * Hostile prototypes files for `import-prototypes`: .npy files with every way the header or the
 * data can be wrong, and .npz archives whose members are missing, misshapen, or lie about their
 * size (a 1 GiB member deflated to 1 MB; a member that inflates past what its zip header says).
 * Each case says which words the refusal must contain; the file name is always among them.
 * Made by hand here (NumPy's bytes, byte for byte, where NumPy would write them) so the corpus
 * needs no Python; src/core/embed/importPrototypes.test.ts checks them against numpy.load.
 *
 * The cases are sized for the e2e fixture (scripts/make-fixture.mjs: 9 declared categories,
 * ids 1–40, the bundled model's default 96 features).
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

export const FEATURES = 96;
/** The fixture's declared category ids (FIXTURE_CLASSES), ascending. */
export const CATEGORY_IDS = [1, 2, 5, 9, 10, 17, 30, 31, 40];

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
/** The CRC register (before the final xor) after `bytes`, starting from `state`. */
function crcUpdate(state, bytes) {
  let c = state;
  for (const b of bytes) c = (crcTable[(c ^ b) & 0xff] ^ (c >>> 8)) >>> 0;
  return c;
}
export function crc32(bytes) {
  return (crcUpdate(0xffffffff, bytes) ^ 0xffffffff) >>> 0;
}

// One zero byte is a linear map of the 32-bit CRC register over GF(2); n zero bytes are its n-th
// power, by squaring: the CRC of a gigabyte of zeros without reading a gigabyte.
const applyMatrix = (m, v) => {
  let out = 0;
  for (let i = 0; v; i++, v >>>= 1) if (v & 1) out ^= m[i];
  return out >>> 0;
};
const square = (m) => m.map((col) => applyMatrix(m, col));
function crcAfterZeros(state, n) {
  let m = Array.from({ length: 32 }, (_, i) => crcUpdate(1 << i >>> 0, [0]) ^ crcUpdate(0, [0]));
  let v = state;
  for (let k = n; k > 0; k = Math.floor(k / 2), m = square(m)) if (k % 2) v = applyMatrix(m, v);
  return v;
}

/** A .npy header (version 1.0, padded to 64 bytes as numpy.save pads it) holding `dict` as it is. */
export function npyHeader(dict) {
  const unpadded = 10 + dict.length + 1;
  const total = Math.ceil(unpadded / 64) * 64;
  const text = dict + ' '.repeat(total - unpadded) + '\n';
  const out = Buffer.alloc(total);
  Buffer.from([0x93, ...Buffer.from('NUMPY'), 1, 0]).copy(out);
  out.writeUInt16LE(text.length, 8);
  out.write(text, 10, 'latin1');
  return out;
}
const shapeText = (shape) => (shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`);
const dictOf = (descr, shape, fortran = false) => `{'descr': '${descr}', 'fortran_order': ${fortran ? 'True' : 'False'}, 'shape': ${shapeText(shape)}, }`;

/** A .npy of float32 values (row-major). */
export function npyFloat32(shape, values) {
  const data = Buffer.from(Float32Array.from(values).buffer);
  return Buffer.concat([npyHeader(dictOf('<f4', shape)), data]);
}
/** A .npy of int64 values. */
export function npyInt64(values, shape = [values.length]) {
  return Buffer.concat([npyHeader(dictOf('<i8', shape)), Buffer.from(BigInt64Array.from(values.map(BigInt)).buffer)]);
}
function npyFloat64(values, shape = [values.length]) {
  return Buffer.concat([npyHeader(dictOf('<f8', shape)), Buffer.from(Float64Array.from(values).buffer)]);
}

/** Class means-like rows: row r is r + k/1000 (any finite values do). */
const rows = (n, d) => Array.from({ length: n * d }, (_, i) => Math.floor(i / d) + (i % d) / 1000);

/**
 * A zip of members { name, data (the stored or deflated bytes), method, size (uncompressed),
 * crc }, as numpy.savez lays it out (local headers, then the central directory).
 */
export function zip(members) {
  const locals = [];
  const central = [];
  let offset = 0;
  for (const m of members) {
    const name = Buffer.from(m.name);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(m.method, 8);
    local.writeUInt16LE(0x21, 12);
    local.writeUInt32LE(m.crc, 14);
    local.writeUInt32LE(m.data.length, 18);
    local.writeUInt32LE(m.localSize ?? m.size, 22);
    local.writeUInt16LE(name.length, 26);
    const dir = Buffer.alloc(46);
    dir.writeUInt32LE(0x02014b50, 0);
    dir.writeUInt16LE(20, 4);
    dir.writeUInt16LE(20, 6);
    dir.writeUInt16LE(m.method, 10);
    dir.writeUInt16LE(0x21, 14);
    dir.writeUInt32LE(m.crc, 16);
    dir.writeUInt32LE(m.data.length, 20);
    dir.writeUInt32LE(m.size, 24);
    dir.writeUInt16LE(name.length, 28);
    dir.writeUInt32LE(offset, 42);
    locals.push(local, name, m.data);
    central.push(dir, name);
    offset += 30 + name.length + m.data.length;
  }
  const centralBytes = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(members.length, 8);
  end.writeUInt16LE(members.length, 10);
  end.writeUInt32LE(centralBytes.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, centralBytes, end]);
}
const stored = (name, data) => ({ name, data, method: 0, size: data.length, crc: crc32(data) });
const deflated = (name, data) => ({ name, data: zlib.deflateRawSync(data), method: 8, size: data.length, crc: crc32(data) });
/** An .npz as numpy.savez writes it: one stored member per array. */
export function npz(arrays) {
  return zip(Object.entries(arrays).map(([name, data]) => stored(`${name}.npy`, data)));
}

const MiB = 1 << 20;
/**
 * A deflated member: `head`, then `zeroMiB` MiB of zeros, as a raw deflate stream of about
 * 1 kB per MiB, built from one compressed MiB repeated (each copy refers only to the zeros
 * before it), so a gigabyte is made in milliseconds. Its CRC is the true one.
 */
function deflatedZeros(name, head, zeroMiB) {
  const sync = { level: 9, finishFlush: zlib.constants.Z_SYNC_FLUSH };
  const first = zlib.deflateRawSync(Buffer.concat([head, Buffer.alloc(MiB)]), sync);
  const more = zlib.deflateRawSync(Buffer.alloc(MiB), { ...sync, dictionary: Buffer.alloc(32 * 1024) });
  const data = Buffer.concat([first, ...Array(zeroMiB - 1).fill(more), Buffer.from([3, 0])]); // 3 0: an empty final block
  const size = head.length + zeroMiB * MiB;
  return { name, data, method: 8, size, crc: (crcAfterZeros(crcUpdate(0xffffffff, head), zeroMiB * MiB) ^ 0xffffffff) >>> 0 };
}

const C = CATEGORY_IDS.length;
const ids = () => npyInt64(CATEGORY_IDS);
const counts = (values = CATEGORY_IDS.map((_, i) => i + 1)) => npyInt64(values);

/**
 * Every case: its file name, bytes, and the words its refusal contains (besides the file name).
 * `fixture: true` marks those the e2e spec drives through the page.
 */
export function npzCases() {
  const good = npyFloat32([C, FEATURES], rows(C, FEATURES));
  const body = good.subarray(128);
  const cases = [
    // .npy: the preamble and the header dict.
    { name: 'not-numpy.npy', buffer: Buffer.from('NUMPX\x01\x00hello, this is not a numpy file'), says: ['not a NumPy .npy file'] },
    { name: 'too-short.npy', buffer: Buffer.from([0x93, 0x4e, 0x55]), says: ['3 bytes', 'too short'] },
    { name: 'version-9.npy', buffer: (() => { const b = Buffer.from(good); b[6] = 9; return b; })(), says: ['version 9.0'] },
    { name: 'header-past-end.npy', buffer: (() => { const b = Buffer.from(good.subarray(0, 128)); b.writeUInt16LE(60000, 8); return b; })(), says: ['60,000-byte header', 'ends'] },
    { name: 'header-not-a-dict.npy', buffer: Buffer.concat([npyHeader("descr='<f4', shape=(9, 96)"), body]), says: ['header', 'not a Python dict'] },
    { name: 'header-no-shape.npy', buffer: Buffer.concat([npyHeader("{'descr': '<f4', 'fortran_order': False, }"), body]), says: ['header', "no 'shape'"] },
    { name: 'negative-shape.npy', buffer: Buffer.concat([npyHeader(dictOf('<f4', [-672, FEATURES])), body]), says: ['shape (-672, 96)', 'negative'], fixture: true },
    { name: 'fractional-shape.npy', buffer: Buffer.concat([npyHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (4.5, 96), }"), body]), says: ['4.5', 'not a whole number'] },
    { name: 'huge-shape.npy', buffer: Buffer.concat([npyHeader(dictOf('<f4', [2 ** 40, 2 ** 40])), body]), says: ['shape (1099511627776, 1099511627776)', 'more than'] },
    { name: 'big-endian.npy', buffer: Buffer.concat([npyHeader(dictOf('>f4', [C, FEATURES])), body]), says: ['big-endian'] },
    { name: 'fortran-order.npy', buffer: Buffer.concat([npyHeader(dictOf('<f4', [C, FEATURES], true)), body]), says: ['Fortran'] },
    { name: 'bool.npy', buffer: Buffer.concat([npyHeader(dictOf('|b1', [C, FEATURES])), Buffer.alloc(C * FEATURES)]), says: ['dtype |b1', 'not supported'] },
    { name: 'structured.npy', buffer: Buffer.concat([npyHeader("{'descr': [('x', '<f4')], 'fortran_order': False, 'shape': (9, 96), }"), body]), says: ['structured'] },
    // .npy: the data against the shape.
    { name: 'data-cut-short.npy', buffer: good.subarray(0, 128 + 100), says: ['100 bytes of data', 'needs 3,456', 'cut short'], fixture: true },
    { name: 'data-too-long.npy', buffer: Buffer.concat([good, Buffer.alloc(40)]), says: ['40 bytes more'] },
    { name: 'nan-row.npy', buffer: npyFloat32([C, FEATURES], rows(C, FEATURES).map((v, i) => (i === 3 * FEATURES + 7 ? NaN : v))), says: ['row 3', 'category id 9', 'NaN'], fixture: true },
    { name: 'too-few-features.npy', buffer: npyFloat32([C, 5], rows(C, 5)), says: ['5 features per class', 'gives 96'] },
    { name: 'rows-do-not-fit.npy', buffer: npyFloat32([8, FEATURES], rows(8, FEATURES)), says: ['8 prototype rows', 'declares 9 categories (8 with train images)', '41 rows'], fixture: true },
    { name: 'one-dimensional.npy', buffer: npyFloat32([C * FEATURES], rows(C, FEATURES)), says: ['shape (864,)', '2 dimensions'] },
    // .npz: members and their shapes and values.
    { name: 'wrong-dim.npz', buffer: npz({ prototypes: npyFloat32([C, 5], rows(C, 5)), category_id: ids(), count: counts() }), says: ['5 features per class', 'the model of this run', 'gives 96'], fixture: true },
    { name: 'no-prototypes.npz', buffer: npz({ means: good, labels: ids() }), says: ['means.npy, labels.npy', 'none is named prototypes'] },
    { name: 'prototypes-1d.npz', buffer: npz({ prototypes: npyFloat32([C * FEATURES], rows(C, FEATURES)), category_id: ids() }), says: ['prototypes.npy', '2 dimensions'] },
    { name: 'category-id-2d.npz', buffer: npz({ prototypes: good, category_id: npyInt64(CATEGORY_IDS, [C, 1]) }), says: ['category_id.npy', 'shape (9, 1)', 'one value per prototype row'] },
    { name: 'category-id-short.npz', buffer: npz({ prototypes: good, category_id: npyInt64(CATEGORY_IDS.slice(1)) }), says: ['category_id.npy', '8 values', '9 prototype rows'] },
    { name: 'category-id-twice.npz', buffer: npz({ prototypes: good, category_id: npyInt64([1, 2, 5, 9, 10, 17, 30, 30, 40]) }), says: ['category_id.npy', '30', 'rows 6 and 7'] },
    { name: 'category-id-unknown.npz', buffer: npz({ prototypes: good, category_id: npyInt64([1, 2, 5, 9, 10, 17, 30, 31, 999]) }), says: ['category_id.npy', 'not categories of the loaded dataset', '999'] },
    { name: 'count-negative.npz', buffer: npz({ prototypes: good, category_id: ids(), count: counts([1, 2, -3, 4, 5, 6, 7, 8, 0]) }), says: ['count.npy', 'row 2', 'negative', '-3'], fixture: true },
    { name: 'count-fractional.npz', buffer: npz({ prototypes: good, category_id: ids(), count: npyFloat64([1, 2.5, 3, 4, 5, 6, 7, 8, 0]) }), says: ['count.npy', 'row 1', '2.5', 'not a whole number'] },
    { name: 'count-short.npz', buffer: npz({ prototypes: good, category_id: ids(), count: counts([1, 2, 3]) }), says: ['count.npy', '3 values', '9 prototype rows'] },
    // .npz: the zip itself.
    { name: 'not-a-zip.npz', buffer: Buffer.concat([Buffer.from('PK'), Buffer.alloc(200)]), says: ['not a zip', 'end-of-central-directory'] },
    { name: 'cut-short.npz', buffer: npz({ prototypes: good, category_id: ids() }).subarray(0, 1500), says: ['not a zip'] },
    { name: 'bad-crc.npz', buffer: (() => { const b = npz({ prototypes: good }); b[30 + 'prototypes.npy'.length + 200] ^= 0xff; return b; })(), says: ['prototypes.npy', 'CRC'] },
    { name: 'bzip2.npz', buffer: zip([{ ...stored('prototypes.npy', good), method: 12 }]), says: ['prototypes.npy', 'method 12', 'not supported'] },
    {
      // 1 GiB of float32 zeros, honestly declared, deflated to about 1 MB: refused from its headers.
      name: 'bomb-1gib.npz',
      buffer: zip([deflatedZeros('prototypes.npy', npyHeader(dictOf('<f4', [MiB / 4, 1024])), 1024), stored('category_id.npy', ids())]),
      says: ['prototypes.npy', '1,073,741,952 bytes', 'at most'],
      fixture: true,
    },
    {
      // The zip headers say the 3,584 bytes that a 9×96 float32 needs; the deflate stream goes on for 64 MiB.
      name: 'lying-size.npz',
      buffer: (() => {
        const head = npyHeader(dictOf('<f4', [C, FEATURES]));
        const m = deflatedZeros('prototypes.npy', head, 64);
        return zip([{ ...m, size: head.length + C * FEATURES * 4, localSize: head.length + C * FEATURES * 4 }, stored('category_id.npy', ids())]);
      })(),
      says: ['prototypes.npy', 'inflates to more than', '3,584 bytes'],
      fixture: true,
    },
    {
      // The .npy header inside says 1 GiB; the zip headers say 3,584 bytes.
      name: 'header-disagrees.npz',
      buffer: zip([deflated('prototypes.npy', Buffer.concat([npyHeader(dictOf('<f4', [MiB / 4, 1024])), body])), stored('category_id.npy', ids())]),
      says: ['prototypes.npy', 'shape (262144, 1024)', '3,584 bytes'],
    },
  ];
  return cases;
}

export function writeCases(dir) {
  fs.mkdirSync(dir, { recursive: true });
  return npzCases().map((c) => {
    fs.writeFileSync(path.join(dir, c.name), c.buffer);
    return c.name;
  });
}
