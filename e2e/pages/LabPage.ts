import { expect, type Locator, type Page } from '@playwright/test';

export type StatId =
  | 'stat-images'
  | 'stat-classes'
  | 'stat-genera'
  | 'stat-families'
  | 'stat-institutions'
  | 'stat-max-class'
  | 'stat-min-class'
  | 'stat-imbalance-ratio'
  | 'stat-many'
  | 'stat-medium'
  | 'stat-few'
  | 'stat-test-images'
  | 'stat-missing-files';

export interface InMemoryFile {
  name: string;
  mimeType: string;
  buffer: Buffer;
}

/** The page as the automation contract describes it: test ids and data-value readouts only. */
export class LabPage {
  constructor(readonly page: Page) {}

  async open() {
    await this.page.goto('/');
    await expect(this.page.getByTestId('load-demo')).toBeVisible();
  }

  metadataInput(): Locator {
    return this.page.getByTestId('metadata-input');
  }

  async loadMetadata(files: string | string[] | InMemoryFile | InMemoryFile[]) {
    await this.finishing(() => this.metadataInput().setInputFiles(files));
  }

  async loadFolder(dir: string) {
    await this.finishing(() => this.page.getByTestId('folder-input').setInputFiles(dir));
  }

  async loadDemo() {
    await this.finishing(() => this.page.getByTestId('load-demo').click());
  }

  /** Runs `act` and waits until the load action it starts has finished (`data-actions-done`). */
  async finishing(act: () => Promise<unknown>) {
    const dropzone = this.page.getByTestId('dropzone');
    const before = Number(await dropzone.getAttribute('data-actions-done'));
    await act();
    await expect
      .poll(async () => Number(await dropzone.getAttribute('data-actions-done')), { timeout: 60_000 })
      .toBeGreaterThan(before);
    await this.waitIdle();
  }

  /** Drops in-memory files on the drop zone, as a person dragging them from a file manager. */
  async dropFiles(files: { name: string; content: string | number[] }[]) {
    const transfer = await this.page.evaluateHandle((list) => {
      const dt = new DataTransfer();
      for (const f of list)
        dt.items.add(new File([typeof f.content === 'string' ? f.content : new Uint8Array(f.content)], f.name));
      return dt;
    }, files);
    await this.finishing(() => this.page.getByTestId('dropzone').dispatchEvent('drop', { dataTransfer: transfer }));
  }

  /** Waits until no load is in progress (the demo button is disabled while busy). */
  async waitIdle() {
    await expect(this.page.getByTestId('load-progress')).toHaveCount(0, { timeout: 60_000 });
    await expect(this.page.getByTestId('load-demo')).toBeEnabled();
  }

  stat(id: StatId): Locator {
    return this.page.getByTestId(id);
  }

  async statValue(id: StatId): Promise<number> {
    const v = await this.stat(id).getAttribute('data-value');
    return v === null || v === '' ? NaN : Number(v);
  }

  alerts(): Locator {
    return this.page.getByRole('alert');
  }

  async dismissAlerts() {
    for (const button of await this.page.getByRole('button', { name: 'Dismiss' }).all()) await button.click();
  }
}
