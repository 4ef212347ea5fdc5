/** The parse worker's command: JSON.parse of one batch of metadata array elements. */

import { batchTransferables, readBatch } from '../core/dataset/metadataBatches.ts';
import type { ParseHandlers } from './protocol.ts';

export const parseHandlers: ParseHandlers = {
  async parseBatch(request) {
    const result = readBatch(request);
    return { result, transfer: batchTransferables(result) };
  },
};
