/**
 * The baseline: a bare graphql-yoga server with `type Query { hello: String }` on node:http.
 * Run as its own process (`node --import tsx bench/servers/hello-yoga.ts`) with PORT and HOST.
 * /ready answers 200 without touching Yoga, like the app's probe answers before GraphQL runs.
 */
import { createServer } from 'node:http';
import { createSchema, createYoga } from 'graphql-yoga';

const yoga = createYoga({
  schema: createSchema({ typeDefs: 'type Query { hello: String }', resolvers: { Query: { hello: () => 'world' } } }),
  logging: 'warn',
});

const server = createServer((req, res) => {
  if (req.url === '/ready') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"status":"ready"}');
    return;
  }
  void yoga.handle(req, res);
});

server.listen(Number(process.env.PORT ?? 4000), process.env.HOST ?? '127.0.0.1');
process.once('SIGTERM', () => server.close(() => process.exit(0)));
