#!/usr/bin/env node
// Bundles entry.ts (the app's cellJoin + kernels + tfjs) with the repo's rolldown into one CommonJS
// file (so that tfjs-backend-wasm's Node loader has __dirname and require), outside the repo.
//   node bench/audit/hnsw/bundle.mjs [out.cjs]
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..', '..');
const file = path.resolve(process.argv[2] ?? path.join(process.env.HNSW_BENCH_DATA || '/tmp/ltl-hnsw-data', 'ivf-entry.cjs'));
const { build } = await import(pathToFileURL(createRequire(path.join(root, 'package.json')).resolve('rolldown')).href);
await build({ input: path.join(here, 'entry.ts'), cwd: root, platform: 'node', logLevel: 'silent', output: { dir: path.dirname(file), format: 'cjs', entryFileNames: path.basename(file) } });
console.log(file);
