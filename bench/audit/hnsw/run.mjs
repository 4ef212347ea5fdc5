#!/usr/bin/env node
// hnswlib-wasm against the app's cellJoin for the audit's near pairs. For each size: data (gen.mjs),
// brute-force truth on the sample (truth.py, NumPy), then `repeats` runs of each method, one process
// per run (so each peak RSS is its own), one after another; prints the runs and a table of medians,
// and writes them to $HNSW_BENCH_DATA/results-<sizes>.json.
//   node bench/audit/hnsw/run.mjs --sizes 50000,200000 --repeats 3 [--methods js,tf,hnsw]
//   (tf@16: cellJoin with probe 16; hnsw@100: efConstruction 100)
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { dataDir } from './common.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const { values: a } = parseArgs({ options: { sizes: { type: 'string', default: '50000,200000' }, repeats: { type: 'string', default: '3' }, methods: { type: 'string', default: 'js,tf,hnsw' } } });
const sizes = a.sizes.split(',').map(Number);
const methods = a.methods.split(',');
const repeats = Number(a.repeats);
const PY = process.env.PYTHON || '/usr/bin/python3';
const node = (script, args) => execFileSync(process.execPath, [path.join(here, script), ...args.map(String)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 26 });
const lines = (s) => s.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
const median = (xs) => { const s = [...xs].sort((p, q) => p - q); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };

node('bundle.mjs', [path.join(path.dirname(dataDir(0)), 'ivf-entry.cjs')]); // fresh bundle of the current source
const runs = [];
for (const n of sizes) {
  if (!fs.existsSync(path.join(dataDir(n), 'rows.f32'))) console.error(node('gen.mjs', [n]).trim());
  if (!fs.existsSync(path.join(dataDir(n), 'truth.i32'))) console.error(execFileSync(PY, [path.join(here, 'truth.py'), dataDir(n)], { encoding: 'utf8' }).trim());
  for (let r = 0; r < repeats; r++)
    for (const m of methods) {
      const load1 = os.loadavg()[0];
      // js | tf [@probe] (cellJoin's kernel, probe) or hnsw [@efConstruction] (ef 50 and 100, M 16).
      const [what, param] = m.split('@');
      const out = lines(what === 'hnsw' ? node('hnsw.mjs', [n, '50,100', 11, 16, param ?? 200]) : node('ivf.mjs', param ? [n, what, param] : [n, what]));
      for (const o of out) { o.load1Before = Math.round(load1 * 100) / 100; console.error(JSON.stringify(o)); runs.push(o); }
    }
}
const groups = new Map();
for (const o of runs) { const k = `${o.n}|${o.method}`; if (!groups.has(k)) groups.set(k, []); groups.get(k).push(o); }
const table = ['| size | method | build s | query s | total s | recall@0.95 (sample) | planted recall | NN right | peak RSS MiB | runs |', '|---|---|---|---|---|---|---|---|---|---|'];
for (const g of groups.values()) {
  const f = (x, d = 2) => median(g.map((o) => o[x])).toFixed(d);
  table.push(`| ${g[0].n.toLocaleString('en-US')} | ${g[0].method} | ${f('buildS')} | ${f('queryS')} | ${f('totalS')} | ${f('recall', 4)} (${g[0].truthPairs}) | ${f('plantedRecall', 4)} (${g[0].plantedPairs}) | ${f('nnAccuracy', 4)} | ${f('peakRssMiB', 0)} | ${g.length} |`);
}
fs.writeFileSync(path.join(path.dirname(dataDir(0)), `results-${sizes.join('-')}.json`), JSON.stringify(runs, null, 1));
console.log(table.join('\n'));
