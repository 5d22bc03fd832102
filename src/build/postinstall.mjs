/**
 * What `npm install` and `npm ci` do after installing, as package.json's `postinstall` (plain
 * JavaScript: it must run where TypeScript is not installed).
 * - With the dev dependencies: generates Prisma's client and the tests' typed documents, builds
 *   dist/ (`npm run build`), and prepares the embedded database's migrated template.
 * - Without them (`npm ci --omit=dev`, for production, after a build): keeps the build that is
 *   there and prepares the template, which lives in node_modules/.cache and went with the rest.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const run = (command, args, env = {}) => execFileSync(command, args, { stdio: 'inherit', env: { ...process.env, ...env } });
const bin = (tool) => `node_modules/.bin/${tool}`;
// npm says so for --omit=dev; NODE_ENV=production omits them too. Some dev tools arrive anyway, as peers.
const omitsDev = (process.env.npm_config_omit ?? '').split(/[\s,]+/).includes('dev') || process.env.NODE_ENV === 'production';
const withDevDependencies = !omitsDev && ['prisma', 'graphql-codegen', 'tsc', 'esbuild'].every((tool) => existsSync(bin(tool)));

if (withDevDependencies) {
  // The schema engine is not downloaded here: `prisma generate` needs none, and migrations run through its wasm build.
  run(bin('prisma'), ['generate'], { PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? process.execPath });
  run(bin('graphql-codegen'), ['--config', 'codegen.ts', '--silent']);
  run('npm', ['run', 'build']);
} else if (!existsSync('dist/bundle/main.js')) {
  console.error('postinstall: no build in dist/ and no dev dependencies to make one. Install with them (npm ci), which builds; `npm ci --omit=dev` then keeps that build.');
  process.exit(1);
}
run(process.execPath, ['dist/db/embedded/prepare-template.js']);
