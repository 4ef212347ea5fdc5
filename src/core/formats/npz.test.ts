import { describe, expect, it } from 'vitest';
import { crc32 } from './crc32.ts';
import { readNpy, unicodeArray, writeNpy } from './npy.ts';
import { readNpz, writeNpz } from './npz.ts';

const header = (dict: string) => {
  // numpy 1.24's np.save: magic, v1.0, uint16 length 118, the dict padded to 128 bytes in all.
  const text = dict + ' '.repeat(128 - 10 - dict.length - 1) + '\n';
  return [0x93, ...Buffer.from('NUMPY'), 1, 0, 118, 0, ...Buffer.from(text, 'latin1')];
};
const hex = (s: string) => [...Buffer.from(s, 'hex')];

// Written by numpy 1.24: np.savez(f, prototypes=float32 [[1,2],[3,4.5]], category_id=int64 [5,-1], image_id=['ab','xyz'])
const numpySavez = 'UEsDBBQAAAAAAAAAIQAf6eI/kAAAAJAAAAAOABQAcHJvdG90eXBlcy5ucHkBABAAkAAAAAAAAACQAAAAAAAAAJNOVU1QWQEAdgB7J2Rlc2NyJzogJzxmNCcsICdmb3J0cmFuX29yZGVyJzogRmFsc2UsICdzaGFwZSc6ICgyLCAyKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAKAACAPwAAAEAAAEBAAACQQFBLAwQUAAAAAAAAACEAg7duO5AAAACQAAAADwAUAGNhdGVnb3J5X2lkLm5weQEAEACQAAAAAAAAAJAAAAAAAAAAk05VTVBZAQB2AHsnZGVzY3InOiAnPGk4JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoFAAAAAAAAAP//////////UEsDBBQAAAAAAAAAIQAd+C2MmAAAAJgAAAAMABQAaW1hZ2VfaWQubnB5AQAQAJgAAAAAAAAAmAAAAAAAAACTTlVNUFkBAHYAeydkZXNjcic6ICc8VTMnLCAnZm9ydHJhbl9vcmRlcic6IEZhbHNlLCAnc2hhcGUnOiAoMiwpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgCmEAAABiAAAAAAAAAHgAAAB5AAAAegAAAFBLAQIUAxQAAAAAAAAAIQAf6eI/kAAAAJAAAAAOAAAAAAAAAAAAAACAAQAAAABwcm90b3R5cGVzLm5weVBLAQIUAxQAAAAAAAAAIQCDt247kAAAAJAAAAAPAAAAAAAAAAAAAACAAdAAAABjYXRlZ29yeV9pZC5ucHlQSwECFAMUAAAAAAAAACEAHfgtjJgAAACYAAAADAAAAAAAAAAAAAAAgAGhAQAAaW1hZ2VfaWQubnB5UEsFBgAAAAADAAMAswAAAHcCAAAAAA==';
// np.savez_compressed(f, a=np.arange(6, dtype='<f4').reshape(2, 3))
const numpySavezCompressed = 'UEsDBBQAAAAIAAAAIQBP6QAqVQAAAJgAAAAFABQAYS5ucHkBABAAmAAAAAAAAABVAAAAAAAAAJvsF+obEMnIUMZQrZ6SWpxcpG6loG6TZqKuo6Cell9UUpSYF59flJIKEndLzClOBYoXZyQWpAL5GkY6CsaaOgq1CmQDLgYwaLAHEg5ABMQNQLzAAQBQSwECFAMUAAAACAAAACEAT+kAKlUAAACYAAAABQAAAAAAAAAAAAAAgAEAAAAAYS5ucHlQSwUGAAAAAAEAAQAzAAAAjAAAAAAA';

describe('npy, byte for byte as numpy.save writes it', () => {
  it('float32 [[1, 2], [3, 4.5]]', () => {
    const bytes = writeNpy({ dtype: '<f4', shape: [2, 2], data: Float32Array.from([1, 2, 3, 4.5]) });
    expect([...bytes]).toEqual([...header("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }"), ...hex('0000803f000000400000404000009040')]);
  });

  it("unicode ['ab', 'xyz'] as <U3 (UTF-32LE, zero-padded)", () => {
    const bytes = writeNpy(unicodeArray(['ab', 'xyz']));
    expect([...bytes]).toEqual([
      ...header("{'descr': '<U3', 'fortran_order': False, 'shape': (2,), }"),
      ...hex('61000000620000000000000078000000790000007a000000'),
    ]);
  });

  it('int64 header', () => {
    const bytes = writeNpy({ dtype: '<i8', shape: [2], data: BigInt64Array.from([5n, -1n]) });
    expect([...bytes.subarray(0, 128)]).toEqual(header("{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }"));
    expect(readNpy(bytes).data).toEqual(BigInt64Array.from([5n, -1n]));
  });

  it('says what is wrong with what it cannot read', () => {
    expect(() => readNpy(new Uint8Array([1, 2, 3]))).toThrow(/not a NumPy .npy file/);
    const fortran = writeNpy({ dtype: '<f4', shape: [1], data: Float32Array.from([1]) });
    fortran.set(Buffer.from("'fortran_order': True, "), 10 + "{'descr': '<f4', ".length);
    expect(() => readNpy(fortran)).toThrow(/Fortran-ordered/);
    const bool = writeNpy({ dtype: '<f4', shape: [1], data: Float32Array.from([1]) });
    bool.set(Buffer.from("|b1"), 10 + "{'descr': '".length);
    expect(() => readNpy(bool)).toThrow(/dtype \|b1 is not supported/);
  });
});

describe('npz', () => {
  it('reads what numpy.savez wrote (with its ZIP64 extra fields)', async () => {
    const arrays = await readNpz(Buffer.from(numpySavez, 'base64'));
    expect(arrays.prototypes).toEqual({ dtype: '<f4', shape: [2, 2], data: Float32Array.from([1, 2, 3, 4.5]) });
    expect(arrays.category_id.data).toEqual(BigInt64Array.from([5n, -1n]));
    expect(arrays.image_id).toEqual({ dtype: '<U3', shape: [2], data: ['ab', 'xyz'] });
  });

  it('reads numpy.savez_compressed (deflate)', async () => {
    const { a } = await readNpz(Buffer.from(numpySavezCompressed, 'base64'));
    expect(a).toEqual({ dtype: '<f4', shape: [2, 3], data: Float32Array.from([0, 1, 2, 3, 4, 5]) });
  });

  it('writes a store-only zip that reads back, with correct CRCs and offsets', async () => {
    const blob = writeNpz({
      prototypes: { dtype: '<f4', shape: [2, 3], data: Float32Array.from([0.5, -1, 2, 3, 4, 5]) },
      category_id: { dtype: '<i8', shape: [2], data: BigInt64Array.from([3n, 17n]) },
      image_id: unicodeArray(['00000__001', 'é🌿']),
    });
    const bytes = new Uint8Array(await blob.arrayBuffer());
    const back = await readNpz(bytes);
    expect(Object.keys(back)).toEqual(['prototypes', 'category_id', 'image_id']);
    expect(back.prototypes.data).toEqual(Float32Array.from([0.5, -1, 2, 3, 4, 5]));
    expect(back.image_id.data).toEqual(['00000__001', 'é🌿']);
    expect(bytes[bytes.length - 22]).toBe(0x50); // end of central directory
  });

  it('crc32 of "123456789" is 0xCBF43926 (the standard check value)', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
  });

  it('rejects a file that is not a zip, and a corrupted one', async () => {
    await expect(readNpz(new Uint8Array(100))).rejects.toThrow(/not a zip archive/);
    const bytes = new Uint8Array(Buffer.from(numpySavez, 'base64'));
    bytes[200] ^= 0xff;
    await expect(readNpz(bytes)).rejects.toThrow(/CRC mismatch/);
  });
});
