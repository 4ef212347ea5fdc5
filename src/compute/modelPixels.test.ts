/**
 * modelPixels reads a file once, hashes those bytes and decodes the same bytes (Node has no
 * createImageBitmap or OffscreenCanvas: both are stand-ins that record what they were given).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { crc32 } from '../core/formats/crc32.ts';
import { fileDigest, modelPixels } from './modelPixels.ts';

afterEach(() => vi.unstubAllGlobals());

/** A 2×1 decoder: every file decodes to a red and a blue pixel; the Blob it was given is kept. */
function stubDecoder() {
  const decoded: Blob[] = [];
  vi.stubGlobal('createImageBitmap', async (blob: Blob) => {
    decoded.push(blob);
    return { width: 2, height: 1, close() {} };
  });
  vi.stubGlobal(
    'OffscreenCanvas',
    class {
      getContext() {
        return { drawImage() {}, getImageData: () => ({ data: Uint8ClampedArray.from([255, 0, 0, 255, 0, 0, 255, 255]) }) };
      }
    },
  );
  return decoded;
}

describe('modelPixels: the file hashed from the bytes it is decoded from', () => {
  it('fileDigest is the unsigned CRC-32 (the check value of "123456789") and the length', () => {
    const bytes = new TextEncoder().encode('123456789');
    expect(fileDigest(bytes)).toEqual({ fileHash: 0xcbf43926, fileBytes: 9 });
    expect(fileDigest(Uint8Array.from([0xff, 0xff, 0xff, 0xff])).fileHash).toBe(0xffffffff);
  });

  it('reads the file once, decodes those bytes and returns their CRC-32 and size', async () => {
    const decoded = stubDecoder();
    const content = Uint8Array.from({ length: 1000 }, (_, i) => (i * 31) & 0xff);
    const file = new File([content], 'a.jpg');
    const read = vi.spyOn(file, 'arrayBuffer');
    const result = await modelPixels(file);
    if (!result.ok) throw new Error(result.reason);
    expect(read).toHaveBeenCalledTimes(1);
    expect([result.fileHash, result.fileBytes, result.width, result.height]).toEqual([crc32(content), 1000, 2, 1]);
    expect(decoded).toHaveLength(1);
    expect(decoded[0]).not.toBe(file);
    expect(new Uint8Array(await decoded[0].arrayBuffer())).toEqual(content);
  });

  it('a file that cannot be read or decoded is a result with the reason, as before', async () => {
    stubDecoder();
    const gone = new File([new Uint8Array(10)], 'gone.jpg');
    gone.arrayBuffer = () => Promise.reject(new DOMException('A requested file could not be read', 'NotReadableError'));
    expect(await modelPixels(gone)).toEqual({ ok: false, reason: 'could not be read (A requested file could not be read)' });
    expect(await modelPixels(new File([], 'empty.jpg'))).toEqual({ ok: false, reason: 'empty file (0 bytes)' });
    vi.stubGlobal('createImageBitmap', () => Promise.reject(new Error('bad data')));
    expect(await modelPixels(new File([new Uint8Array(10)], 'bad.jpg'))).toEqual({ ok: false, reason: 'could not be decoded as an image (bad data)' });
  });
});
