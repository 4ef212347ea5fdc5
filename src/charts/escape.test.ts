import { describe, expect, it } from 'vitest';
import { escapeLabel } from './escape.ts';

describe('escapeLabel', () => {
  it('turns markup into text', () => {
    expect(escapeLabel('<img src=x onerror=alert(1)>')).toBe('&lt;img src=x onerror=alert(1)&gt;');
    expect(escapeLabel('A & B "C"')).toBe('A &amp; B &quot;C&quot;');
    expect(escapeLabel('Abies alba Mill.')).toBe('Abies alba Mill.');
  });
});
