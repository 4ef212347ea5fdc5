// Helpers shared by the benchmarks: medians, units, shell calls, and Chromium's processes and
// memory from /proc.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const median = (xs) => {
  const s = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return null;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
export const mib = (bytes) => (bytes == null ? null : Math.round((bytes / 1048576) * 10) / 10);
export const fmtS = (s) => (s == null ? 'n/a' : `${s.toFixed(2)} s`);
export const fmtMiB = (m) => (m == null ? 'n/a' : `${Math.round(m).toLocaleString('en-US')} MiB`);
export const sh = (cmd, args) => {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).replace(/^\n+|\s+$/g, '');
  } catch (e) {
    return `(${cmd} failed: ${String(e.stderr || e.message).trim().split('\n')[0]})`;
  }
};

/** ppid of every process, from /proc/<pid>/stat (field 4, after the parenthesised name). */
export function processTable() {
  const table = new Map();
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      table.set(Number(d), Number(rest[1]));
    } catch {
      /* gone */
    }
  }
  return table;
}

/** All descendants of `rootPid`, leaving out the subtrees rooted at `exclude`. */
export function descendants(rootPid, exclude = new Set()) {
  const table = processTable();
  const children = new Map();
  for (const [pid, ppid] of table) {
    if (!children.has(ppid)) children.set(ppid, []);
    children.get(ppid).push(pid);
  }
  const out = [];
  const stack = [...(children.get(rootPid) ?? [])];
  while (stack.length) {
    const pid = stack.pop();
    if (exclude.has(pid)) continue;
    out.push(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return out;
}

export function statusKiB(pid, field) {
  try {
    const m = fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

export function pssKiB(pid) {
  try {
    const m = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8').match(/^Pss:\s+(\d+) kB/m);
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** Chromium's process type from its command line (browser, renderer, gpu-process, utility …, or gone). */
export function processType(pid) {
  try {
    const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    const t = cmd.match(/--type=([\w-]+)/)?.[1];
    if (!t) return /chrom/i.test(cmd.split('\0')[0]) ? 'browser' : 'other';
    if (t === 'utility') return `utility ${cmd.match(/--utility-sub-type=([\w.-]+)/)?.[1]?.split('.').pop() ?? ''}`.trim();
    return t;
  } catch {
    return 'gone';
  }
}

/** The newest modification time under `p` (a file or a whole tree), 0 when missing. */
export function newestMtime(p) {
  let t = 0;
  const st = fs.statSync(p, { throwIfNoEntry: false });
  if (!st) return 0;
  if (!st.isDirectory()) return st.mtimeMs;
  for (const e of fs.readdirSync(p, { withFileTypes: true })) t = Math.max(t, newestMtime(path.join(p, e.name)));
  return t;
}

/** The inputs of the app's build: dist is stale when any of them is newer. */
const APP_SOURCES = ['src', 'index.html', 'vite.config.ts', 'package.json', 'public'];

/**
 * `npx vite build --outDir distDir` of the app, unless distDir is newer than every source (or
 * `force`). Each benchmark keeps its own distDir: dist/ is rebuilt by other runs meanwhile.
 */
export function ensureAppBuild({ root, distDir, force = false, log = () => {} }) {
  const name = path.relative(root, distDir);
  const built = fs.statSync(path.join(distDir, 'index.html'), { throwIfNoEntry: false })?.mtimeMs ?? 0;
  const sources = Math.max(...APP_SOURCES.map((p) => newestMtime(path.join(root, p))));
  if (built && built >= sources && !force) {
    log(`${name} is up to date`);
    return { rebuilt: false, builtAt: new Date(built).toISOString() };
  }
  log(`${name} ${built ? 'is older than the sources' : 'is missing'}: npx vite build --outDir ${name}`);
  const r = spawnSync('npx', ['vite', 'build', '--outDir', distDir, '--emptyOutDir', '--logLevel', 'warn'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error(`npx vite build failed (exit ${r.status})`);
  return { rebuilt: true, builtAt: new Date().toISOString() };
}

export function portFree(port) {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** The first free port from `start` on, skipping `avoid` (ports other tools use). */
export async function freePort(start, avoid = new Set()) {
  for (let p = start; p < start + 50; p++) if (!avoid.has(p) && (await portFree(p))) return p;
  throw new Error(`no free port in ${start}..${start + 49}`);
}

/**
 * `vite preview` of `distDir` (vite's default dist/ when omitted) on `port`, in its own process
 * group; resolves once it answers, with the COOP/COEP headers it sent (the app needs both).
 */
export async function startPreview({ root, port, distDir, log = () => {} }) {
  const url = `http://127.0.0.1:${port}/`;
  const args = ['vite', 'preview', ...(distDir ? ['--outDir', distDir] : []), '--port', String(port), '--strictPort', '--host', '127.0.0.1'];
  const child = spawn('npx', args, {
    cwd: root,
    detached: true, // own process group: killed as a group at the end
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  let exited = null;
  child.on('exit', (code) => (exited = code));
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (exited !== null) throw new Error(`vite preview exited (${exited}):\n${output}`);
    try {
      const r = await fetch(url);
      if (r.ok) {
        const coop = r.headers.get('cross-origin-opener-policy');
        const coep = r.headers.get('cross-origin-embedder-policy');
        log(`vite preview is up on ${url} (COOP ${coop ?? 'none'}, COEP ${coep ?? 'none'})`);
        return { child, url, headers: { coop, coep } };
      }
    } catch {
      /* not yet */
    }
    await sleep(200);
  }
  stopPreview(child);
  throw new Error(`vite preview did not answer on ${url} within 60 s:\n${output}`);
}

export function stopPreview(child) {
  if (!child || child.exitCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGTERM'); // the group we created: npx and its vite
  } catch {
    /* already gone */
  }
}
