/**
 * Bundles the server (src/main.ts, the operator CLI src/admin.ts and the database thread) into dist/bundle/, or the directory
 * given, which `npm start` and `npm run admin` run. Node's module loader costs about 1 ms per file, and the server
 * loads some 500: one file per entry plus lazily loaded chunks starts about 0.4 s sooner.
 * The output directory must sit two levels below the repository, as dist/bundle does: paths
 * relative to the repository (prisma/migrations) resolve from there as they do from src/, and
 * chunks sit beside the entries so that `new URL('./worker.js', import.meta.url)` finds its file.
 */
import { build, type Plugin } from 'esbuild';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const outdir = resolve(repo, process.argv[2] ?? 'dist/bundle');
// Chunk names carry a content hash: clear the last build's chunks.
rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });

const QUERY_COMPILER_WASM = 'query-compiler.wasm';

/**
 * Prisma's query compiler comes as a module whose only export is the compiler's wasm as a 4.4 MB
 * base64 string literal. A module lives as long as the process, so V8 would keep that string and
 * the module's source (three copies, some 13 MB of the idle heap) after the compiler is built.
 * The bundle holds the binary as a file beside it instead, and the export stands in for the string
 * where Prisma uses it, `Buffer.from(wasm, 'base64')`: a Buffer copies what `valueOf` answers, read
 * from the file then and garbage once compiled.
 */
const queryCompilerFromFile: Plugin = {
  name: 'query-compiler-from-file',
  setup(bundler) {
    bundler.onLoad({ filter: /query_compiler_fast_bg\.postgresql\.wasm-base64\.mjs$/ }, async (args) => {
      const { wasm } = (await import(args.path)) as { wasm: string };
      writeFileSync(join(outdir, QUERY_COMPILER_WASM), Buffer.from(wasm, 'base64'));
      const contents = `import { readFileSync } from 'node:fs';
export const wasm = { valueOf: () => readFileSync(new URL('./${QUERY_COMPILER_WASM}', import.meta.url)) };`;
      return { contents, loader: 'js' };
    });
  },
};

await build({
  entryPoints: [`${repo}/src/main.ts`, `${repo}/src/admin.ts`, `${repo}/src/db/embedded/worker.ts`],
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
  plugins: [queryCompilerFromFile],
  banner: { js: "import { createRequire as createRequireOfBundle } from 'node:module'; const require = createRequireOfBundle(import.meta.url);" },
});
