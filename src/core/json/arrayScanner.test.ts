import { describe, expect, it } from 'vitest';
import { compileScannerWasm, renderModule } from '../../../scripts/build-scanner-wasm.mjs';
import fs from 'node:fs';

describe('the committed WebAssembly scanner', () => {
  it('is the compiled arrayScanner.wat (run `npm run build:wasm` after editing it)', async () => {
    const committed = fs.readFileSync(new URL('./arrayScannerWasm.ts', import.meta.url), 'utf8');
    expect(committed).toBe(renderModule(await compileScannerWasm()));
  });
});
