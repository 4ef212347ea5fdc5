import fs from 'node:fs';
import { expect, type Page } from '@playwright/test';
import type { NpyArray } from '../../src/core/formats/npy.ts';
import { readNpz } from '../../src/core/formats/npz.ts';

export type RunState = 'idle' | 'running' | 'paused' | 'done' | 'error';

/** The Embeddings section through the contract's test ids. */
export class EmbeddingsPanel {
  constructor(readonly page: Page) {}

  async choose(options: { backend?: string; batch?: number; includeTest?: boolean }) {
    if (options.backend) await this.page.getByTestId('backend-select').selectOption(options.backend);
    if (options.batch) await this.page.getByTestId('batch-size').fill(String(options.batch));
    if (options.includeTest !== undefined) await this.page.getByTestId('include-test').setChecked(options.includeTest);
  }

  status() {
    return this.page.getByTestId('embed-status');
  }

  async expectState(state: RunState, timeout = 30_000) {
    await expect(this.status()).toHaveAttribute('data-state', state, { timeout });
  }

  /** Images processed (embedded or skipped) and the total, from the progress bar. */
  async progress(): Promise<{ now: number; max: number }> {
    const bar = this.page.getByTestId('embed-progress');
    return { now: Number(await bar.getAttribute('aria-valuenow')), max: Number(await bar.getAttribute('aria-valuemax')) };
  }

  async readout(testId: string): Promise<number> {
    return Number(await this.page.getByTestId(testId).getAttribute('data-value'));
  }

  /** Runs from Start to done. */
  async runToEnd(timeout = 240_000) {
    await this.page.getByTestId('embed-start').click();
    await this.expectState('done', timeout);
  }

  async download(testId: 'download-prototypes' | 'download-embeddings'): Promise<{ name: string; path: string; arrays: Record<string, NpyArray> }> {
    const [download] = await Promise.all([this.page.waitForEvent('download'), this.page.getByTestId(testId).click()]);
    const file = await download.path();
    return { name: download.suggestedFilename(), path: file, arrays: await readNpz(new Uint8Array(fs.readFileSync(file))) };
  }
}
