/** For tests: an embed session holding a run built in memory (ids `tr<i>` and `te<i>`, category ids 100 + class). */

import { StringTable } from '../core/dataset/stringTable.ts';
import type { RunState } from '../core/embed/runState.ts';
import type { RunStore } from '../core/embed/runStore.ts';
import { EmbedSession } from './embedSession.ts';

export function sessionWithRun(state: RunState, store: RunStore): EmbedSession {
  const { nTrain, slots, numClasses } = state.plan;
  const session = new EmbedSession();
  session.run = {
    state,
    store,
    storage: 'memory',
    lastCheckpoint: 0,
    classCategoryId: Int32Array.from({ length: numClasses }, (_, c) => 100 + c),
    trainIds: StringTable.from(Array.from({ length: nTrain }, (_, i) => `tr${i}`)),
    testIds: StringTable.from(Array.from({ length: slots - nTrain }, (_, i) => `te${i}`)),
  };
  return session;
}
