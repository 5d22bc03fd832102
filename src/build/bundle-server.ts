/**
 * Bundles the server (src/main.ts and the database thread) into dist/bundle/, or the directory
 * given, which `npm start` runs. Node's module loader costs about 1 ms per file, and the server
 * loads some 500: one file per entry plus lazily loaded chunks starts about 0.4 s sooner.
 * The output directory must sit two levels below the repository, as dist/bundle does: paths
 * relative to the repository (prisma/migrations) resolve from there as they do from src/, and
 * chunks sit beside the entries so that `new URL('./worker.js', import.meta.url)` finds its file.
 */
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const outdir = resolve(repo, process.argv[2] ?? 'dist/bundle');
// Chunk names carry a content hash: clear the last build's chunks.
rmSync(outdir, { recursive: true, force: true });

await build({
  entryPoints: [`${repo}/src/main.ts`, `${repo}/src/db/embedded/worker.ts`],
  outdir,
  entryNames: '[name]',
  chunkNames: '[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
  // PGlite finds its wasm and data files beside its own modules; argon2 is a native addon.
  external: ['@electric-sql/*', '@node-rs/*'],
  // Bundled CommonJS packages call require() for Node's built-ins.
  banner: { js: "import { createRequire as createRequireOfBundle } from 'node:module'; const require = createRequireOfBundle(import.meta.url);" },
});
