/** Requests and results of the audit command (AuditCommands in protocol.ts). */

import type { InstitutionAccuracy } from '../core/audit/shortcuts.ts';

export interface AuditRunRequest {
  /** Pairs with a cosine at or above this are found; the page's threshold can be raised above it without a new run. */
  floor: number;
  seed: number;
  /** Per slot: its institution index (−1: none, and every test slot). */
  slotInstitution: Int32Array;
  numInstitutions: number;
  /** Per slot, the fitted classifier's validated right/wrong codes (classifyCorrectness), when there is a fit. */
  correctness: Uint8Array | null;
  /** Start again even where a stored audit of the same run and settings could be continued or shown. */
  fresh?: boolean;
}

export interface AuditProgress {
  stage: string;
  /** Done and total of the stage's units (0 and 0 when it has none). */
  done: number;
  total: number;
}

export interface AuditResult {
  /** The run's done count when the audit ran: a later audit is needed once more images are embedded. */
  embedded: number;
  /** Per slot of the run, its split (SPLIT_TRAIN, SPLIT_HELDOUT, SPLIT_TEST): what a pair is read against. */
  slotSplit: Uint8Array;
  /** Near pairs by slot (a < b), most similar first; `identical`: their files are byte for byte the same. */
  pairs: { a: Int32Array; b: Int32Array; cosine: Float32Array; identical: Uint8Array };
  /** The lowest cosine the pair list holds (the request's floor, or higher when the list was full). */
  floor: number;
  /** The threshold the page starts at, and why (see defaultThreshold). */
  suggestedThreshold: number;
  thresholdNote: string;
  /** Per done labelled slot, its nearest labelled neighbour's cosine: the histogram the threshold is read from. */
  nearestCosines: Float32Array;
  /** How the pairs were searched: cells, cells probed, dot products against brute force's. */
  search: { cells: number; probe: number; comparisons: number; bruteForce: number; reducedFrom: number | null; dim: number };
  /** Byte-identical file pairs among embedded images (hashes known for this many slots). */
  identicalPairs: number;
  hashedSlots: number;
  labelIssues: {
    slot: Int32Array;
    /** Class indexes. */
    given: Int32Array;
    suggested: Int32Array;
    score: Float32Array;
    /** Images assessed (labelled, embedded, of a class with ≥ 2 fitting images), and those left out. */
    assessed: number;
    notAssessed: number;
    /** The classifier's temperature, and how many rows a class outside the kept top k might have changed. */
    scale: number;
    unsure: number;
  };
  novelty: {
    /** Embedded test slots, most novel first; score: distance to the k-th nearest labelled image (√(2 − 2·cos)). */
    slot: Int32Array;
    score: Float32Array;
    /** Each one's nearest labelled slot and cosine. */
    nearest: Int32Array;
    nearestCosine: Float32Array;
    k: number;
  };
  institutions: {
    mainInstitution: Int32Array;
    share: Float64Array;
    images: Int32Array;
    accuracy: InstitutionAccuracy | null;
  };
  /** Milliseconds per stage, in order. */
  stages: { stage: string; ms: number }[];
  /** The result was read back from the run's store (an audit of this run done before). */
  restored: boolean;
}
