import { describe, expect, it } from 'vitest';
import { formatBytes } from './units.ts';

describe('formatBytes', () => {
  it('uses decimal units at each boundary', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(1000)).toBe('1.0 kB');
    expect(formatBytes(999_949)).toBe('999.9 kB');
    expect(formatBytes(1e6)).toBe('1.0 MB');
    expect(formatBytes(664_000_843)).toBe('664.0 MB');
    expect(formatBytes(1e9)).toBe('1.00 GB');
    expect(formatBytes(2_345_000_000)).toBe('2.35 GB');
  });
});
