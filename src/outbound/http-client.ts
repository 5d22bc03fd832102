import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { AddressPolicy } from './address-policy.ts';

export type OutboundFailure = 'invalid_url' | 'blocked_address' | 'timeout' | 'unreachable' | 'aborted' | 'too_large';

/** A request that got no HTTP answer; `kind` says why, `message` is safe to show to the tenant. */
export class OutboundError extends Error {
  constructor(
    readonly kind: OutboundFailure,
    message: string,
  ) {
    super(message);
    this.name = 'OutboundError';
  }
}

export type OutboundRequest = {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** The whole exchange, connection to last byte. */
  timeoutMs: number;
  signal?: AbortSignal;
};

export type OutboundResponse = {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body, cut at `maxBodyBytes` when `truncated`. */
  body: string;
  truncated: boolean;
  durationMs: number;
};

export type OutboundHttpOptions = {
  /** Hosts or addresses that may be reached although private (ALLOW_PRIVATE_URLS). */
  allowPrivate: readonly string[];
  userAgent: string;
  /** URLs of this server itself (the built-in demo agent) that may be reached although private. */
  isOwnEndpoint?: (url: URL) => boolean;
  /** Resolves a host name to every address it has; the system resolver unless a test injects one. */
  resolve?: HostResolver;
};

export type HostResolver = (hostname: string) => Promise<LookupAddress[]>;

const systemResolver: HostResolver = (hostname) =>
  new Promise((resolve, reject) => dnsLookup(hostname, { all: true }, (error, found) => (error ? reject(error) : resolve(found))));

/**
 * The one HTTP client for user-given URLs (agent webhooks, webhook endpoints, provider APIs).
 * The SSRF check runs on the address the connection actually uses (inside DNS lookup), so a
 * name that resolves to a private address is refused however it is spelled, and a DNS answer
 * cannot change between check and connect. Redirects are never followed.
 */
export class OutboundHttp {
  /** Sent as User-Agent with every request. */
  readonly userAgent: string;
  private readonly policy: AddressPolicy;
  private readonly resolve: HostResolver;

  constructor(private readonly options: OutboundHttpOptions) {
    this.userAgent = options.userAgent;
    this.policy = new AddressPolicy(options.allowPrivate);
    this.resolve = options.resolve ?? systemResolver;
  }

  /** Parses a URL a user gave: http(s) only, no credentials in it. Throws OutboundError('invalid_url'). */
  parseUrl(raw: string): URL {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new OutboundError('invalid_url', 'is not a valid URL');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new OutboundError('invalid_url', 'must use http or https');
    if (url.username || url.password) throw new OutboundError('invalid_url', 'must not contain credentials');
    return url;
  }

  /** Resolves the URL's host and refuses private targets, as a request would. */
  async assertReachable(raw: string): Promise<URL> {
    const url = this.parseUrl(raw);
    const hostname = url.hostname.replace(/^\[|\]$/g, '');
    const addresses = isIP(hostname)
      ? [{ address: hostname, family: isIP(hostname) }]
      : await this.resolve(hostname).catch(() => {
          throw new OutboundError('unreachable', `cannot resolve ${hostname}`);
        });
    if (addresses.length === 0 || !addresses.every(({ address }) => this.policy.isAllowed(hostname, address))) {
      throw new OutboundError('blocked_address', 'points to a private or reserved address');
    }
    return url;
  }

  /** Sends a request and buffers at most `maxBodyBytes` of the answer. */
  async request(raw: string, init: OutboundRequest, maxBodyBytes = 64 * 1024): Promise<OutboundResponse> {
    const startedAt = performance.now();
    const response = await this.open(raw, init);
    const chunks: Buffer[] = [];
    let size = 0;
    let truncated = false;
    try {
      for await (const chunk of response as AsyncIterable<Buffer>) {
        const room = maxBodyBytes - size;
        if (chunk.length > room) {
          chunks.push(chunk.subarray(0, room));
          truncated = true;
          break;
        }
        chunks.push(chunk);
        size += chunk.length;
      }
    } finally {
      response.destroy();
    }
    return {
      status: response.statusCode ?? 0,
      headers: response.headers,
      body: Buffer.concat(chunks).toString('utf8'),
      truncated,
      durationMs: Math.round(performance.now() - startedAt),
    };
  }

  /** Sends a request and hands back the answer as a stream (for streamed replies); the caller consumes or destroys it. */
  open(raw: string, init: OutboundRequest): Promise<IncomingMessage> {
    const url = this.parseUrl(raw);
    const own = this.options.isOwnEndpoint?.(url) ?? false;
    // Node connects to a literal address without a lookup, so those are checked here.
    const literal = url.hostname.replace(/^\[|\]$/g, '');
    if (!own && isIP(literal) && !this.policy.isAllowed(literal, literal)) {
      return Promise.reject(new OutboundError('blocked_address', `${literal} is a private or reserved address`));
    }
    // A plain timer, not AbortSignal.timeout + AbortSignal.any: on Node 20 such a combined signal
    // can be collected while the request runs, and then the timeout never fires.
    const controller = new AbortController();
    const { signal } = controller;
    const timer = setTimeout(() => controller.abort(), init.timeoutMs);
    const abortWithCaller = () => controller.abort();
    init.signal?.addEventListener('abort', abortWithCaller, { once: true });
    if (init.signal?.aborted) controller.abort();
    const release = () => {
      clearTimeout(timer);
      init.signal?.removeEventListener('abort', abortWithCaller);
    };
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const request = send(url, {
        method: init.method ?? 'POST',
        headers: { 'user-agent': this.options.userAgent, ...init.headers },
        lookup: own ? undefined : this.guardedLookup,
        signal,
      });
      request.once('response', (response) => {
        signal.addEventListener('abort', () => response.destroy(failureOf(signal, init.signal)), { once: true });
        response.once('close', release);
        resolve(response);
      });
      request.once('error', (error) => {
        release();
        reject(error instanceof OutboundError ? error : failureOf(signal, init.signal, error));
      });
      request.end(init.body);
    });
  }

  private readonly guardedLookup: LookupFunction = (hostname, options, callback) => {
    this.resolve(hostname).then(
      (list) => this.answerLookup(hostname, list, options.all === true, callback),
      (error: NodeJS.ErrnoException) => callback(error, '', 4),
    );
  };

  private answerLookup(hostname: string, list: LookupAddress[], all: boolean, callback: Parameters<LookupFunction>[2]) {
    const refused = list.find(({ address }) => !this.policy.isAllowed(hostname, address));
    if (refused || list.length === 0) {
      return callback(new OutboundError('blocked_address', `${hostname} points to a private or reserved address`), '', 4);
    }
    if (all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, list);
    callback(null, list[0]!.address, list[0]!.family);
  }
}

function failureOf(signal: AbortSignal, callerSignal: AbortSignal | undefined, cause?: Error): OutboundError {
  if (callerSignal?.aborted) return new OutboundError('aborted', 'the request was cancelled');
  if (signal.aborted) return new OutboundError('timeout', 'no complete answer before the timeout');
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  return new OutboundError('unreachable', code ? `connection failed (${code})` : 'connection failed');
}
