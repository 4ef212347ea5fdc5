/**
 * The bundled demo dataset, fetched from the app's own origin: one request for `demo.pack` (every
 * file back to back) and `manifest.json`, which says where each file lies in the pack.
 */

import type { PathedFile } from './droppedFiles.ts';

export interface DemoManifest {
  name: string;
  description: string;
  files: string[];
  /** [path, byte offset, byte length] inside demo.pack. */
  pack: [string, number, number][];
  attribution: string;
}

export async function fetchDemo(
  baseUrl: string,
  onProgress: (done: number, total: number) => void,
): Promise<{ manifest: DemoManifest; files: PathedFile[] }> {
  const response = await fetch(`${baseUrl}manifest.json`);
  if (!response.ok) throw new Error(`the demo manifest could not be fetched (HTTP ${response.status})`);
  const manifest = (await response.json()) as DemoManifest;
  const packResponse = await fetch(`${baseUrl}demo.pack`);
  if (!packResponse.ok) throw new Error(`the demo files could not be fetched (HTTP ${packResponse.status})`);
  const pack = await packResponse.blob();
  onProgress(manifest.pack.length, manifest.pack.length);
  const files = manifest.pack.map(([path, offset, length]) => ({
    path: `demo/${path}`,
    file: new File([pack.slice(offset, offset + length)], path.split('/').pop()!, {
      type: path.endsWith('.json') ? 'application/json' : 'image/png',
    }),
  }));
  return { manifest, files };
}
