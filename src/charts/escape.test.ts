import fs from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { escapeLabel } from './escape.ts';

// Plotly's own entity decoding (the step between a label and the SVG text node), lifted from its
// source: the module itself needs a DOM.
const source = fs.readFileSync(createRequire(import.meta.url).resolve('plotly.js/src/lib/svg_text_utils.js'), 'utf8');
const decoder = source.slice(source.indexOf('var entityToUnicode'), source.indexOf('exports.convertEntities'));
const convertEntities = new Function('fromCodePoint', `${decoder}; return convertEntities;`)(String.fromCodePoint) as (s: string) => string;

describe('escapeLabel', () => {
  it('turns markup into text', () => {
    expect(escapeLabel('<img src=x onerror=alert(1)>')).toBe('&lt;img src=x onerror=alert(1)&gt;');
    expect(escapeLabel('Abies alba Mill.')).toBe('Abies alba Mill.');
  });

  it('escapes once: what plotly decodes is the raw name, quotes and entity-like text included', () => {
    for (const name of ['A & B "C"', "O'Brien", '&quot;x&quot;', '&#60;b&#62;', '&amp;', 'x < y > z', '<b>bold</b>'])
      expect(convertEntities(escapeLabel(name))).toBe(name);
    // No tag survives for plotly to interpret.
    expect(escapeLabel('<a href="javascript:alert(1)">x</a>')).not.toMatch(/[<>]/);
  });
});
