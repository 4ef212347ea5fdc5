/**
 * How often a run's state is written while batches come. A crash or reload loses at most this
 * much work (the bound the product promises is 30 s).
 */
export const CHECKPOINT_MS = 10_000;
