import { randomUUID } from 'node:crypto';
import type { GraphQLClient } from './client.ts';
import { CreateApiKey, CreateUser, SignUp } from './operations.ts';

export const PASSWORD = 'correct horse battery staple';

/** A fresh tenant with its admin signed in. Emails are unique per call. */
export async function signUpTenant(client: GraphQLClient, name = 'Acme') {
  const email = `admin-${randomUUID().slice(0, 8)}@example.com`;
  const { signUp } = await client.data(SignUp, {
    input: { tenantName: name, email, password: PASSWORD, fullName: 'Ada Admin' },
  });
  return { email, token: signUp.accessToken, refreshToken: signUp.refreshToken, user: signUp.user, tenant: signUp.user.tenant };
}

/** A USER-role member of the admin's tenant, signed in. */
export async function addMember(client: GraphQLClient, adminToken: string) {
  const email = `member-${randomUUID().slice(0, 8)}@example.com`;
  const { createUser } = await client.data(CreateUser, { input: { email, password: PASSWORD, role: 'USER' } }, { token: adminToken });
  return { email, user: createUser };
}

export async function createKey(client: GraphQLClient, token: string, scopes?: string[]) {
  const { createApiKey } = await client.data(CreateApiKey, { input: { name: 'test key', scopes } }, { token });
  return { key: createApiKey.key, apiKey: createApiKey.apiKey };
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(check: () => T | undefined | Promise<T | undefined>, timeoutMs = 5000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * Repeats `trigger` until `received()` finds what it caused. A subscription gives no sign of when
 * it is live (with Redis, SUBSCRIBE completes asynchronously), so an event sent too early is lost.
 */
export async function triggerUntilReceived<T>(
  trigger: () => Promise<unknown>,
  received: () => T | undefined,
  { attempts = 20, waitMs = 250 } = {},
): Promise<T> {
  for (let attempt = 0; attempt < attempts; attempt++) {
    await trigger();
    try {
      return await eventually(received, waitMs);
    } catch {
      // not live yet: trigger again
    }
  }
  throw new Error(`nothing received after ${attempts} attempts`);
}

/** A GraphQL-over-SSE subscription (as Yoga serves it): POST with `accept: text/event-stream`. */
export function sseSubscribe(origin: string, query: string, headers: Record<string, string>) {
  const events: { data?: unknown; errors?: { message: string; extensions?: Record<string, unknown> }[] }[] = [];
  const failures: unknown[] = [];
  const controller = new AbortController();
  const done = (async () => {
    const response = await fetch(`${origin}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...headers },
      body: JSON.stringify({ query }),
      signal: controller.signal,
    });
    if (!response.ok || !response.body) throw new Error(`SSE request failed with ${response.status}`);
    const decoder = new TextDecoder();
    let buffer = '';
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const message = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const lines = message.split('\n');
        const event = lines.find((line) => line.startsWith('event:'))?.slice(6).trim();
        const data = lines.filter((line) => line.startsWith('data:')).map((line) => line.slice(5).trim()).join('\n');
        if (event === 'next' && data) events.push(JSON.parse(data));
      }
    }
  })().catch((error: unknown) => {
    if (!controller.signal.aborted) failures.push(error);
  });
  return { events, failures, close: () => controller.abort(), done };
}
