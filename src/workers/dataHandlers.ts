/** The data worker's commands: dropped metadata files and folder trees into columns and their summary. */

import { readImageFolder } from '../core/dataset/imageFolder.ts';
import { ingestMetadataFiles } from '../core/dataset/ingest.ts';
import { transferablesOf } from '../core/dataset/types.ts';
import { summarizeDataset, summaryTransferables } from '../core/stats/distribution.ts';
import { createParsePool } from './clients.ts';
import type { DataHandlers } from './protocol.ts';

export const dataHandlers: DataHandlers = {
  async ingest(request, ctx) {
    // JSON.parse is most of the work after the WebAssembly scan: parse workers run it on the
    // other cores while this thread keeps scanning (none where workers cannot start).
    const pool = createParsePool();
    try {
      const result = await ingestMetadataFiles(
        request.files.map((f) => ({ name: f.name, blob: f })),
        {
          onProgress: (p) => ctx.progress(p),
          afterChunk: () => ctx.checkpoint(),
          parseBatch: pool ? (batch) => pool.run('parseBatch', batch, { transfer: [batch.bytes.buffer as ArrayBuffer] }) : undefined,
          // Two batches queued per parse worker keeps each busy; the rest parse in this thread.
          maxInFlight: pool ? 2 * pool.size : undefined,
        },
      );
      const summary = result.train ? summarizeDataset(result.train) : null;
      return {
        result: { ...result, summary },
        transfer: [...transferablesOf(result.train), ...transferablesOf(result.test), ...summaryTransferables(summary)],
      };
    } finally {
      pool?.dispose();
    }
  },

  async imageFolder(request) {
    const read = readImageFolder(request.folderName, request.paths);
    if (!read) return { result: null, transfer: [] };
    const summary = summarizeDataset(read.train);
    return {
      result: { ...read, summary },
      transfer: [...transferablesOf(read.train), ...transferablesOf(read.test), ...summaryTransferables(summary)],
    };
  },
};
