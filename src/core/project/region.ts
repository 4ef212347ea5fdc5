/** The map's selections: which points fall in a box or a lasso (a polygon, even-odd rule). */

export function pointsInBox(x: Float32Array, y: Float32Array, x0: number, x1: number, y0: number, y1: number): Int32Array {
  const [xl, xh] = x0 <= x1 ? [x0, x1] : [x1, x0];
  const [yl, yh] = y0 <= y1 ? [y0, y1] : [y1, y0];
  let n = 0;
  const out = new Int32Array(x.length);
  for (let i = 0; i < x.length; i++) if (x[i] >= xl && x[i] <= xh && y[i] >= yl && y[i] <= yh) out[n++] = i;
  return out.slice(0, n);
}

/** Points inside the polygon (px, py) by ray casting; its bounding box first skips most points. */
export function pointsInPolygon(x: Float32Array, y: Float32Array, px: ArrayLike<number>, py: ArrayLike<number>): Int32Array {
  const m = px.length;
  if (m < 3) return new Int32Array(0);
  let xl = Infinity, xh = -Infinity, yl = Infinity, yh = -Infinity;
  for (let k = 0; k < m; k++) {
    xl = Math.min(xl, px[k]);
    xh = Math.max(xh, px[k]);
    yl = Math.min(yl, py[k]);
    yh = Math.max(yh, py[k]);
  }
  const out = new Int32Array(x.length);
  let n = 0;
  for (let i = 0; i < x.length; i++) {
    const xi = x[i];
    const yi = y[i];
    if (xi < xl || xi > xh || yi < yl || yi > yh) continue;
    let inside = false;
    for (let a = 0, b = m - 1; a < m; b = a++) {
      if (py[a] > yi !== py[b] > yi && xi < ((px[b] - px[a]) * (yi - py[a])) / (py[b] - py[a]) + px[a]) inside = !inside;
    }
    if (inside) out[n++] = i;
  }
  return out.slice(0, n);
}
