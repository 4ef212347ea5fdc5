/**
 * The store's actions, made from their factories with a fresh store and fake clients: a failed
 * load keeps the dataset loaded before, a cancelled classifier job is not an error, and an error
 * with a remedy is explained by its code (never by its message).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataHandlers } from '../workers/dataHandlers.ts';
import { JobCancelled, JobError, type ClassifyCommands, type DataCommands, type HandlersFor } from '../workers/protocol.ts';
import type { CommandRunner } from '../workers/workerClient.ts';
import { createClassifyActions } from './classifyActions.ts';
import { createLab } from './index.ts';
import { createLoadActions } from './loadActions.ts';

const train = JSON.stringify({
  annotations: [
    { image_id: 'a1', category_id: 1 },
    { image_id: 'a2', category_id: 1 },
    { image_id: 'b1', category_id: 2 },
  ],
  categories: [
    { category_id: 1, scientificName: 'A b', family: 'F', genus: 'A', species: 'b' },
    { category_id: 2, scientificName: 'C d', family: 'F', genus: 'C', species: 'd' },
  ],
  images: [
    { image_id: 'a1', file_name: 'a1.jpg' },
    { image_id: 'a2', file_name: 'a2.jpg' },
    { image_id: 'b1', file_name: 'b1.jpg' },
  ],
});

/** Runs the real handlers in this thread, as the client's in-page fallback does. */
function inThread<Names extends keyof DataCommands>(handlers: HandlersFor<Names>): CommandRunner<Names> {
  return {
    run: (async (command: Names, request: never) => (await handlers[command](request, { progress: () => {}, checkpoint: async () => {} } as never)).result) as never,
  };
}

// Node has no animation frames; the readouts mark waits for one.
const raf = globalThis.requestAnimationFrame;
beforeAll(() => {
  globalThis.requestAnimationFrame = (cb: FrameRequestCallback) => {
    setTimeout(() => cb(0), 0);
    return 0;
  };
});
afterAll(() => {
  globalThis.requestAnimationFrame = raf;
});

describe('load actions', () => {
  it('a file that cannot be read leaves the loaded dataset as it was and says which file and why', async () => {
    const lab = createLab();
    const load = createLoadActions({ lab, data: inThread(dataHandlers), demoUrl: '/demo/' });
    await load.loadMetadataInput([new File([train], 'train_metadata.json')]);
    const loaded = lab.getState().dataset;
    expect(loaded?.columns.imageCount).toBe(3);
    expect([...loaded!.sizes].sort()).toEqual([1, 2]);

    await load.loadMetadataInput([new File(['{"images": [{"image_id": '], 'broken.json')]);
    expect(lab.getState().dataset).toBe(loaded);
    const message = lab.getState().messages.find((m) => m.file === 'broken.json');
    expect(message?.severity).toBe('error');
    expect(lab.getState().busy).toBe(false);
    expect(lab.getState().actionsDone).toBe(2);
  });

  it('a data worker that fails outright becomes a message on the action, and the dataset stays', async () => {
    const lab = createLab();
    const real = inThread(dataHandlers);
    let fail = false;
    const data: CommandRunner<keyof DataCommands> = {
      run: ((command: keyof DataCommands, request: never) => (fail ? Promise.reject(new JobError('failed', 'the data worker ran out of memory')) : real.run(command, request))) as never,
    };
    const load = createLoadActions({ lab, data, demoUrl: '/demo/' });
    await load.loadMetadataInput([new File([train], 'train_metadata.json')]);
    const loaded = lab.getState().dataset;
    fail = true;
    await load.loadMetadataInput([new File([train], 'again.json')]);
    expect(lab.getState().dataset).toBe(loaded);
    expect(lab.getState().messages[0]).toMatchObject({ severity: 'error', file: 'Metadata', message: 'the data worker ran out of memory' });
  });
});

describe('classify actions', () => {
  async function withDataset() {
    const lab = createLab();
    await createLoadActions({ lab, data: inThread(dataHandlers), demoUrl: '/demo/' }).loadMetadataInput([new File([train], 'train_metadata.json')]);
    return lab;
  }

  function embedThat(answer: (command: keyof ClassifyCommands) => Promise<unknown>): CommandRunner<keyof ClassifyCommands> & { sent: string[] } {
    const sent: string[] = [];
    return { sent, run: ((command: keyof ClassifyCommands) => (sent.push(command), answer(command))) as never };
  }

  it('a cancelled fit is not an error; the view is idle again', async () => {
    const lab = await withDataset();
    const embed = embedThat(() => Promise.reject(new JobCancelled()));
    const actions = createClassifyActions({ lab, embed, download: () => {} });
    await actions.fitClassifier();
    expect(lab.getState().classify).toMatchObject({ error: null, busy: null, fit: null });
  });

  it('no open run is explained by its code, whatever the message says', async () => {
    const lab = await withDataset();
    const embed = embedThat(() => Promise.reject(new JobError('no-run', 'x')));
    await createClassifyActions({ lab, embed, download: () => {} }).autoTau();
    expect(lab.getState().classify.error).toBe('no embedding run is open: embed the dataset in section 5 first (Start also reopens a stored run)');
    // A message that only reads like one is shown as it is.
    const other = embedThat(() => Promise.reject(new JobError('failed', 'no embedding run is open, cancelled')));
    await createClassifyActions({ lab, embed: other, download: () => {} }).autoTau();
    expect(lab.getState().classify.error).toBe('no embedding run is open, cancelled');
  });

  it('download submission fits first when nothing is fitted, then saves the worker’s CSV as submission.csv', async () => {
    const lab = await withDataset();
    const saved: [string, string][] = [];
    const fit = { label: 'NCM cosine', kind: 'ncm-cosine', losses: [], tau: 0.7, sweep: [], validation: { images: 10 } };
    const embed = embedThat(async (command) => {
      if (command === 'classifyFit') return fit;
      return { label: 'NCM cosine', tau: 1, blob: new Blob(['Id,Predicted\r\nt,1\r\n']), rows: 1, notEmbedded: 0, fallbackCategoryId: 1, preview: [] };
    });
    await createClassifyActions({ lab, embed, download: (blob, name) => void blob.text().then((t) => saved.push([name, t])) }).downloadSubmission();
    await new Promise((r) => setTimeout(r, 0));
    expect(embed.sent).toEqual(['classifyFit', 'classifySubmission']);
    expect(saved).toEqual([['submission.csv', 'Id,Predicted\r\nt,1\r\n']]);
    // The submission is scored at the validated τ the fit chose.
    expect(lab.getState().classify).toMatchObject({ fit, tau: 0.7, error: null, submission: { rows: 1, label: 'NCM cosine' } });
  });
});
