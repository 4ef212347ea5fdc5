import { beforeEach, describe, expect, it } from 'vitest';
import { mulberry32 } from '../random.mjs';
import { parseBatch, readJsonArrays, JsonReadError, sniffBinary, type BatchOddities, type JsonArrayStreamOptions } from './jsonArrayStream.ts';


const nastyStrings = ['', 'a', '"', '\\', '\\"', 'x\\\\', '\\\\\\"', 'é', '🌿', '\u0000', '\n\t', '],}{[', '<img src=x>', ' , '];

function randomValue(rand: () => number, depth: number): unknown {
  const r = rand();
  if (depth > 3 || r < 0.3) {
    const p = rand();
    if (p < 0.3) return nastyStrings[Math.floor(rand() * nastyStrings.length)] + String(Math.floor(rand() * 1000));
    if (p < 0.6) return Math.floor(rand() * 1e6) - 5e5;
    if (p < 0.7) return rand() * 10;
    if (p < 0.8) return null;
    return rand() < 0.5;
  }
  if (r < 0.65) {
    const o: Record<string, unknown> = {};
    const n = Math.floor(rand() * 4);
    for (let i = 0; i < n; i++) o[nastyStrings[i % nastyStrings.length] + 'k' + i] = randomValue(rand, depth + 1);
    return o;
  }
  const n = Math.floor(rand() * 4);
  return Array.from({ length: n }, () => randomValue(rand, depth + 1));
}

function blobOf(text: string | Uint8Array): Blob {
  return new Blob([text as BlobPart]);
}

let scanner: 'wasm' | 'js' = 'wasm';

async function collect(text: string | Uint8Array, options: JsonArrayStreamOptions = {}, want = (_k: string | null) => true) {
  const arrays = new Map<string, unknown[]>();
  const values = new Map<string, unknown>();
  const summary = await readJsonArrays(
    blobOf(text),
    {
      wantArray: want,
      onBatch({ key, bytes, byteOffset, firstIndex, count }) {
        const elements = parseBatch(bytes, byteOffset, firstIndex, key);
        expect(elements.length).toBe(count);
        const list = arrays.get(key ?? '') ?? [];
        expect(firstIndex).toBe(list.length);
        list.push(...elements);
        arrays.set(key ?? '', list);
      },
      wantValue: () => true,
      onValue(key, value) {
        values.set(key, value);
      },
    },
    { scanner, ...options },
  );
  return { arrays, values, summary };
}

async function readError(text: string | Uint8Array, options: JsonArrayStreamOptions = {}): Promise<JsonReadError> {
  try {
    await collect(text, options);
  } catch (e) {
    if (e instanceof JsonReadError) return e;
    throw e;
  }
  throw new Error('expected a JsonReadError');
}

for (const kind of ['wasm', 'js'] as const) {
describe(`${kind} scanner`, () => {
beforeEach(() => {
  scanner = kind;
});
describe('readJsonArrays agrees with JSON.parse', () => {
  it('on random documents with tiny chunks and batches, indented and compact', async () => {
    const rand = mulberry32(7);
    for (let trial = 0; trial < 120; trial++) {
      const doc: Record<string, unknown> = {};
      const nKeys = 1 + Math.floor(rand() * 4);
      for (let k = 0; k < nKeys; k++) {
        const isArray = rand() < 0.7;
        doc[`key${k}${nastyStrings[k % nastyStrings.length]}`] = isArray
          ? Array.from({ length: Math.floor(rand() * 12) }, () => randomValue(rand, 0))
          : randomValue(rand, 1);
      }
      const text = JSON.stringify(doc, null, rand() < 0.5 ? 4 : undefined);
      const options = {
        chunkBytes: 1 + Math.floor(rand() * 40),
        batchBytes: 1 + Math.floor(rand() * 60),
      };
      const { arrays, values, summary } = await collect(text, options);
      expect(summary.keys).toEqual(Object.keys(doc));
      for (const [k, v] of Object.entries(doc)) {
        if (Array.isArray(v)) {
          expect(arrays.get(k) ?? []).toEqual(v);
          expect(summary.arrayLengths.get(k)).toBe(v.length);
        } else expect(values.get(k)).toEqual(v);
      }
    }
  });

  it('on larger documents whose chunks hold many 16-byte blocks (the SIMD path)', async () => {
    const rand = mulberry32(11);
    for (let trial = 0; trial < 20; trial++) {
      const doc = {
        annotations: Array.from({ length: 300 }, () => randomValue(rand, 0)),
        images: Array.from({ length: 200 }, (_, i) => ({ image_id: `${i}\\"${nastyStrings[i % nastyStrings.length]}`, n: [i, { x: '}' }] })),
      };
      const text = JSON.stringify(doc, null, trial % 2 ? 4 : undefined);
      const { arrays } = await collect(text, { chunkBytes: 16 + Math.floor(rand() * 3000), batchBytes: 1 + Math.floor(rand() * 2000) });
      expect(arrays.get('annotations')).toEqual(doc.annotations);
      expect(arrays.get('images')).toEqual(doc.images);
    }
  });

  it('on a root array (test_metadata.json shape) with a UTF-8 byte order mark', async () => {
    const items = [
      { image_id: '00001__001', file_name: '000/00/00001__001.jpg', license: 0 },
      { image_id: 'é"\\', file_name: 'x', license: 1 },
    ];
    const bom = new Uint8Array([0xef, 0xbb, 0xbf]);
    const body = new TextEncoder().encode(JSON.stringify(items, null, 2));
    const bytes = new Uint8Array(bom.length + body.length);
    bytes.set(bom);
    bytes.set(body, 3);
    const { arrays, summary } = await collect(bytes, { chunkBytes: 5, batchBytes: 10 });
    expect(summary.rootKind).toBe('array');
    expect(arrays.get('')).toEqual(items);
  });

  it('skips arrays nobody asked for, strings with brackets, quotes and escapes included', async () => {
    const rand = mulberry32(5);
    for (let trial = 0; trial < 60; trial++) {
      const doc = {
        before: [1, '[', { a: ']' }],
        distances: Array.from({ length: 1 + Math.floor(rand() * 40) }, () => randomValue(rand, 0)),
        tricky: ['\\', '\\"]', ']]]', '"'],
        after: [{ genus: 'Abies]"' }, 2],
      };
      const text = JSON.stringify(doc, null, trial % 3 === 0 ? undefined : 2);
      const seen: string[] = [];
      const { arrays, summary } = await collect(text, { chunkBytes: 1 + Math.floor(rand() * 200) }, (k) => {
        seen.push(k ?? '');
        return k === 'before' || k === 'after';
      });
      expect(seen).toEqual(['before', 'distances', 'tricky', 'after']);
      expect(summary.skippedArrays).toEqual(['distances', 'tricky']);
      expect(arrays.get('before')).toEqual(doc.before);
      expect(arrays.get('after')).toEqual(doc.after);
    }
  });

  it('handles empty arrays and empty objects', async () => {
    const { arrays, summary } = await collect('{"a": [], "b": [ ], "c": {}}');
    expect(arrays.get('a') ?? []).toEqual([]);
    expect(summary.arrayLengths.get('b')).toBe(0);
    const empty = await collect('{}');
    expect(empty.summary.keys).toEqual([]);
  });
});

describe('readJsonArrays reports bad input with its location', () => {
  it('a 0-byte file', async () => {
    const e = await readError('');
    expect(e.message).toMatch(/empty/);
    expect(e.location.byteOffset).toBe(0);
  });

  it('whitespace only', async () => {
    expect((await readError('  \n ')).message).toMatch(/only whitespace/);
  });

  it('truncated inside an array, naming the key and the elements read', async () => {
    const text = '{"images": [{"image_id": "a"}, {"image_id": "b"}, {"image_';
    const e = await readError(text, { chunkBytes: 7 });
    expect(e.message).toMatch(/ends early inside "images" after 2 complete elements/);
    expect(e.location).toMatchObject({ byteOffset: text.length, key: 'images', index: 2 });
  });

  it('truncated inside a string', async () => {
    const e = await readError('{"images": ["abc');
    expect(e.message).toMatch(/ends early/);
  });

  it('a broken element: names its index and byte offset', async () => {
    const good = '{"image_id": "a"}';
    const bad = '{"image_id": "b",}';
    const text = `{"images": [${good}, ${good}, ${bad}, ${good}]}`;
    const e = await readError(text, { batchBytes: 1000 });
    expect(e.location.key).toBe('images');
    expect(e.location.index).toBe(2);
    expect(e.location.byteOffset).toBe(text.indexOf(bad));
  });

  it('a top level that is a string, a number or garbage', async () => {
    expect((await readError('"just a string"')).message).toMatch(/top level is a string/);
    expect((await readError('42')).message).toMatch(/top level is a number/);
    expect((await readError('hello')).message).toMatch(/top level is 'h'/);
  });

  it('a huge single string: refused at the element size limit, not buffered', async () => {
    const huge = '{"images": ["' + 'x'.repeat(5000) + '"]}';
    const e = await readError(huge, { chunkBytes: 256, maxElementBytes: 1000 });
    expect(e.message).toMatch(/element 0 of "images" is larger than/);
    expect(e.location.byteOffset).toBe(huge.indexOf('"x'));
  });

  it('a huge element that ends inside the last chunk is refused too', async () => {
    const text = '[' + '"' + 'x'.repeat(1500) + '", 1]';
    const e = await readError(text, { chunkBytes: 1 << 20, maxElementBytes: 1000 });
    expect(e.message).toMatch(/element 0 of the root array is larger than/);
    expect(e.location.byteOffset).toBe(1);
  });

  it('a huge top-level value that was asked for', async () => {
    const e = await readError('{"license": "' + 'y'.repeat(5000) + '"}', { chunkBytes: 256, maxElementBytes: 1000 });
    expect(e.message).toMatch(/value of "license" is larger/);
  });

  it('binary files, by their signature', async () => {
    expect((await readError(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 13, 10]))).message).toMatch(/PNG image, not JSON/);
    expect(sniffBinary(new Uint8Array([0xff, 0xd8, 0xff, 0xe0]))).toBe('a JPEG image');
    expect(sniffBinary(new Uint8Array([123, 0, 1, 2]))).toBe('binary data');
    expect(sniffBinary(new TextEncoder().encode('{"a": 1}\n'))).toBeNull();
  });

  it('junk after the document, missing colon, missing comma, two commas', async () => {
    expect((await readError('{"a": []} x')).message).toMatch(/after the end/);
    expect((await readError('{"a" []}')).message).toMatch(/expected ':'/);
    expect((await readError('{"a": [] "b": []}')).message).toMatch(/expected ',' or '}'/);
    const e = await readError('{"a": [1,,2]}');
    expect(e.message).toMatch(/two commas/);
    expect(e.location.byteOffset).toBe(9);
  });

  it('mismatched closing bracket of a top-level array', async () => {
    expect((await readError('{"a": [1, 2}')).message).toMatch(/unexpected '}' inside "a"/);
  });
});
});
}

/** Issue 12. Expected values from Python's json and codecs (the commands are in each comment). */
describe("what Python's json reads and JSON.parse does not", () => {
  const bytesOf = (text: string) => new TextEncoder().encode(text);

  it('NaN as null (missing), ±Infinity as numbers, never inside strings; counted, first offset and item', () => {
    // json.loads('[' + t + ']') == [{'a': nan, 's': 'NaN Infinity'}, [-inf, inf], 'x"NaN']; t.index('NaN') == 6
    const t = '{"a": NaN, "s": "NaN Infinity"}, [-Infinity, Infinity], "x\\"NaN"';
    const oddities: BatchOddities = {};
    expect(parseBatch(bytesOf(t), 1000, 7, 'images', oddities)).toEqual([{ a: null, s: 'NaN Infinity' }, [-Infinity, Infinity], 'x"NaN']);
    expect(oddities).toEqual({ nonFinite: { count: 3, byteOffset: 1006, index: 7 } });
    const second: BatchOddities = {};
    parseBatch(bytesOf('1, [2, -Infinity]'), 50, 0, null, second);
    expect(second.nonFinite).toEqual({ count: 1, byteOffset: 57, index: 1 });
  });

  it('a NaN does not hide another error, and -NaN is refused (as Python refuses it)', () => {
    expect(() => parseBatch(bytesOf('{"a": NaN}, {"b": }'), 0, 0, 'images')).toThrow(/element 1 of "images"/);
    expect(() => parseBatch(bytesOf('1, -NaN'), 0, 0, 'images')).toThrow(/element 1 of "images"/);
  });

  it('invalid UTF-8: each bad byte read as Latin-1, sequences counted as Python counts them', () => {
    // b.decode('utf-8', handler): 8 calls, the first at byte 4; b.decode('latin1') for the bad bytes.
    const b = Uint8Array.from([
      ...bytesOf('"caf'), 0xe9, ...bytesOf('", "'), 0xe2, 0x82, ...bytesOf('", "'), 0xed, 0xa0, 0x80,
      ...bytesOf('", "ok é", "'), 0xf0, 0x9f, 0x8c, ...bytesOf('", "'), 0xff, 0xfe, ...bytesOf('"'),
    ]);
    const oddities: BatchOddities = {};
    expect(parseBatch(b, 100, 3, 'categories', oddities)).toEqual(['caf\xe9', '\xe2\x82', '\xed\xa0\x80', 'ok é', '\xf0\x9f\x8c', '\xff\xfe']);
    expect(oddities).toEqual({ invalidUtf8: { count: 8, byteOffset: 104, index: 3 } });
    // A real U+FFFD is valid UTF-8: nothing to say.
    const clean: BatchOddities = {};
    expect(parseBatch(bytesOf('"\ufffd"'), 0, 0, 'x', clean)).toEqual(['\ufffd']);
    expect(clean).toEqual({});
  });

  it.each([
    ['utf16le', false],
    ['utf16le', true],
    ['utf-16be', false],
    ['utf-16be', true],
  ] as const)('reads %s (byte order mark: %s), streamed in odd-sized chunks', async (encoding, bom) => {
    const doc = { images: [{ id: 'é🌿', n: 1 }, { id: 'b', n: 2 }], other: ['x'] };
    let bytes = Buffer.from((bom ? '\ufeff' : '') + JSON.stringify(doc, null, 2), 'utf16le');
    if (encoding === 'utf-16be') bytes = Buffer.from(bytes).swap16();
    expect(sniffBinary(bytes)).toBeNull();
    const { arrays, summary } = await collect(new Uint8Array(bytes), { chunkBytes: 7, batchBytes: 16 });
    expect(arrays.get('images')).toEqual(doc.images);
    expect(summary.encoding).toBe(encoding === 'utf16le' ? 'utf-16le' : 'utf-16be');
    expect(summary.byteOrderMark).toBe(bom);
  });
});
