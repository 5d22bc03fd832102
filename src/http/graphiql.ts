/**
 * GraphiQL from this server: Yoga's GraphiQL page loads its scripts, styles and editor workers
 * from a CDN; here they come from the installed `@graphql-yoga/graphiql` package, so GraphiQL
 * works on a machine with no internet and no request leaves it.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzip } from 'node:zlib';
import { promisify } from 'node:util';
import type { GraphiQLOptions } from 'graphql-yoga';

const gzipped = promisify(gzip);

export const GRAPHIQL_ASSETS_PATH = '/graphiql-assets/';

/** The files GraphiQL loads, by the name they are served under. */
const ASSETS: Record<string, { file: string; type: string }> = {
  'graphiql.css': { file: 'graphiql.css', type: 'text/css; charset=utf-8' },
  'graphiql.js': { file: 'yoga-graphiql.umd.js', type: 'text/javascript; charset=utf-8' },
  'editor.worker.js': { file: 'monacoeditorwork/editor.worker.bundle.js', type: 'text/javascript; charset=utf-8' },
  'json.worker.js': { file: 'monacoeditorwork/json.worker.bundle.js', type: 'text/javascript; charset=utf-8' },
  'graphql.worker.js': { file: 'monacoeditorwork/graphql.worker..bundle.js', type: 'text/javascript; charset=utf-8' },
};

const distDirectory = () => dirname(fileURLToPath(import.meta.resolve('@graphql-yoga/graphiql')));

/** The page Yoga serves on GET /graphql to a browser: Yoga's options, this server's assets. */
export function renderGraphiQL(options: GraphiQLOptions = {}): string {
  const asset = (name: string) => `${GRAPHIQL_ASSETS_PATH}${name}`;
  const title = escapeHtml(options.title ?? 'GraphiQL');
  // In a script element, "</script>" or "<!--" in a string would end it early.
  const settings = JSON.stringify(options).replace(/</g, '\\u003c');
  const workers = JSON.stringify({
    editorWorkerService: asset('editor.worker.js'),
    json: asset('json.worker.js'),
    graphql: asset('graphql.worker.js'),
  });
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${title}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${asset('graphiql.css')}">
</head>
<body id="body" class="no-focus-outline">
<noscript>GraphiQL needs JavaScript.</noscript>
<div id="root">Loading ${title}…</div>
<script>
const workers = ${workers};
self.MonacoEnvironment = { globalAPI: false, getWorkerUrl: (_, label) => workers[label] ?? workers.editorWorkerService };
</script>
<script src="${asset('graphiql.js')}"></script>
<script>YogaGraphiQL.renderYogaGraphiQL(document.getElementById('root'), ${settings});</script>
</body>
</html>`;
}

/**
 * Serves GraphiQL's files under GRAPHIQL_ASSETS_PATH, gzipped for browsers that accept it. They
 * change only with the package, so browsers may keep them a day and then revalidate by ETag.
 */
export function createGraphiQLAssets() {
  const cache = new Map<string, Promise<{ plain: Buffer; gzip: Buffer; etag: string }>>();
  const load = (name: string) => {
    let entry = cache.get(name);
    if (!entry) {
      entry = (async () => {
        const plain = await readFile(join(distDirectory(), ASSETS[name]!.file));
        const etag = `"${createHash('sha256').update(plain).digest('base64url').slice(0, 22)}"`;
        return { plain, gzip: await gzipped(plain), etag };
      })();
      entry.catch(() => cache.delete(name));
      cache.set(name, entry);
    }
    return entry;
  };

  return async function serveGraphiQLAsset(req: IncomingMessage, res: ServerResponse, name: string): Promise<void> {
    const asset = Object.hasOwn(ASSETS, name) ? ASSETS[name]! : undefined;
    if (!asset || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found');
      return;
    }
    const { plain, gzip: compressed, etag } = await load(name);
    const headers = {
      'content-type': asset.type,
      'cache-control': 'public, max-age=86400',
      'x-content-type-options': 'nosniff',
      vary: 'accept-encoding',
      etag,
    };
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, headers).end();
      return;
    }
    const useGzip = /\bgzip\b/.test(req.headers['accept-encoding'] ?? '');
    const body = useGzip ? compressed : plain;
    res.writeHead(200, { ...headers, ...(useGzip ? { 'content-encoding': 'gzip' } : {}), 'content-length': body.byteLength });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}
