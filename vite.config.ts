import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';

// Cross-origin isolation: tfjs's threaded WASM backend needs SharedArrayBuffer, which browsers
// only grant to pages served with these two headers. Any deployment must send them too.
const crossOriginIsolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  plugins: [react()],
  // plotly.js's per-trace modules (our custom bundle) still read Node's `global`.
  define: { global: 'globalThis' },
  server: { headers: crossOriginIsolation },
  preview: { headers: crossOriginIsolation },
  worker: {
    format: 'es',
    // Not minified: tfjs's threaded WASM backend starts its threads from the source text of a
    // bundled function (Function.prototype.toString); a minifier renames the outer variables
    // that text refers to, and every thread dies with "e is not defined".
    rolldownOptions: { output: { minify: false } },
  },
  build: { target: 'es2022', sourcemap: true },
  test: {
    include: ['src/**/*.test.ts', 'scripts/**/*.test.ts'],
    environment: 'node',
  },
});
