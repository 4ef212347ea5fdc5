/**
 * Imports point one way between the folders of src/ (README, Layout):
 *
 *   core ← compute ← workers ← io / store ← ui        charts beside core
 *
 * core is pure science (no DOM, no workers), compute runs tfjs inside workers, workers own every
 * thread, io and store are the page's side, ui renders. This reads every import of src/ (static,
 * dynamic, `export … from`, and worker URLs) and fails on one that points the wrong way.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = dirname(fileURLToPath(import.meta.url));

/** What each folder may import from (itself included). */
const ALLOWED: Record<string, readonly string[]> = {
  core: ['core'],
  charts: ['core', 'charts'],
  compute: ['core', 'compute'],
  workers: ['core', 'compute', 'workers'],
  io: ['core', 'workers', 'io'],
  store: ['core', 'workers', 'io', 'store'],
  ui: ['core', 'charts', 'io', 'store', 'ui'],
  // src/main.tsx, the entry.
  '.': ['ui'],
};

/** Tests may also read the build scripts they check (e.g. the scanner's WebAssembly builder). */
const ALLOWED_IN_TESTS = ['scripts'];

const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|new\s+URL\s*\(\s*)(['"])(\.{1,2}\/[^'"]+)\1/g;

function relativeImports(source: string): string[] {
  return [...source.replace(/^\s*(\/\/|\*).*$/gm, '').matchAll(SPECIFIER)].map((m) => m[2]);
}

/** The top folder of a path relative to src/ ('.' for a file directly in src/; '../x' outside it). */
function folderOf(pathFromSrc: string): string {
  if (pathFromSrc.startsWith('..')) return pathFromSrc.split('/')[1] ?? '..';
  const parts = pathFromSrc.split('/');
  return parts.length === 1 ? '.' : parts[0];
}

interface Violation {
  file: string;
  specifier: string;
  from: string;
  to: string;
}

/** Backwards imports among `files` (path relative to src/ → source text). */
function importViolations(files: Map<string, string>): Violation[] {
  const out: Violation[] = [];
  for (const [file, source] of files) {
    const from = folderOf(file);
    const allowed = ALLOWED[from];
    const isTest = /\.test\.tsx?$/.test(file);
    for (const specifier of relativeImports(source)) {
      const target = relative(SRC, resolve(SRC, dirname(file), specifier)).split('\\').join('/');
      const to = folderOf(target);
      const ok = allowed ? allowed.includes(to) || (isTest && ALLOWED_IN_TESTS.includes(to)) : false;
      if (!ok) out.push({ file, specifier, from, to });
    }
  }
  return out;
}

function sourcesUnder(dir: string, out = new Map<string, string>()): Map<string, string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) sourcesUnder(path, out);
    else if (/\.(m?ts|tsx|mjs)$/.test(entry.name) && !entry.name.endsWith('.d.ts') && !entry.name.endsWith('.d.mts')) out.set(relative(SRC, path).split('\\').join('/'), readFileSync(path, 'utf8'));
  }
  return out;
}

describe('import direction', () => {
  it('every import in src/ points the allowed way', () => {
    const files = sourcesUnder(SRC);
    // This file's planted examples below are strings, not imports.
    files.delete('architecture.test.ts');
    expect(files.size).toBeGreaterThan(100);
    expect([...new Set([...files.keys()].map(folderOf))].sort()).toEqual(Object.keys(ALLOWED).sort());
    expect(importViolations(files)).toEqual([]);
  });

  it('finds planted backwards imports of every form, and lets the allowed ones through', () => {
    const planted = new Map([
      ['core/learn/x.ts', "import { downloadBlob } from '../../io/download.ts';\nexport { a } from '../dataset/types.ts';"],
      ['compute/y.ts', "import type { JobContext } from '../workers/protocol.ts';"],
      ['store/z.ts', "const m = await import('../ui/format.ts');"],
      ['workers/w.ts', "new Worker(new URL('../store/index.ts', import.meta.url));\nimport '../core/arrays.ts';"],
      ['ui/v.tsx', "import { c } from '../compute/backends.ts';\n// import { x } from '../workers/protocol.ts';"],
      ['core/t.test.ts', "import { b } from '../../scripts/build-scanner-wasm.mjs';"],
      ['core/u.ts', "import { b } from '../../scripts/build-scanner-wasm.mjs';"],
    ]);
    expect(importViolations(planted).map((v) => `${v.file} → ${v.to}`)).toEqual([
      'core/learn/x.ts → io',
      'compute/y.ts → workers',
      'store/z.ts → ui',
      'workers/w.ts → store',
      'ui/v.tsx → compute',
      'core/u.ts → scripts',
    ]);
  });
});
