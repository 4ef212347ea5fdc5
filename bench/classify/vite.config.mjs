// Builds bench:classify's page (bench/classify/page: a page and its worker, which bundles the
// app's classifier code through ../kernel.ts) as the app is built: ES-module worker, not minified
// (tfjs's threaded WASM backend starts its threads from the source text of a bundled function;
// see the app's vite.config.ts). Served by the app's own `vite preview` config (COOP/COEP).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = path.dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  root: path.join(here, 'page'),
  base: '/',
  logLevel: 'warn',
  define: { global: 'globalThis' },
  worker: { format: 'es', rolldownOptions: { output: { minify: false } } },
  build: {
    outDir: path.resolve(here, '..', '.data', 'classify-dist'),
    emptyOutDir: true,
    target: 'es2022',
    minify: false,
    sourcemap: false,
    reportCompressedSize: false,
  },
});
