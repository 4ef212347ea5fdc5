import fs from 'node:fs';

// The browser every test and benchmark drives: CHROMIUM_PATH (or PLAYWRIGHT_CHROMIUM_EXECUTABLE_PATH)
// if set, else Debian's Chromium, else Playwright's own (undefined); `npx playwright install`
// cannot download on the project's machines.
export const chromiumPath =
  process.env.CHROMIUM_PATH ||
  process.env.PLAYWRIGHT_CHROMIUM_EXECUTABLE_PATH ||
  (fs.existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined);

// Headless as root needs --no-sandbox; the rest keep Chromium off the (closed) network.
export const chromiumArgs = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
