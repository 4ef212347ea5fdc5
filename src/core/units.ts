/** Unit formatting shared by the core's messages and the UI. */

/** Decimal units, as file managers and Kaggle show sizes (667 MB for Herbarium's metadata). */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  if (n < 1e6) return `${(n / 1e3).toFixed(1)} kB`;
  if (n < 1e9) return `${(n / 1e6).toFixed(1)} MB`;
  return `${(n / 1e9).toFixed(2)} GB`;
}
