/**
 * Runs test files in this one process, each as a suite of its own, so that its top-level `after`
 * hooks (which remove its servers' data) run when that file is done. test/run.ts starts a few of
 * these side by side and hands each its next file when it is ready for one, so that they finish
 * together; one process per file would load and compile the app once per file. Files given as
 * arguments run in that order instead.
 */
import { describe } from 'node:test';
import { relative } from 'node:path';
import { pathToFileURL } from 'node:url';

const given = process.argv.slice(2);

/** The next file to run, from the arguments or else from test/run.ts; undefined when none is left. */
function nextFile(): Promise<string | undefined> {
  if (given.length > 0 || !process.send) return Promise.resolve(given.shift());
  return new Promise((resolve) => {
    process.once('message', (file: string) => resolve(file || undefined));
    process.send!('next');
  });
}

for (let file = await nextFile(); file !== undefined; file = await nextFile()) {
  await describe(relative(process.cwd(), file), async () => {
    await import(pathToFileURL(file).href);
  });
}
if (process.connected) process.disconnect();
