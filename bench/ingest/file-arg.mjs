// The command line of the ingest benchmark's Node figures (node-reader.mjs, npm-parser.mjs,
// floor.mjs): one optional file, the generated train_metadata.json by default.

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseBenchArgs } from '../lib.mjs';

const DEFAULT_FILE = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '.data', 'herbarium2022', 'train_metadata.json');

/** The absolute path of the file to read; --help prints `summary`. */
export function metadataFileArg(script, summary) {
  const { positionals } = parseBenchArgs({ script, summary: `${summary}. Default file: bench/.data/herbarium2022/train_metadata.json.`, positionals: '[file]' });
  return path.resolve(positionals[0] ?? DEFAULT_FILE);
}
