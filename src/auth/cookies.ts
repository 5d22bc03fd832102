import { ACCESS_COOKIE, REFRESH_COOKIE } from './credentials.ts';
import { CSRF_COOKIE } from './csrf.ts';

/** Cookies read from a request, and the Set-Cookie lines to add to its response. */
export type CookieJar = {
  get(name: string): string | undefined;
  all(): Record<string, string>;
  set(name: string, value: string, options: CookieOptions): void;
  clear(name: string, path: string, options?: { shared?: boolean }): void;
  setCookieHeaders(): string[];
};

/** `shared`: also sent to, and readable by, the other hosts under the jar's cookie domain. */
type CookieOptions = { maxAgeSeconds: number; httpOnly: boolean; path: string; shared?: boolean };

/** `secure`: only over HTTPS. `domain` (COOKIE_DOMAIN): where shared cookies go besides this host. */
export type CookiePolicy = { secure: boolean; domain?: string };

export function parseCookies(header: string | null | undefined): Record<string, string> {
  const cookies: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const index = part.indexOf('=');
    if (index < 1) continue;
    const name = part.slice(0, index).trim();
    try {
      cookies[name] = decodeURIComponent(part.slice(index + 1).trim());
    } catch {
      // A value we cannot decode is one we never set; ignore it.
    }
  }
  return cookies;
}

export function createCookieJar(header: string | null | undefined, { secure, domain }: CookiePolicy): CookieJar {
  const incoming = parseCookies(header);
  const outgoing: string[] = [];
  const serialize = (name: string, value: string, options: CookieOptions) =>
    [
      `${name}=${encodeURIComponent(value)}`,
      `Path=${options.path}`,
      `Max-Age=${options.maxAgeSeconds}`,
      options.shared && domain ? `Domain=${domain}` : '',
      'SameSite=Strict',
      options.httpOnly ? 'HttpOnly' : '',
      secure ? 'Secure' : '',
    ]
      .filter(Boolean)
      .join('; ');
  return {
    get: (name) => incoming[name],
    all: () => incoming,
    set: (name, value, options) => outgoing.push(serialize(name, value, options)),
    clear: (name, path, { shared = false } = {}) => outgoing.push(serialize(name, '', { path, maxAgeSeconds: 0, httpOnly: true, shared })),
    setCookieHeaders: () => outgoing,
  };
}

export const GRAPHQL_PATH = '/graphql';

/**
 * Sets the session cookies after a sign-in: httpOnly tokens for this host only, plus a readable
 * CSRF token, shared under COOKIE_DOMAIN so that a frontend on a sibling host can read it.
 */
export function setSessionCookies(
  jar: CookieJar,
  session: { accessToken: string; accessTokenExpiresAt: Date; refreshToken: string; refreshTokenExpiresAt: Date; csrfToken: string },
) {
  const seconds = (date: Date) => Math.max(0, Math.floor((date.getTime() - Date.now()) / 1000));
  const refreshSeconds = seconds(session.refreshTokenExpiresAt);
  jar.set(ACCESS_COOKIE, session.accessToken, { path: '/', httpOnly: true, maxAgeSeconds: seconds(session.accessTokenExpiresAt) });
  jar.set(REFRESH_COOKIE, session.refreshToken, { path: GRAPHQL_PATH, httpOnly: true, maxAgeSeconds: refreshSeconds });
  jar.set(CSRF_COOKIE, session.csrfToken, { path: '/', httpOnly: false, maxAgeSeconds: refreshSeconds, shared: true });
}

export function clearSessionCookies(jar: CookieJar) {
  jar.clear(ACCESS_COOKIE, '/');
  jar.clear(REFRESH_COOKIE, GRAPHQL_PATH);
  jar.clear(CSRF_COOKIE, '/', { shared: true });
}
