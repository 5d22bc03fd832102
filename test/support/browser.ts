/**
 * A real browser for what a person sees: Debian's chromium, headless, driven by puppeteer-core.
 * Where it is missing the tests that need it are skipped with a loud warning, and fail under
 * CI=true (.ci/run installs it).
 */
import { accessSync, constants } from 'node:fs';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export function browserSkipReason(): string | undefined {
  try {
    accessSync(CHROMIUM, constants.X_OK);
    return undefined;
  } catch {
    const reason = `browser tests skipped: no chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`;
    if (process.env.CI === 'true') throw new Error(`${reason}. CI=true requires it (.ci/run installs it).`);
    console.warn(reason);
    return reason;
  }
}

/** `extraArgs`: more Chromium switches, e.g. `--host-resolver-rules` to give local servers real host names. */
export function launchBrowser(extraArgs: string[] = []): Promise<Browser> {
  return puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    // Root in a container has no user namespace for Chromium's sandbox.
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu', '--disable-extensions', '--mute-audio', '--no-first-run', ...extraArgs],
  });
}

/**
 * Records every request the page makes to anywhere but `origin` (and its own blob: and data:
 * URLs), so a test can assert that nothing left the machine.
 */
export function watchOutsideRequests(page: Page, origin: string): string[] {
  const outside: string[] = [];
  page.on('request', (request) => {
    const url = request.url();
    if (!url.startsWith(`${origin}/`) && !url.startsWith('blob:') && !url.startsWith('data:')) outside.push(url);
  });
  return outside;
}
