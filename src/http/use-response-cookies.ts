import type { Plugin } from 'graphql-yoga';
import type { CookieJar } from '../auth/cookies.ts';

/** Carries the Set-Cookie lines resolvers asked for onto the HTTP response. */
export function useResponseCookies(): Plugin<{ cookies: CookieJar }> {
  const jars = new WeakMap<Request, CookieJar>();
  return {
    onContextBuilding:
      ({ context }) =>
      ({ context: built }) => {
        // WebSocket operations have no HTTP request, and no response to set cookies on.
        if (context.request) jars.set(context.request, built.cookies);
      },
    onResponse: ({ request, response }) => {
      for (const line of jars.get(request)?.setCookieHeaders() ?? []) response.headers.append('set-cookie', line);
    },
  };
}
