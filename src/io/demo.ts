/** The bundled demo dataset: a folder under public/demo, fetched from the app's own origin. */

import type { PathedFile } from './droppedFiles.ts';

export interface DemoManifest {
  name: string;
  description: string;
  files: string[];
  attribution: string;
}

export async function fetchDemo(
  baseUrl: string,
  onProgress: (done: number, total: number) => void,
): Promise<{ manifest: DemoManifest; files: PathedFile[] }> {
  const response = await fetch(`${baseUrl}manifest.json`);
  if (!response.ok) throw new Error(`the demo manifest could not be fetched (HTTP ${response.status})`);
  const manifest = (await response.json()) as DemoManifest;
  const files: PathedFile[] = new Array(manifest.files.length);
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < manifest.files.length) {
      const k = next++;
      const path = manifest.files[k];
      const r = await fetch(baseUrl + path.split('/').map(encodeURIComponent).join('/'));
      if (!r.ok) throw new Error(`demo file ${path} could not be fetched (HTTP ${r.status})`);
      const blob = await r.blob();
      files[k] = { path: `demo/${path}`, file: new File([blob], path.split('/').pop()!, { type: blob.type }) };
      if (++done % 50 === 0 || done === manifest.files.length) onProgress(done, manifest.files.length);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return { manifest, files };
}
