/**
 * Authenticated `me` over HTTP at 50 keep-alive connections, against a bare graphql-yoga
 * hello-world server measured in the same run. Each server is its own child process.
 */
import { CONNECTIONS, failures, jsonBody, measure, type LoadResult } from './support/load.ts';
import { residentBytes, withServer } from './support/processes.ts';
import { forEachBackend, PRODUCTION_ENV, signUp, startApp, startBaseline } from './support/targets.ts';

export const ME_QUERY = 'query Me { me { id email role } }';
const HELLO_QUERY = '{ hello }';

export type ThroughputRow = LoadResult & {
  target: string;
  /** req/s divided by the baseline's req/s from this run; 1 for the baseline itself. */
  ratio: number;
  /**
   * The baseline's server CPU µs per request divided by this row's: the same comparison by CPU
   * cost, which holds up better when the server does not get a whole core (a noisy machine).
   */
  cpuRatio: number;
  /** RSS of the server child right after its load, and its peak (VmHWM). */
  rssAfterBytes: number;
  peakRssBytes: number;
  failures: string[];
};

export type ThroughputReport = { connections: number; rows: ThroughputRow[]; skipped: string[] };

export async function meThroughput(log: (line: string) => void): Promise<ThroughputReport> {
  const rows: ThroughputRow[] = [];
  const skipped: string[] = [];

  log('baseline: bare graphql-yoga { hello }');
  const baseline = await withServer(
    () => startBaseline(PRODUCTION_ENV),
    async (server) => {
      const result = await measure({
        url: `${server.origin}/graphql`,
        headers: {},
        body: JSON.stringify({ query: HELLO_QUERY }),
        verify: jsonBody((body) => body.data?.hello === 'world'),
      }, server.pid);
      return row('baseline: yoga hello', result, server.pid, result);
    },
  );
  rows.push(baseline);

  await forEachBackend(skipped, (backend, env) =>
    withServer(
      () => startApp({ ...PRODUCTION_ENV, ...env }),
      async (server) => {
        const credentials = await signUp(server.origin);
        const variants: { name: string; headers: Record<string, string> }[] = [
          { name: 'Bearer JWT', headers: { authorization: `Bearer ${credentials.accessToken}` } },
          { name: 'X-API-Key', headers: { 'x-api-key': credentials.apiKey } },
        ];
        for (const variant of variants) {
          log(`app (${backend.name}): me with ${variant.name}`);
          const result = await measure({
            url: `${server.origin}/graphql`,
            headers: variant.headers,
            body: JSON.stringify({ query: ME_QUERY, operationName: 'Me' }),
            verify: jsonBody((body) => body.data?.me?.id === credentials.userId && body.data.me.email === credentials.email),
          }, server.pid);
          rows.push(row(`app ${backend.name}: me, ${variant.name}`, result, server.pid, baseline));
        }
      },
    ),
  );
  return { connections: CONNECTIONS, rows, skipped };
}

function row(target: string, result: LoadResult, pid: number, baseline: LoadResult): ThroughputRow {
  return {
    target,
    ...result,
    ratio: result.requestsPerSecond / baseline.requestsPerSecond,
    cpuRatio: baseline.serverCpuMicrosPerRequest / result.serverCpuMicrosPerRequest,
    rssAfterBytes: residentBytes(pid),
    peakRssBytes: residentBytes(pid, 'VmHWM'),
    failures: failures(result),
  };
}
