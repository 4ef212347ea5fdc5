import fs from 'node:fs';
import { expect, type Page } from '@playwright/test';

export const METRIC_IDS = ['metric-top1', 'metric-macro-f1', 'metric-balanced-acc', 'metric-many', 'metric-medium', 'metric-few'] as const;

/** The Classify and Export sections through the contract's test ids. */
export class ClassifyPanel {
  constructor(readonly page: Page) {}

  status() {
    return this.page.getByTestId('classify-status');
  }

  /** Waits until no classifier job runs (and none failed). */
  async settled(timeout = 60_000) {
    await expect(this.status()).not.toHaveAttribute('data-state', /fitting|sweeping|evaluating|exporting/, { timeout });
    await expect(this.page.getByTestId('classify-error')).toHaveCount(0);
  }

  async fit(kind: 'auto' | 'ncm-cosine' | 'ncm-euclidean' | 'lda' | 'hierarchical' | 'probe' = 'auto', timeout = 120_000) {
    await this.page.getByTestId('classifier-select').selectOption(kind);
    await this.page.getByTestId('classify-fit').click();
    await expect(this.status()).toHaveAttribute('data-state', 'fitted', { timeout });
    await this.settled(timeout);
  }

  async autoTau() {
    await this.page.getByTestId('tau-auto').click();
    await expect(this.page.getByTestId('tau-sweep')).toBeVisible({ timeout: 60_000 });
    await this.settled();
  }

  async value(testId: string): Promise<number> {
    const v = await this.page.getByTestId(testId).getAttribute('data-value');
    return v === null || v === '' ? NaN : Number(v);
  }

  async downloadSubmission(): Promise<{ name: string; text: string }> {
    const [download] = await Promise.all([this.page.waitForEvent('download'), this.page.getByTestId('download-submission').click()]);
    return { name: download.suggestedFilename(), text: fs.readFileSync(await download.path(), 'utf8') };
  }
}
