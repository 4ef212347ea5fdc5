/**
 * Issue 12, hostile metadata JSON (scripts/hostile/json.mjs) through the page: each file loads as
 * JSON.parse and Python's json read it, and a warning names the file, what was odd and where.
 */
import { SURROGATE_IDS, duplicateKeys, latin1Names, nanValues, surrogateIds, utf16NoBom } from '../scripts/hostile/json.mjs';
import { expect, test } from './fixtures.ts';
import type { InMemoryFile } from './pages/LabPage.ts';

const asFile = (f: { name: string; buffer: Buffer }): InMemoryFile => ({ name: f.name, mimeType: 'application/json', buffer: f.buffer });

test.describe('hostile metadata JSON: read as Python reads it, and said', () => {
  test('top-level keys given twice: the last value kept, the key and both offsets named', async ({ lab }) => {
    const file = duplicateKeys();
    await lab.loadMetadata(asFile(file));
    await expect(lab.stat('stat-images')).toHaveAttribute('data-value', '5');
    const alert = lab.alerts().filter({ hasText: file.name });
    await expect(alert).toHaveCount(1);
    await expect(alert).toHaveAttribute('data-severity', 'warning');
    await expect(alert).toContainText('given more than once');
    await expect(alert).toContainText(`"images" at bytes ${file.buffer.indexOf('"images"')} and ${file.buffer.lastIndexOf('"images"').toLocaleString('en-US')}`);
  });

  test('unpaired-surrogate image ids stay two images, with a warning naming the first', async ({ lab }) => {
    const file = surrogateIds();
    await lab.loadMetadata(asFile(file));
    await expect(lab.stat('stat-images')).toHaveAttribute('data-value', String(SURROGATE_IDS.length));
    const alert = lab.alerts().filter({ hasText: file.name });
    await expect(alert).toContainText('not valid Unicode');
    await expect(alert).toContainText('images[1].image_id "\\ud800"');
    await expect(alert).toContainText('(2 items)');
  });

  test("Python's NaN and Infinity load, with the count and the first byte offset", async ({ lab }) => {
    const file = nanValues();
    await lab.loadMetadata(asFile(file));
    await expect(lab.stat('stat-images')).toHaveAttribute('data-value', '4');
    const alert = lab.alerts().filter({ hasText: file.name });
    await expect(alert).toHaveCount(1);
    await expect(alert).toContainText('NaN, Infinity or -Infinity');
    await expect(alert).toContainText('(4 items)');
    await expect(alert).toContainText(`byte ${file.buffer.indexOf('NaN,')} ("images", item 0)`);
  });

  test('UTF-16LE without a byte order mark loads, and says it was read as UTF-16', async ({ lab }) => {
    const file = utf16NoBom('le');
    await lab.loadMetadata(asFile(file));
    await expect(lab.stat('stat-images')).toHaveAttribute('data-value', '3');
    const alert = lab.alerts().filter({ hasText: file.name });
    await expect(alert).toContainText('UTF-16LE text with no byte order mark: read as UTF-16LE');
  });

  test('a Latin-1 file loads its names, with a warning counting the bad bytes and the first offset', async ({ lab }) => {
    const file = latin1Names();
    await lab.loadMetadata(asFile(file));
    // "café" and "cafè" differ only in a Latin-1 byte: both stay.
    await expect(lab.stat('stat-images')).toHaveAttribute('data-value', '3');
    const alert = lab.alerts().filter({ hasText: file.name });
    await expect(alert).toContainText('not valid UTF-8');
    await expect(alert).toContainText('(8 items)');
    await expect(alert).toContainText(`byte ${file.buffer.indexOf(0xe9)} ("annotations", item 0)`);
  });
});
