import { describe, expect, it } from 'vitest';
import { exactCsvField, parseCsv, toCsv } from './csv.ts';

describe('toCsv', () => {
  it('quotes what needs quoting, as RFC 4180 says', () => {
    expect(toCsv(['id', 'name'], [[1, 'Rosa canina L.'], [2, 'A, "B"'], [3, 'line\nbreak']])).toBe(
      'id,name\r\n1,Rosa canina L.\r\n2,"A, ""B"""\r\n3,"line\nbreak"\r\n',
    );
  });

  it('neutralises text cells a spreadsheet would run as formulas, never numbers', () => {
    const rows: (string | number)[][] = [
      [1, '=HYPERLINK("http://x","y")'],
      [2, '+SUM(1,1)'],
      [3, '-2+3'],
      [4, '@cmd'],
      [5, '\tTab'],
      [6, '\rCR'],
      [-0.5, 'a=b+c'],
    ];
    // By hand: an apostrophe in front, then RFC 4180 quoting where the cell needs it.
    expect(toCsv(['n', 'name'], rows)).toBe(
      'n,name\r\n' +
        '1,"\'=HYPERLINK(""http://x"",""y"")"\r\n' +
        '2,"\'+SUM(1,1)"\r\n' +
        "3,'-2+3\r\n" +
        "4,'@cmd\r\n" +
        "5,'\tTab\r\n" +
        '6,"\'\rCR"\r\n' +
        '-0.5,a=b+c\r\n',
    );
  });

  it('exact cells (submission ids) are quoted but never changed', () => {
    expect(exactCsvField('=1+1')).toBe('=1+1');
    expect(exactCsvField('-abc,1')).toBe('"-abc,1"');
  });
});

describe('parseCsv', () => {
  it('reads back what toCsv writes: commas, quotes and line breaks in fields, CRLF or LF rows', () => {
    const rows = [['a,b', 'say "hi"', 'two\nlines'], ['', 'x', '3']];
    expect(parseCsv(toCsv(['h1', 'h2', 'h3'], rows))).toEqual([['h1', 'h2', 'h3'], ...rows]);
    expect(parseCsv('a,b\nc,d\n')).toEqual([['a', 'b'], ['c', 'd']]);
    expect(parseCsv('a,"b\r\nc"\r\nd,e')).toEqual([['a', 'b\r\nc'], ['d', 'e']]);
  });
});
