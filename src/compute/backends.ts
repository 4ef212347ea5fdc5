/**
 * Picks the tfjs backend for a run. `auto` tries every backend that works here, never a software
 * GPU (WebGPU's fallback adapter, a SwiftShader/llvmpipe WebGL) while WASM works, and keeps the
 * one that embeds fastest in a short timed calibration: a fixed order would pick WebGL on a
 * machine where WASM is ten times faster. Runs in the embed worker.
 */

import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import type { BackendName, BackendProbe } from '../core/embed/backendChoice.ts';

const softwareRenderer = /swiftshader|llvmpipe|software|softpipe|lavapipe/i;

async function probeWebGpu(): Promise<BackendProbe> {
  const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<GpuAdapterLike | null> } }).gpu;
  if (!gpu) return { name: 'webgpu', available: false, software: false, detail: 'this browser has no WebGPU' };
  try {
    const adapter = await gpu.requestAdapter();
    if (!adapter) return { name: 'webgpu', available: false, software: false, detail: 'no WebGPU adapter' };
    const info = adapter.info ?? {};
    const fallback = Boolean(info.isFallbackAdapter ?? adapter.isFallbackAdapter);
    const name = [info.vendor, info.architecture, info.description].filter(Boolean).join(' ') || 'unnamed adapter';
    return { name: 'webgpu', available: true, software: fallback || softwareRenderer.test(name), detail: fallback ? `fallback adapter (${name})` : name };
  } catch (e) {
    return { name: 'webgpu', available: false, software: false, detail: `WebGPU failed: ${(e as Error).message}` };
  }
}
interface GpuAdapterLike {
  info?: { vendor?: string; architecture?: string; description?: string; isFallbackAdapter?: boolean };
  isFallbackAdapter?: boolean;
}

function probeWebGl(): BackendProbe {
  try {
    const canvas = typeof OffscreenCanvas !== 'undefined' ? new OffscreenCanvas(1, 1) : document.createElement('canvas');
    const gl = canvas.getContext('webgl2') as WebGL2RenderingContext | null;
    if (!gl) return { name: 'webgl', available: false, software: false, detail: 'no WebGL 2' };
    const ext = gl.getExtension('WEBGL_debug_renderer_info');
    const renderer = String(ext ? gl.getParameter(ext.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER));
    gl.getExtension('WEBGL_lose_context')?.loseContext();
    return { name: 'webgl', available: true, software: softwareRenderer.test(renderer), detail: renderer };
  } catch (e) {
    return { name: 'webgl', available: false, software: false, detail: `WebGL failed: ${(e as Error).message}` };
  }
}

function probeWasm(): BackendProbe {
  if (typeof WebAssembly === 'undefined') return { name: 'wasm', available: false, software: false, detail: 'no WebAssembly' };
  const threads = typeof SharedArrayBuffer !== 'undefined' && globalThis.crossOriginIsolated === true;
  return {
    name: 'wasm',
    available: true,
    software: false,
    detail: threads ? `SIMD, ${navigator.hardwareConcurrency} threads` : 'SIMD, one thread (the page is not cross-origin isolated: COOP/COEP headers missing)',
  };
}

export async function probeBackends(): Promise<BackendProbe[]> {
  return [await probeWebGpu(), probeWebGl(), probeWasm(), { name: 'cpu', available: true, software: false, detail: 'plain JavaScript' }];
}

let wasmConfigured = false;

/** Makes `name` tfjs's backend; throws with the reason when it cannot start. */
export async function activateBackend(name: BackendName): Promise<void> {
  if (name === 'wasm' && !wasmConfigured) {
    wasmConfigured = true;
    // The app serves the WASM binaries itself (bundled by Vite), never from a CDN.
    setWasmPaths({
      'tfjs-backend-wasm.wasm': wasmPlain,
      'tfjs-backend-wasm-simd.wasm': wasmSimd,
      'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedSimd,
    });
    setThreadsCount(logicalCores());
  }
  if (tf.getBackend() === name) return;
  // tfjs's WASM module caps its thread pool at hardwareConcurrency / 2 (read once, when the module
  // starts), whatever setThreadsCount asks: one thread on a 2-core machine. Showing it twice the
  // cores while it starts lets the pool take every core; the real value is restored at once.
  const ok = name === 'wasm' ? await withDoubledCoreCount(() => tf.setBackend(name)) : await tf.setBackend(name);
  if (!ok) throw new Error(`the ${name} backend did not start`);
  await tf.ready();
}

function logicalCores(): number {
  return Math.max(1, navigator.hardwareConcurrency || 1);
}

async function withDoubledCoreCount<T>(start: () => Promise<T>): Promise<T> {
  const doubled = 2 * logicalCores();
  // hardwareConcurrency is an accessor on the Navigator prototype: an own property shadows it.
  Object.defineProperty(navigator, 'hardwareConcurrency', { configurable: true, get: () => doubled });
  try {
    return await start();
  } finally {
    delete (navigator as { hardwareConcurrency?: number }).hardwareConcurrency;
  }
}

/** Threads the WASM backend actually runs (after it started), for the reason shown. */
export function wasmThreadsInUse(): number | null {
  return wasmConfigured && tf.getBackend() === 'wasm' ? getThreadsCount() : null;
}

/** What tfjs decided about WASM threads here (they need SharedArrayBuffer and cross-origin isolation). */
export async function wasmThreadSupport(): Promise<string> {
  const threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  return `tfjs: threads ${threads ? 'supported' : 'not supported'}, SIMD ${simd ? 'supported' : 'not supported'}, crossOriginIsolated ${String(globalThis.crossOriginIsolated)}`;
}
