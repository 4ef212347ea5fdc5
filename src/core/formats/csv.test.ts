import { describe, expect, it } from 'vitest';
import { toCsv } from './csv.ts';

describe('toCsv', () => {
  it('quotes what needs quoting, as RFC 4180 says', () => {
    expect(toCsv(['id', 'name'], [[1, 'Rosa canina L.'], [2, 'A, "B"'], [3, 'line\nbreak']])).toBe(
      'id,name\r\n1,Rosa canina L.\r\n2,"A, ""B"""\r\n3,"line\nbreak"\r\n',
    );
  });
});
