// One formatter per digit count: toLocaleString with options builds a new Intl.NumberFormat on
// every call (about 0.1 ms), and progress readouts call this many times a second.
const numberFormats = new Map<number, Intl.NumberFormat>();

export function formatNumber(n: number, digits = 0): string {
  if (!Number.isFinite(n)) return '—';
  let format = numberFormats.get(digits);
  if (!format) numberFormats.set(digits, (format = new Intl.NumberFormat('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 })));
  return format.format(n);
}

export { formatBytes } from '../core/units.ts';
