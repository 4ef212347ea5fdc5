/**
 * The run's Web Lock against this tab's own commands: the page looks for a stored run while Start
 * opens it, so two opens of one run reach the worker at once. Both must succeed here (the lock is
 * this tab's); a second tab, with a lock manager of its own over the same names, is still refused.
 * OPFS is replaced by in-memory files and navigator.locks by a small lock manager with the Web
 * Locks semantics the code uses (ifAvailable, held until the callback's promise settles).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { StringTable } from '../core/dataset/stringTable.ts';
import { memoryRunFiles } from '../core/embed/runStore.ts';
import { SPLIT_TRAIN, type RunPlanData } from '../core/embed/runState.ts';
import { embedHandlers } from './embedHandlers.ts';
import { EmbedSession } from './embedSession.ts';
import type { JobContext } from './protocol.ts';

vi.mock('./opfsRunStore.ts', () => ({
  opfsAvailable: () => true,
  // A real open takes a few awaits: so does this one.
  openOpfsRunFiles: async () => {
    await new Promise((r) => setTimeout(r, 5));
    return memoryRunFiles();
  },
  removeOpfsRun: async () => {},
}));

/** Web Locks over one shared set of held names (one browser); each tab's worker calls request(). */
function lockManager(held: Set<string>) {
  return {
    async request(name: string, options: { ifAvailable?: boolean }, callback: (lock: unknown) => Promise<void> | void) {
      await Promise.resolve(); // the browser answers a request asynchronously
      if (held.has(name)) {
        if (options.ifAvailable) return callback(null);
        throw new Error('waiting is not modelled here');
      }
      held.add(name);
      try {
        return await callback({ name });
      } finally {
        held.delete(name);
      }
    },
  };
}

const N = 6;
const plan: RunPlanData = {
  key: 'lock-run',
  slots: N,
  nTrain: N,
  dim: 2,
  numClasses: 2,
  slotClass: Int32Array.from({ length: N }, (_, s) => s % 2),
  slotSplit: new Uint8Array(N).fill(SPLIT_TRAIN),
};
const ctx: JobContext<never> = { progress: () => {}, checkpoint: async () => {} };
const request = (create: boolean) => ({
  plan,
  classCategoryId: Int32Array.from([1, 2]),
  trainIds: StringTable.from(Array.from({ length: N }, (_, i) => `i${i}`)).toData(),
  testIds: null,
  create,
  waitMs: 0,
});

afterEach(() => vi.unstubAllGlobals());

describe('embedOpen and the run lock', () => {
  it('two opens of one run from the same tab at once both open it (the second is not "run-elsewhere")', async () => {
    const held = new Set<string>();
    vi.stubGlobal('navigator', { locks: lockManager(held) });
    const handlers = embedHandlers(new EmbedSession());
    const [looking, starting] = await Promise.allSettled([handlers.embedOpen(request(false), ctx), handlers.embedOpen(request(true), ctx)]);
    expect(looking.status).toBe('fulfilled');
    expect(starting.status).toBe('fulfilled');
    if (starting.status === 'fulfilled') expect([...starting.value.result!.todo]).toEqual([0, 1, 2, 3, 4, 5]);
    expect([...held]).toEqual(['long-tail-lab-run:lock-run']);
  });

  it('a second tab is refused while the first holds the run, and opens it once the first closes it', async () => {
    const held = new Set<string>();
    vi.stubGlobal('navigator', { locks: lockManager(held) });
    const first = embedHandlers(new EmbedSession());
    const second = embedHandlers(new EmbedSession());
    await first.embedOpen(request(true), ctx);
    await expect(second.embedOpen(request(true), ctx)).rejects.toMatchObject({ code: 'run-elsewhere' });
    await first.embedClose({ discard: false }, ctx);
    await expect(second.embedOpen(request(true), ctx)).resolves.toBeTruthy();
    expect([...held]).toEqual(['long-tail-lab-run:lock-run']);
  });
});
