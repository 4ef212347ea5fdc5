/**
 * A generic L-BFGS minimiser over a flat parameter vector (Nocedal & Wright, "Numerical
 * Optimization", 2nd ed.: the two-loop recursion of Algorithm 7.4, the line search of
 * Algorithms 3.5/3.6 for the strong Wolfe conditions with cubic interpolation). The objective is
 * asynchronous, `(x) => Promise<{ loss, grad }>`, so that it may run on a tfjs backend; the
 * minimiser's own state is plain typed arrays (Float64Array, or Float32Array with `float32`), and
 * every dot product is summed in doubles.
 *
 * Float32 objectives: a loss summed in float32 is only known to ~1e-7 relatively, so near the
 * optimum two losses a step apart may be indistinguishable while the gradient still points
 * downhill. With `lossNoise` > 0, a trial whose loss is within lossNoise·|f₀| of the start's is
 * judged by the trapezoidal estimate f₀ + t·(φ'(0) + φ'(t))/2 instead (exact for a quadratic;
 * the idea of Hager & Zhang's "approximate Wolfe" conditions, SIAM J. Optim. 2005), so the line
 * search keeps making progress on the gradient's information where the loss has run out of bits.
 */

export type Vector = Float64Array | Float32Array;

export interface Evaluation {
  loss: number;
  /** ∂loss/∂x, as long as x. Copied at once: the objective may reuse or drop it. */
  grad: ArrayLike<number>;
}

/** Must not keep or change `x` (the minimiser reuses the buffer). */
export type Objective = (x: Vector) => Promise<Evaluation> | Evaluation;

/**
 * 'gradient': ‖∇f‖∞ ≤ gradientTolerance. 'loss': an iteration lowered the loss by less than
 * `tolerance`·max(|f|, 1). 'lineSearch': no step along the steepest-descent direction lowered
 * the loss (usually: the loss's own rounding is reached; see `gradNorm` for how far off it is).
 * 'maxIterations': stopped by the cap.
 */
export type LbfgsStopReason = 'gradient' | 'loss' | 'lineSearch' | 'maxIterations';

export interface LbfgsOptions {
  /** Curvature pairs kept (m), default 10. The history costs 2·m vectors of the parameters' size. */
  memory?: number;
  /** Default 200. */
  maxIterations?: number;
  /** Stop when an iteration lowers the loss by less than tolerance·max(|f_prev|, |f|, 1). Default 1e-9; 0 turns it off. */
  tolerance?: number;
  /** Stop when the gradient's max-norm is ≤ this. Default 1e-5; 0: only an exactly zero gradient stops. */
  gradientTolerance?: number;
  /** Loss-and-gradient evaluations per line search, default 20. */
  maxLineSearchEvaluations?: number;
  /** Armijo's sufficient-decrease constant, default 1e-4. */
  c1?: number;
  /** The strong Wolfe curvature constant, default 0.9 (the usual for quasi-Newton methods). */
  c2?: number;
  /** Relative rounding of the loss (see the file's comment), default 0: losses compared as they are. */
  lossNoise?: number;
  /** Keep x, the gradient and the history in Float32Array (half the memory), default false. */
  float32?: boolean;
  /** Called with iteration 0 (the start) and after every iteration; gradNorm is the max-norm. */
  onIteration?: (iteration: number, loss: number, gradNorm: number) => void;
  /** Checked before every evaluation; the promise rejects with the signal's reason. */
  signal?: AbortSignal;
  /** The two-loop recursion yields a macrotask when it has run this long (ms) without one, default 50. */
  yieldMs?: number;
}

export interface LbfgsResult {
  x: Vector;
  loss: number;
  grad: Vector;
  /** ‖grad‖∞. */
  gradNorm: number;
  iterations: number;
  /** Objective calls, the start's included. */
  evaluations: number;
  /** stopReason is 'gradient' or 'loss'. */
  converged: boolean;
  stopReason: LbfgsStopReason;
  /** losses[0] at the start, losses[k] after iteration k (iterations + 1 values). */
  losses: number[];
}

export function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The operation was aborted.', 'AbortError');
}

/** Lets messages (a cancel) in: a macrotask, not a microtask. */
export const macrotask = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

function dot(a: Vector, b: Vector): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function maxAbs(a: Vector): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const v = Math.abs(a[i]);
    if (v > m || v !== v) m = v; // NaN wins, so a broken gradient never looks converged
  }
  return m;
}

/**
 * The minimiser of the cubic through (t1, f1, g1) and (t2, f2, g2) (values and slopes), clamped
 * to [lo, hi]; the middle of [lo, hi] when the cubic has none (or a value is not finite).
 */
export function cubicMinimum(t1: number, f1: number, g1: number, t2: number, f2: number, g2: number, lo: number, hi: number): number {
  if (t1 > t2) [t1, f1, g1, t2, f2, g2] = [t2, f2, g2, t1, f1, g1];
  const d1 = g1 + g2 - (3 * (f1 - f2)) / (t1 - t2);
  const d2sq = d1 * d1 - g1 * g2;
  if (d2sq >= 0) {
    const d2 = Math.sqrt(d2sq);
    const t = t2 - (t2 - t1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2));
    if (Number.isFinite(t)) return Math.min(Math.max(t, lo), hi);
  }
  return (lo + hi) / 2;
}

interface Trial {
  t: number;
  f: number;
  /**
   * f − f₀ as the line search compares it: measured, or within the noise band the trapezoidal
   * estimate t·(φ'(0) + φ'(t))/2 (kept as a difference: added to f₀ it would round away).
   */
  fe: number;
  /** φ'(t) = ∇f(x + t·d)·d. */
  dg: number;
}

export async function minimizeLbfgs(objective: Objective, x0: ArrayLike<number>, options: LbfgsOptions = {}): Promise<LbfgsResult> {
  const n = x0.length;
  const m = Math.max(1, Math.floor(options.memory ?? 10));
  const maxIterations = options.maxIterations ?? 200;
  const ftol = options.tolerance ?? 1e-9;
  const gtol = options.gradientTolerance ?? 1e-5;
  const maxEvals = Math.max(2, options.maxLineSearchEvaluations ?? 20);
  const c1 = options.c1 ?? 1e-4;
  const c2 = options.c2 ?? 0.9;
  const lossNoise = options.lossNoise ?? 0;
  const yieldMs = options.yieldMs ?? 50;
  const signal = options.signal;
  const Vec = options.float32 ? Float32Array : Float64Array;
  const storageEps = options.float32 ? 2 ** -23 : 2 ** -52;
  const vec = (): Vector => new Vec(n);

  let x = vec();
  x.set(x0);
  let g = vec();
  const d = vec();
  let xt = vec();
  let gt = vec();
  let gLo = vec();
  const S: Vector[] = [];
  const Y: Vector[] = [];
  const rho: number[] = [];
  const alpha = new Float64Array(m + 1);
  let sNew = vec();
  let yNew = vec();
  let evaluations = 0;
  let lastYield = performance.now();

  const evaluate = async (point: Vector, gradOut: Vector): Promise<number> => {
    if (signal?.aborted) throw abortReason(signal);
    const e = await objective(point);
    evaluations++;
    if (signal?.aborted) throw abortReason(signal);
    if (e.grad.length !== n) throw new RangeError(`the gradient has ${e.grad.length} values, not ${n}`);
    gradOut.set(e.grad);
    return e.loss;
  };
  const maybeYield = async () => {
    if (performance.now() - lastYield > yieldMs) {
      await macrotask();
      lastYield = performance.now();
      if (signal?.aborted) throw abortReason(signal);
    }
  };

  let f = await evaluate(x, g);
  if (!Number.isFinite(f)) throw new RangeError(`the loss at the start is ${f}`);
  let gradNorm = maxAbs(g);
  if (!Number.isFinite(gradNorm)) throw new RangeError('the gradient at the start is not finite');
  const losses = [f];
  options.onIteration?.(0, f, gradNorm);

  /** The strong Wolfe line search along d from x (loss f, slope dg0 < 0); the accepted point ends in xt/gt. */
  const lineSearch = async (tInit: number, dg0: number): Promise<Trial | null> => {
    const f0 = f;
    const noise = lossNoise * Math.abs(f0);
    const dNorm = maxAbs(d);
    const tiny = storageEps * Math.max(1, maxAbs(x));
    let used = 0;
    const trial = async (t: number): Promise<Trial> => {
      for (let i = 0; i < n; i++) xt[i] = x[i] + t * d[i];
      const ft = await evaluate(xt, gt);
      used++;
      const dg = dot(gt, d);
      let fe = Number.isFinite(ft) && Number.isFinite(dg) ? ft - f0 : Infinity;
      if (noise > 0 && Math.abs(fe) <= noise) fe = (t * (dg0 + dg)) / 2;
      return { t, f: ft, fe, dg: Number.isFinite(dg) ? dg : NaN };
    };
    const sufficient = (p: Trial) => p.fe <= c1 * p.t * dg0;
    const curvature = (p: Trial) => Math.abs(p.dg) <= -c2 * dg0;
    const start: Trial = { t: 0, f: f0, fe: 0, dg: dg0 };
    const swapToLo = () => {
      const tmp = gLo;
      gLo = gt;
      gt = tmp;
    };
    // lo's gradient lives in gLo, except when lo is the start (t = 0).
    const acceptLo = (lo: Trial): Trial | null => {
      if (lo.t === 0) return null;
      for (let i = 0; i < n; i++) xt[i] = x[i] + lo.t * d[i];
      swapToLo();
      return lo;
    };
    const zoom = async (lo: Trial, hi: Trial): Promise<Trial | null> => {
      while (used < maxEvals) {
        const width = Math.abs(hi.t - lo.t);
        if (width * dNorm <= tiny) break;
        const a = Math.min(lo.t, hi.t);
        const b = Math.max(lo.t, hi.t);
        const t = Number.isFinite(hi.fe) && Number.isFinite(hi.dg) ? cubicMinimum(lo.t, lo.fe, lo.dg, hi.t, hi.fe, hi.dg, a + 0.1 * width, b - 0.1 * width) : (a + b) / 2;
        const p = await trial(t);
        if (!sufficient(p) || p.fe >= lo.fe) hi = p;
        else {
          if (curvature(p)) return p;
          if (p.dg * (hi.t - lo.t) >= 0) hi = lo;
          lo = p;
          swapToLo();
        }
      }
      return acceptLo(lo);
    };
    let prev = start;
    let t = tInit;
    while (used < maxEvals) {
      const p = await trial(t);
      if (!sufficient(p) || (prev.t > 0 && p.fe >= prev.fe)) return zoom(prev, p);
      if (curvature(p)) return p;
      if (p.dg >= 0) {
        swapToLo();
        return zoom(p, prev);
      }
      swapToLo();
      const next = cubicMinimum(prev.t, prev.fe, prev.dg, p.t, p.fe, p.dg, p.t + 0.01 * (p.t - prev.t), 10 * p.t);
      prev = p;
      t = next;
    }
    return acceptLo(prev);
  };

  let iterations = 0;
  let stopReason: LbfgsStopReason | null = gradNorm <= gtol ? 'gradient' : null;
  while (stopReason === null) {
    if (iterations >= maxIterations) {
      stopReason = 'maxIterations';
      break;
    }
    if (signal?.aborted) throw abortReason(signal);
    // The two-loop recursion: d = −H·g, H the L-BFGS inverse-Hessian estimate.
    let dg0 = 0;
    if (S.length > 0) {
      d.set(g);
      for (let j = S.length - 1; j >= 0; j--) {
        alpha[j] = rho[j] * dot(S[j], d);
        const a = alpha[j];
        const y = Y[j];
        for (let i = 0; i < n; i++) d[i] -= a * y[i];
        await maybeYield();
      }
      const last = S.length - 1;
      const gamma = 1 / (rho[last] * dot(Y[last], Y[last]));
      for (let i = 0; i < n; i++) d[i] *= gamma;
      for (let j = 0; j < S.length; j++) {
        const c = alpha[j] - rho[j] * dot(Y[j], d);
        const s = S[j];
        for (let i = 0; i < n; i++) d[i] += c * s[i];
        await maybeYield();
      }
      for (let i = 0; i < n; i++) d[i] = -d[i];
      dg0 = dot(g, d);
    }
    let fresh = S.length === 0;
    if (!(dg0 < 0)) {
      // No history, or a direction that does not go downhill (rounding): steepest descent.
      S.length = Y.length = rho.length = 0;
      fresh = true;
      for (let i = 0; i < n; i++) d[i] = -g[i];
      dg0 = -dot(g, g);
    }
    // Without curvature information, a first step of unit length (as L-BFGS-B does).
    let step = await lineSearch(fresh ? 1 / Math.sqrt(-dg0) : 1, dg0);
    if (step === null && !fresh) {
      // The quasi-Newton direction failed: forget the history and try steepest descent once.
      S.length = Y.length = rho.length = 0;
      for (let i = 0; i < n; i++) d[i] = -g[i];
      dg0 = -dot(g, g);
      step = await lineSearch(1 / Math.sqrt(-dg0), dg0);
    }
    if (step === null) {
      stopReason = 'lineSearch';
      break;
    }
    iterations++;
    // The curvature pair; skipped when sᵀy is not safely positive (the update would not be positive definite).
    for (let i = 0; i < n; i++) {
      sNew[i] = xt[i] - x[i];
      yNew[i] = gt[i] - g[i];
    }
    const sy = dot(sNew, yNew);
    const yy = dot(yNew, yNew);
    if (sy > 1e-10 * yy && yy > 0) {
      S.push(sNew);
      Y.push(yNew);
      rho.push(1 / sy);
      if (S.length > m) {
        sNew = S.shift()!;
        yNew = Y.shift()!;
        rho.shift();
      } else {
        sNew = vec();
        yNew = vec();
      }
    }
    const fPrev = f;
    [x, xt] = [xt, x];
    [g, gt] = [gt, g];
    f = step.f;
    gradNorm = maxAbs(g);
    losses.push(f);
    options.onIteration?.(iterations, f, gradNorm);
    // The decrease as the line search judged it (its trapezoidal estimate within the noise band).
    const decrease = -step.fe;
    if (gradNorm <= gtol) stopReason = 'gradient';
    else if (decrease < ftol * Math.max(Math.abs(fPrev), Math.abs(f), 1)) stopReason = 'loss';
  }
  return {
    x,
    loss: f,
    grad: g,
    gradNorm,
    iterations,
    evaluations,
    converged: stopReason === 'gradient' || stopReason === 'loss',
    stopReason,
    losses,
  };
}
