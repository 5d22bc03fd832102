/**
 * Runs several test files in this one process, each as a suite of its own, so that its top-level
 * `after` hooks (which remove its servers' data) run when that file is done. test/run.ts starts a
 * few of these side by side: one process per file would load and compile the app once per file.
 */
import { describe } from 'node:test';
import { relative } from 'node:path';
import { pathToFileURL } from 'node:url';

for (const file of process.argv.slice(2)) {
  describe(relative(process.cwd(), file), async () => {
    await import(pathToFileURL(file).href);
  });
}
