// Helpers shared by the benchmarks: medians, units, shell calls, Chromium's processes and memory
// from /proc, the app's build and preview server, the command line (parseBenchArgs), the machine
// record (machineInfo), CPU time, and the BENCHMARKS.md sections (writeSection).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromiumPath } from '../scripts/chromium.mjs';

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

/** Runs `cleanup` (stops the preview server) and exits on these signals (130 on SIGINT, 143 on SIGTERM). */
export function cleanupOnSignals(cleanup, signals = ['SIGINT', 'SIGTERM']) {
  for (const sig of signals)
    process.on(sig, () => {
      cleanup();
      process.exit(sig === 'SIGINT' ? 130 : 143);
    });
}

export function stopPreview(child) {
  if (!child || child.exitCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGTERM'); // the group we created: npx and its vite
  } catch {
    /* already gone */
  }
}

// ---------------------------------------------------------------------------------------------
// Formatting shared by several reports

export const fmtMs = (ms) => (ms == null ? 'n/a' : ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms).toLocaleString('en-US')} ms`);
export const n0 = (x) => (x == null ? 'n/a' : Math.round(x).toLocaleString('en-US'));

// ---------------------------------------------------------------------------------------------
// Command line

/**
 * The command line of a bench script, read with `node:util` parseArgs (strict).
 *
 * `options`: { name: { type: 'boolean' | 'number' | 'string', default?, arg?, help } }, the flag
 * being `--name` (negative flags are plain booleans named as typed: 'no-write'). A boolean is
 * false unless given; a number is `Number(value)` (NaN refused); an option without a default is
 * undefined when absent, for defaults that hang on other options. `positionals`: false, or the
 * name shown for them in the usage line (e.g. '[file]'). `-h`/`--help` prints the usage and
 * exits 0; an unknown flag or a bad value prints the error and the usage and exits 2.
 *
 * Returns { values, positionals, argv } (argv: the raw arguments, for a record of the command).
 */
export function parseBenchArgs({ script, summary = '', options = {}, positionals = false, argv = process.argv.slice(2) }) {
  const config = { help: { type: 'boolean', short: 'h' } };
  for (const [name, o] of Object.entries(options)) config[name] = { type: o.type === 'boolean' ? 'boolean' : 'string' };
  const usage = () => usageText({ script, summary, options, positionals });
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: config, strict: true, allowPositionals: Boolean(positionals) });
  } catch (e) {
    fail(`${script}: ${e.message}`, usage);
  }
  if (parsed.values.help) {
    console.log(usage());
    process.exit(0);
  }
  const values = {};
  for (const [name, o] of Object.entries(options)) {
    const v = parsed.values[name];
    if (o.type === 'boolean') values[name] = v ?? false;
    else if (v === undefined) values[name] = o.default;
    else if (o.type === 'number') {
      const x = Number(v);
      if (Number.isNaN(x)) fail(`${script}: --${name} takes a number, not ${JSON.stringify(v)}`, usage);
      values[name] = x;
    } else values[name] = v;
  }
  return { values, positionals: parsed.positionals, argv };
}

function fail(message, usage) {
  console.error(`${message}\n\n${usage()}`);
  process.exit(2);
}

function usageText({ script, summary, options, positionals }) {
  const rows = Object.entries(options).map(([name, o]) => {
    const left = `--${name}${o.type === 'boolean' ? '' : ` ${o.arg ?? (o.type === 'number' ? 'N' : 'VALUE')}`}`;
    const dflt = o.type !== 'boolean' && o.default !== undefined ? ` (default ${o.default})` : '';
    return [left, `${o.help ?? ''}${dflt}`];
  });
  rows.push(['-h, --help', 'this text']);
  const width = Math.max(...rows.map(([l]) => l.length)) + 2;
  return [
    `usage: node ${script} [options]${positionals ? ` ${positionals}` : ''}`,
    ...(summary ? ['', summary] : []),
    '',
    'options:',
    ...rows.map(([l, r]) => `  ${l.padEnd(width)}${r}`),
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// The machine

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const chromiumLine = (s) => s.split('\n').filter((l) => /chrom/i.test(l)).pop() ?? '';

/**
 * What a benchmark records about the machine. Each field is computed only when asked for.
 * `ctx`: { root (the repo, for git), python (the interpreter asked for its version), browser (a
 * Playwright Browser: its version) }.
 */
const MACHINE_FIELDS = {
  date: () => new Date().toISOString(),
  commit: (c) => sh('git', ['-C', c.root, 'rev-parse', '--short', 'HEAD']),
  /** Uncommitted changes to the app's build inputs, untracked files included. */
  dirtyTree: (c) => sh('git', ['-C', c.root, 'status', '--porcelain', '--', 'src', 'index.html', 'vite.config.ts', 'package.json']).length > 0,
  /** Uncommitted changes to tracked app sources only. */
  dirty: (c) => sh('git', ['-C', c.root, 'status', '--porcelain', '--untracked-files=no', '--', 'src', 'index.html', 'vite.config.ts']).length > 0,
  cpu: () => (fs.readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.+)$/m) ?? [])[1] ?? os.cpus()[0]?.model ?? 'unknown',
  cores: () => os.cpus().length,
  memGiB: () => Math.round(os.totalmem() / 2 ** 30),
  nproc: () => sh('nproc', []),
  lscpu: () => sh('sh', ['-c', "lscpu | grep -E '^(Model name|CPU\\(s\\)|Thread|Core|Socket|Hypervisor|L2|L3)'"]),
  os: () => sh('sh', ['-c', '. /etc/os-release && echo "$PRETTY_NAME"']),
  kernel: () => os.release(),
  /** `chromium --version` of the browser the benchmarks drive (scripts/chromium.mjs). */
  chromium: () => chromiumLine(sh(chromiumPath ?? 'chromium', ['--version'])),
  chromiumPath: () => chromiumPath ?? "(Playwright's own)",
  /** The version Playwright reports for the launched browser. */
  browser: (c) => c.browser.version(),
  node: () => process.version,
  python: (c) => sh(c.python, ['--version']),
  pandas: (c) => sh(c.python, ['-c', 'import pandas; print(pandas.__version__)']),
  debPackages: () => sh('dpkg-query', ['-W', '-f', '${Package} ${Version}\\n', 'python3-torch', 'python3-torchvision', 'python3-opencv', 'python3-pil', 'python3-numpy']),
  free: () => sh('free', ['-g']),
  loadAverage: () => os.loadavg().map((x) => Math.round(x * 100) / 100),
};

/**
 * The machine record of a benchmark: `fields` in that order, each a field name of MACHINE_FIELDS
 * or [key, field] to record it under another key.
 */
export function machineInfo(fields, { root = repoRoot, python = process.env.PYTHON || '/usr/bin/python3', browser } = {}) {
  const ctx = { root, python, browser };
  const out = {};
  for (const f of fields) {
    const [key, name] = Array.isArray(f) ? f : [f, f];
    if (!MACHINE_FIELDS[name]) throw new Error(`machineInfo: no field ${name}`);
    out[key] = MACHINE_FIELDS[name](ctx);
  }
  return out;
}

/** The Markdown lines that show `free -g` in a section's Machine list. */
export const freeLines = (free) => ['- `free -g`:', '', '```', free, '```'];

/**
 * A section's "### Machine" list from a machineInfo record with date, commit, dirtyTree, nproc,
 * cpu, os, kernel, chromium and free; `nodeLine`: the script's own line on node and the run.
 */
export const machineLines = (m, nodeLine) => [
  '### Machine',
  '',
  `- ${m.date.slice(0, 10)} (${m.date}), commit ${m.commit}${m.dirtyTree ? ' with uncommitted app changes' : ''}`,
  `- \`nproc\`: ${m.nproc} (${m.cpu}); ${m.os}, kernel ${m.kernel}`,
  `- \`chromium --version\`: ${m.chromium}`,
  nodeLine,
  ...freeLines(m.free),
];

// ---------------------------------------------------------------------------------------------
// CPU time from /proc

/** USER_HZ, the unit of /proc's CPU times (100 on Linux). */
export const CLK_TCK = 100;

/** Busy and total jiffies of the whole machine (all CPUs), from /proc/stat. */
export function cpuTimes() {
  const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal
  const idle = f[3] + (f[4] || 0);
  const total = f.slice(0, 8).reduce((s, x) => s + x, 0);
  return { busy: total - idle, total };
}

/** Cores the whole machine kept busy between two cpuTimes() readings. */
export const coresBusy = (a, b) => ((b.busy - a.busy) / Math.max(1, b.total - a.total)) * os.cpus().length;

/** utime + stime of a process in jiffies (with `children`: + its reaped children's); null when gone. */
export function procJiffies(pid, { children = false } = {}) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the fields after the name start at field 3 (state): utime is field 14 → index 11
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const own = Number(f[11]) + Number(f[12]);
    return children ? own + Number(f[13]) + Number(f[14]) : own;
  } catch {
    return null;
  }
}

/**
 * Waits until the machine has used fewer than `below` cores over `quietMs`, at most `maxMs`;
 * `onBusy(cores)` once when it has to wait. Resolves to { quiet, cores, waitedMs }.
 */
export async function waitForQuietMachine({ below, quietMs = 3000, maxMs, onBusy }) {
  const t0 = Date.now();
  let told = false;
  for (;;) {
    const a = cpuTimes();
    await sleep(quietMs);
    const cores = coresBusy(a, cpuTimes());
    if (cores < below) return { quiet: true, cores, waitedMs: Date.now() - t0 };
    if (Date.now() - t0 >= maxMs) return { quiet: false, cores, waitedMs: Date.now() - t0 };
    if (!told) onBusy?.(cores);
    told = true;
  }
}

// ---------------------------------------------------------------------------------------------
// BENCHMARKS.md sections

export const BENCHMARKS_FILE = path.join(repoRoot, 'BENCHMARKS.md');
const BENCHMARKS_HEADER = '# Benchmarks\n\nMeasured, not estimated. Each section is written by its script under `bench/`.\n';

/** The markers around section `name`: `<!-- bench:NAME:start -->` … `<!-- bench:NAME:end -->`. */
export const sectionMarkers = (name) => ({ start: `<!-- bench:${name}:start -->`, end: `<!-- bench:${name}:end -->` });

/**
 * The first lines of section `name`: its start marker, `## title`, the line that says which script
 * writes it (`written`), and the command that remakes it in a sh block.
 */
export const sectionHead = (name, { title, written, command }) => [sectionMarkers(name).start, `## ${title}`, '', written, '', '```sh', command, '```', ''];

/** `title` and a bullet per item, with a blank line after each; nothing when there are no items. */
export const bulletLines = (title, items) => (items.length ? [title, '', ...items.map((a) => `- ${a}`), ''] : []);

/**
 * Puts `section` (its text from the start marker to the end marker, both included) in `file`
 * (BENCHMARKS.md), in place of the text between section `name`'s markers. A new section goes
 * right after section `after`'s end marker, else right before section `before`'s start marker,
 * when that one is there; else at the end. A missing BENCHMARKS.md is started with its header.
 */
export function writeSection(name, section, { file = BENCHMARKS_FILE, after, before } = {}) {
  const { start, end } = sectionMarkers(name);
  if (!section.startsWith(start) || !section.endsWith(end)) throw new Error(`writeSection: the ${name} section must run from ${start} to ${end}`);
  let text = !fs.existsSync(file) && file === BENCHMARKS_FILE ? BENCHMARKS_HEADER : fs.readFileSync(file, 'utf8');
  const a = text.indexOf(start);
  const b = text.indexOf(end);
  const afterEnd = after ? text.indexOf(sectionMarkers(after).end) : -1;
  const beforeStart = before ? text.indexOf(sectionMarkers(before).start) : -1;
  if (a >= 0 && b > a) text = text.slice(0, a) + section + text.slice(b + end.length);
  else if (afterEnd >= 0) {
    const i = afterEnd + sectionMarkers(after).end.length;
    text = text.slice(0, i) + '\n\n' + section + text.slice(i);
  } else if (beforeStart >= 0) text = text.slice(0, beforeStart) + section + '\n\n' + text.slice(beforeStart);
  else text = text.replace(/\s*$/, '\n\n') + section + '\n';
  if (!text.endsWith('\n')) text += '\n';
  fs.writeFileSync(file, text);
}
