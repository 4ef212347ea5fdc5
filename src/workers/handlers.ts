/** The command implementations, shared by the worker and the in-page fallback. */

import { readImageFolder } from '../core/dataset/imageFolder.ts';
import { ingestMetadataFiles } from '../core/dataset/ingest.ts';
import { transferablesOf } from '../core/dataset/types.ts';
import type { CommandHandlers } from './protocol.ts';

export const commandHandlers: CommandHandlers = {
  async ingest(request, ctx) {
    const result = await ingestMetadataFiles(
      request.files.map((f) => ({ name: f.name, blob: f })),
      { onProgress: (p) => ctx.progress(p), afterChunk: () => ctx.checkpoint() },
    );
    return { result, transfer: [...transferablesOf(result.train), ...transferablesOf(result.test)] };
  },

  async imageFolder(request) {
    const result = readImageFolder(request.folderName, request.paths);
    return { result, transfer: result ? [...transferablesOf(result.train), ...transferablesOf(result.test)] : [] };
  },
};
