import assert from 'node:assert/strict';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

export type GraphQLErrorShape = {
  message: string;
  path?: string[];
  extensions?: { code?: string; field?: string; [key: string]: unknown };
};

export type GraphQLResult<Data> = {
  status: number;
  data: Data | null | undefined;
  errors: GraphQLErrorShape[] | undefined;
  headers: Headers;
};

type Options = { token?: string; apiKey?: string; headers?: Record<string, string> };

/** A plain GraphQL-over-HTTP client, as a frontend would send requests. */
export class GraphQLClient {
  constructor(readonly origin: string) {}

  async request<Data, Variables>(
    document: TypedDocumentNode<Data, Variables>,
    variables?: Variables,
    options: Options = {},
  ): Promise<GraphQLResult<Data>> {
    const response = await fetch(`${this.origin}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json, application/json',
        ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
        ...(options.apiKey ? { 'x-api-key': options.apiKey } : {}),
        ...options.headers,
      },
      body: JSON.stringify({ query: print(document), variables }),
    });
    const body = (await response.json()) as { data?: Data | null; errors?: GraphQLErrorShape[] };
    return { status: response.status, data: body.data, errors: body.errors, headers: response.headers };
  }

  /** Resolves with data, or throws with the errors: for steps a test does not examine. */
  async data<Data, Variables>(document: TypedDocumentNode<Data, Variables>, variables?: Variables, options: Options = {}) {
    const result = await this.request(document, variables, options);
    if (result.errors?.length || !result.data) {
      throw new Error(`GraphQL errors: ${JSON.stringify(result.errors)}`);
    }
    return result.data;
  }
}

/** The error code of the first error, for assertions. */
export function errorCode(result: GraphQLResult<unknown>): string | undefined {
  return result.errors?.[0]?.extensions?.code;
}

/** A graphql-ws client that records how its socket closed. */
export function wsClient(url: string, connectionParams?: Record<string, unknown>) {
  const closes: { code: number; reason: string }[] = [];
  let onConnected: () => void = () => {};
  let onRefused: (error: Error) => void = () => {};
  /** Resolves once the server acknowledged the connection; rejects when the socket closed before. */
  const connected = new Promise<void>((resolve, reject) => {
    onConnected = resolve;
    onRefused = reject;
  });
  connected.catch(() => {});
  const client: Client = createClient({
    url,
    webSocketImpl: WebSocket,
    connectionParams,
    retryAttempts: 0,
    lazy: false,
    // Closes are recorded in `closes`; the default would print each one.
    onNonLazyError: () => {},
    on: {
      closed: (event) => {
        const close = event as { code: number; reason: string };
        closes.push(close);
        onRefused(new Error(`the socket closed before it was acknowledged: ${close.code} ${close.reason}`));
      },
      connected: () => onConnected(),
    },
  });
  return { client, closes, connected };
}

/** Subscribes and collects events; `next(n)` waits until n events have arrived. */
export function collect<Data, Variables extends Record<string, unknown>>(
  client: Client,
  document: TypedDocumentNode<Data, Variables>,
  variables?: Variables,
  /** Sent with the subscribe message, as GraphiQL sends its Headers tab: `{ headers: { Authorization } }`. */
  extensions?: Record<string, unknown>,
) {
  const events: Data[] = [];
  const errors: unknown[] = [];
  let completed = false;
  let waiters: (() => void)[] = [];
  const notify = () => {
    for (const wake of waiters) wake();
    waiters = [];
  };
  const unsubscribe = client.subscribe<Data>(
    { query: print(document), variables, extensions },
    {
      next: (result) => {
        if (result.errors) errors.push(...result.errors);
        if (result.data) events.push(result.data as Data);
        notify();
      },
      error: (error) => {
        errors.push(error);
        notify();
      },
      complete: () => {
        completed = true;
        notify();
      },
    },
  );
  const waitFor = async (done: () => boolean, timeoutMs: number, what: string) => {
    const deadline = Date.now() + timeoutMs;
    while (!done() && errors.length === 0) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what} (got ${events.length} events)`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    if (errors.length) throw new Error(`subscription failed: ${JSON.stringify(errors)}`);
  };
  return {
    events,
    errors,
    unsubscribe,
    /** Whether the server ended the subscription. */
    get completed() {
      return completed;
    },
    /** Waits until the server ends the subscription, and answers every event it sent. */
    async untilComplete(timeoutMs = 5000): Promise<Data[]> {
      await waitFor(() => completed, timeoutMs, 'the subscription to complete');
      return events;
    },
    /** Waits until at least `count` events or an error arrived, or fails after `timeoutMs`. */
    async next(count: number, timeoutMs = 5000): Promise<Data[]> {
      await waitFor(() => events.length >= count || completed, timeoutMs, `${count} events`);
      return events;
    },
  };
}

/** Asserts that the first error has `code` (and, when given, names `field`), showing every error otherwise. */
export function assertCode(result: GraphQLResult<unknown>, code: string, field?: string): void {
  assert.equal(errorCode(result), code, JSON.stringify(result.errors));
  if (field) assert.equal(result.errors?.[0]?.extensions?.field, field, JSON.stringify(result.errors));
}
