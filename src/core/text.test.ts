import { describe, expect, it } from 'vitest';
import { NAME_CHARS, shortName } from './text.ts';

describe('shortName', () => {
  it('keeps short names, cuts long ones to the limit with an ellipsis', () => {
    expect(shortName('Abies alba Mill.')).toBe('Abies alba Mill.');
    const long = 'x'.repeat(100_000);
    expect(shortName(long)).toBe(`${'x'.repeat(NAME_CHARS - 1)}…`);
    expect(shortName(long).length).toBe(NAME_CHARS);
    expect(shortName('abcdef', 6)).toBe('abcdef');
    expect(shortName('abcdefg', 6)).toBe('abcde…');
  });

  it('never splits a surrogate pair', () => {
    // 😀 is two UTF-16 units; a cut after 'abcd' would land between its halves.
    const cut = shortName('abcd😀efgh', 6);
    expect(cut).toBe('abcd…');
    expect(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(cut)).toBe(false);
    expect(shortName('abc😀efgh', 6)).toBe('abc😀…');
  });
});
