import { test as base, expect } from '@playwright/test';
import { LabPage } from './pages/LabPage.ts';

/** tldraw-style fixtures: every test gets an opened app as a page object, and fails on page errors. */
export const test = base.extend<{ lab: LabPage }>({
  lab: async ({ page }, use) => {
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    const lab = new LabPage(page);
    await lab.open();
    await use(lab);
    expect(pageErrors, 'uncaught errors in the page').toEqual([]);
  },
});

export { expect };
