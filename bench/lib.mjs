// Helpers shared by the benchmarks: medians, units, shell calls, and Chromium's processes and
// memory from /proc.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

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
