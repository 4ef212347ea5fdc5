/** How well a 2-D map keeps the high-dimensional neighbourhoods (for tests and benchmarks). */

/**
 * Trustworthiness (Venna & Kaski; sklearn.manifold.trustworthiness) of a 2-D embedding (x, y) of
 * `count` high-dimensional rows [count×dim], with k neighbours, euclidean in both spaces; brute
 * force (for test and benchmark sizes, a few thousand points):
 *
 *   T(k) = 1 − 2 / (n·k·(2n − 3k − 1)) · Σ_i Σ_{j ∈ U_k(i)} (r(i, j) − k)
 *
 * where U_k(i) are the k map neighbours of i that are not among its k high-dimensional
 * neighbours, and r(i, j) is j's rank among i's high-dimensional neighbours (1 = nearest).
 * Ranks break ties between equal distances by the smaller index, as sklearn's stable argsort
 * does; the map's k neighbours are chosen the same way. Requires k < n/2.
 */
export function trustworthiness(high: Float32Array, count: number, dim: number, x: Float32Array, y: Float32Array, k: number): number {
  const n = count;
  if (!(k >= 1 && k < n / 2)) throw new RangeError(`k = ${k} must be at least 1 and less than n/2 = ${n / 2}`);
  if (high.length < n * dim || x.length < n || y.length < n) throw new RangeError(`arrays hold fewer than ${n} points`);
  const dist = new Float64Array(n);
  const order = new Int32Array(n);
  const rank = new Int32Array(n);
  const byDist = (a: number, b: number) => dist[a] - dist[b] || a - b;
  let penalty = 0;
  for (let i = 0; i < n; i++) {
    // High-dimensional rank of every other point (self first at distance 0 → rank 0).
    const o = i * dim;
    for (let j = 0; j < n; j++) {
      let s = 0;
      const p = j * dim;
      for (let t = 0; t < dim; t++) {
        const d = high[o + t] - high[p + t];
        s += d * d;
      }
      dist[j] = s;
      order[j] = j;
    }
    dist[i] = -1; // i itself ranks first even when another row equals it
    order.sort(byDist);
    for (let r = 0; r < n; r++) rank[order[r]] = r;
    // The map's k nearest (other than i).
    for (let j = 0; j < n; j++) {
      const dx = x[i] - x[j];
      const dy = y[i] - y[j];
      dist[j] = dx * dx + dy * dy;
      order[j] = j;
    }
    dist[i] = -1;
    order.sort(byDist);
    for (let r = 1; r <= k; r++) {
      const excess = rank[order[r]] - k;
      if (excess > 0) penalty += excess;
    }
  }
  return 1 - (2 / (n * k * (2 * n - 3 * k - 1))) * penalty;
}
