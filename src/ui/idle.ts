/**
 * Runs `task` once the page is idle: after the frame in flight is painted and nothing more urgent
 * waits (`timeoutMs` at most). Work that can wait, such as warming plotly up or looking for a
 * stored run, so it never lengthens the task that shows a load's readouts.
 */
export function whenIdle(task: () => void, timeoutMs = 2000): () => void {
  if ('requestIdleCallback' in window) {
    const id = requestIdleCallback(task, { timeout: timeoutMs });
    return () => cancelIdleCallback(id);
  }
  const id = setTimeout(task, 200);
  return () => clearTimeout(id);
}
