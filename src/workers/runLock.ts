/**
 * One tab owns a stored run: its embed worker holds a Web Lock named after the run's key while
 * the run is open (the lock goes with the worker if the tab closes or crashes). Another tab that
 * finds the lock held says so and can ask the owner, over a BroadcastChannel, to hand the run over.
 */

const LOCK_PREFIX = 'long-tail-lab-run:';
export const RUN_CHANNEL = 'long-tail-lab-runs';

/** Asks the tab that owns run `key` to checkpoint, close it and let go. */
export interface ReleaseRequest {
  type: 'release';
  key: string;
}

type LockManagerLike = {
  request(name: string, options: { ifAvailable?: boolean; signal?: AbortSignal }, callback: (lock: unknown) => Promise<void> | void): Promise<unknown>;
};

function lockManager(): LockManagerLike | null {
  return (globalThis.navigator as { locks?: LockManagerLike } | undefined)?.locks ?? null;
}

/**
 * Takes run `key`'s lock: at once, or waiting up to `waitMs` for its owner to let go. Returns the
 * function that releases it, or null when another tab holds it. Where the browser has no Web
 * Locks, every tab may open the run (and the file handles decide).
 */
export function acquireRunLock(key: string, waitMs = 0): Promise<(() => void) | null> {
  const locks = lockManager();
  if (!locks) return Promise.resolve(() => {});
  return new Promise((resolve, reject) => {
    const options = waitMs > 0 ? { signal: AbortSignal.timeout(waitMs) } : { ifAvailable: true };
    locks
      .request(LOCK_PREFIX + key, options, (lock) => {
        if (!lock) {
          resolve(null);
          return;
        }
        return new Promise<void>((release) => resolve(() => release()));
      })
      .catch((e: DOMException) => (e?.name === 'AbortError' || e?.name === 'TimeoutError' ? resolve(null) : reject(e)));
  });
}

/** Why the browser's private file system refused a run's files, in words (never the raw DOMException). */
export function storageRefusalInWords(e: unknown): string {
  const name = (e as DOMException)?.name;
  if (name === 'NoModificationAllowedError') return "the run's files are held by another tab or a page still closing";
  if (name === 'QuotaExceededError') return "the browser's storage for this site is full";
  if (name === 'SecurityError' || name === 'NotAllowedError') return 'the browser does not allow this site to keep files (private browsing, or site data blocked)';
  if (name === 'InvalidStateError') return "the browser's private file system is not available in this state";
  return `the browser's private file system failed (${name || 'an unknown error'})`;
}
