import { describe, expect, it } from 'vitest';
import { writeNpy } from '../formats/npy.ts';
import { writeNpz } from '../formats/npz.ts';
import { importPrototypes } from './importPrototypes.ts';

const ids = Int32Array.from([2, 5, 9]);
const bytesOf = async (blob: Blob) => new Uint8Array(await blob.arrayBuffer());

describe('importing prototypes', () => {
  it('a prototypes.npz: rows matched by category_id, counts kept', async () => {
    const npz = writeNpz({
      prototypes: { dtype: '<f4', shape: [2, 2], data: Float32Array.from([1, 2, 3, 4]) },
      category_id: { dtype: '<i8', shape: [2], data: BigInt64Array.from([9n, 2n]) },
      count: { dtype: '<i8', shape: [2], data: BigInt64Array.from([7n, 3n]) },
    });
    const p = await importPrototypes('prototypes.npz', await bytesOf(npz), ids);
    expect(Array.from(p.prototypes)).toEqual([3, 4, 0, 0, 1, 2]);
    expect(Array.from(p.counts)).toEqual([3, -1, 7]);
    expect(p.missingClasses).toBe(1);
    expect(p.matchedBy).toBe('category_id');
  });

  it('a float64 .npy of [C, D] in class order', async () => {
    const npy = writeNpy({ dtype: '<f8', shape: [3, 1], data: Float64Array.from([0.5, 1.5, 2.5]) });
    const p = await importPrototypes('average_vectors.npy', npy, ids);
    expect(Array.from(p.prototypes)).toEqual([0.5, 1.5, 2.5]);
    expect(p.matchedBy).toMatch(/row order/);
  });

  it("the seed's layout: one row per category id up to the largest", async () => {
    const npy = writeNpy({ dtype: '<f4', shape: [10, 1], data: Float32Array.from({ length: 10 }, (_, r) => r * 10) });
    const p = await importPrototypes('average_vectors.npy', npy, ids);
    expect(Array.from(p.prototypes)).toEqual([20, 50, 90]);
    expect(p.matchedBy).toMatch(/category id/);
  });

  it('wrong shapes, dtypes and ids say what is wrong', async () => {
    await expect(importPrototypes('x.npy', writeNpy({ dtype: '<f4', shape: [4, 1], data: new Float32Array(4) }), ids)).rejects.toThrow(/4 prototype rows, but the dataset has 3 classes/);
    await expect(importPrototypes('x.npy', writeNpy({ dtype: '<f4', shape: [3], data: new Float32Array(3) }), ids)).rejects.toThrow(/expected 2 dimensions/);
    await expect(importPrototypes('x.npy', writeNpy({ dtype: '<i4', shape: [3, 1], data: new Int32Array(3) }), ids)).rejects.toThrow(/dtype <i4/);
    const npz = writeNpz({
      prototypes: { dtype: '<f4', shape: [1, 1], data: new Float32Array(1) },
      category_id: { dtype: '<i8', shape: [1], data: BigInt64Array.from([4n]) },
    });
    await expect(importPrototypes('p.npz', await bytesOf(npz), ids)).rejects.toThrow(/not classes of the loaded dataset \(first: 4\)/);
    await expect(importPrototypes('junk.npy', new Uint8Array([1, 2, 3]), ids)).rejects.toThrow();
  });
});
