/**
 * The tfjs backends by name, and the pure rules that choose among probed ones (the probing and
 * starting of a backend is src/compute/backends.ts, inside the workers).
 */

export const BACKENDS = ['webgpu', 'webgl', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];
export type BackendChoice = 'auto' | BackendName;

export interface BackendProbe {
  name: BackendName;
  available: boolean;
  /** A GPU API running on the CPU (SwiftShader, llvmpipe, WebGPU's fallback adapter). */
  software: boolean;
  detail: string;
}

/**
 * The backend for dense linear algebra (the classifiers' matmuls and the probe's training) when
 * no model calibration chose one: a hardware GPU, else WASM, else plain JavaScript. As for
 * embedding, a software GPU (SwiftShader, llvmpipe) is never chosen when WASM is there.
 */
export function computeBackend(probes: BackendProbe[]): { backend: BackendName; reason: string } {
  const wasm = probes.find((p) => p.name === 'wasm' && p.available);
  for (const p of probes) {
    if (!p.available || p.name === 'cpu' || p.name === 'wasm') continue;
    if (p.software && wasm) continue;
    return { backend: p.name, reason: `${p.name}: a GPU (${p.detail})` };
  }
  if (wasm) return { backend: 'wasm', reason: `wasm: no hardware GPU (${wasm.detail})` };
  return { backend: 'cpu', reason: 'cpu: neither a GPU nor WebAssembly works here' };
}

/**
 * Which backends `auto` times, and why the others are left out: software GPUs only when WASM
 * is missing; the CPU backend only when nothing else works.
 */
export function autoCandidates(probes: BackendProbe[]): { candidates: BackendName[]; notes: string[] } {
  const notes: string[] = [];
  const wasm = probes.find((p) => p.name === 'wasm')?.available ?? false;
  const candidates: BackendName[] = [];
  for (const p of probes) {
    if (p.name === 'cpu') continue;
    if (!p.available) notes.push(`${p.name}: ${p.detail}`);
    else if (p.software && wasm) notes.push(`${p.name} left out: software (${p.detail})`);
    else candidates.push(p.name);
  }
  if (!candidates.length) candidates.push('cpu');
  return { candidates, notes };
}
