// A key-value client for a cluster's `/client` endpoints: one connection per member, opened on
// first use and shared by all requests (many in flight). Requests go to the last known leader and
// follow NOT_LEADER redirects; a member that cannot be reached is skipped for the next one. Only
// answers that say "not applied" are retried, so a write is never sent twice.
import type { ClientRequest, ClientResponse, ClientSuccess, Consistency } from '../../shared/protocol/client.ts';
import { parseClientResponse } from '../../shared/protocol/client.ts';
import { endpointUrl, memberBaseUrl, type ConnectionAuth } from './endpoint.ts';
import { RequestError } from './request-error.ts';
import { RpcSocket } from './rpc-socket.ts';

export interface KvClientOptions {
  auth?: ConnectionAuth;
  /** Default bound on each request, redirects and connecting included. */
  timeoutMs?: number;
  connectTimeoutMs?: number;
  /** How many NOT_LEADER answers one request follows before it fails with the last one. */
  maxRedirects?: number;
}

/** A key-value request as the caller writes it: the client adds the id. */
export type KvRequestBody = ClientRequest extends infer R ? (R extends ClientRequest ? Omit<R, 'id'> : never) : never;

export const KV_DEFAULTS = { timeoutMs: 5_000, connectTimeoutMs: 3_000, maxRedirects: 5 };

export class KvClient {
  private readonly urls: string[];
  private readonly options: Required<KvClientOptions>;
  private readonly sockets = new Map<string, Promise<RpcSocket<ClientResponse>>>();
  private preferred: string | undefined;
  private closed = false;

  /** `urls`: members' URLs (any path is ignored); at least one. */
  constructor(urls: readonly string[], options: KvClientOptions = {}) {
    if (urls.length === 0) throw new Error('a key-value client needs at least one member URL');
    this.urls = [...new Set(urls.map(memberBaseUrl))];
    this.options = {
      auth: options.auth ?? {},
      timeoutMs: options.timeoutMs ?? KV_DEFAULTS.timeoutMs,
      connectTimeoutMs: options.connectTimeoutMs ?? KV_DEFAULTS.connectTimeoutMs,
      maxRedirects: options.maxRedirects ?? KV_DEFAULTS.maxRedirects,
    };
  }

  /** The member requests go to first: the last one that answered as leader, if any. */
  get leaderUrl(): string | undefined {
    return this.preferred;
  }

  get(key: string, options: { consistency?: Consistency; timeoutMs?: number } = {}): Promise<ClientSuccess> {
    const body = options.consistency === undefined ? { op: 'get' as const, key } : { op: 'get' as const, key, consistency: options.consistency };
    return this.request(body, options.timeoutMs);
  }

  put(key: string, value: string, timeoutMs?: number): Promise<ClientSuccess> {
    return this.request({ op: 'put', key, value }, timeoutMs);
  }

  delete(key: string, timeoutMs?: number): Promise<ClientSuccess> {
    return this.request({ op: 'delete', key }, timeoutMs);
  }

  /** `expect: null` swaps only when the key is absent; the answer says whether it swapped. */
  cas(key: string, expect: string | null, value: string, timeoutMs?: number): Promise<ClientSuccess> {
    return this.request({ op: 'cas', key, expect, value }, timeoutMs);
  }

  /**
   * Sends one request, following redirects, and resolves with the success answer. Rejects with a
   * RequestError: a SPEC code from the node, UNAVAILABLE when no member could be reached, TIMEOUT
   * or CONNECTION_LOST when the outcome is unknown (see RequestError.definitelyNotApplied).
   */
  async request(body: KvRequestBody, timeoutMs = this.options.timeoutMs): Promise<ClientSuccess> {
    if (this.closed) throw new RequestError('UNAVAILABLE', 'the key-value client is closed', this.urls[0]);
    const deadline = performance.now() + timeoutMs;
    const unreachable = new Set<string>();
    let redirects = 0;
    let target = this.preferred ?? this.urls[0];
    for (;;) {
      const remaining = deadline - performance.now();
      if (remaining <= 0) throw new RequestError('TIMEOUT', `no answer for ${body.op} within ${timeoutMs} ms; the outcome is unknown`, target);
      let socket: RpcSocket<ClientResponse>;
      try {
        socket = await this.socketFor(target, remaining);
      } catch (error) {
        // Never sent: safe to try another member.
        unreachable.add(target);
        const next = this.knownUrls().find((url) => !unreachable.has(url));
        if (next === undefined || !(error instanceof RequestError) || error.code !== 'UNAVAILABLE') throw error;
        target = next;
        continue;
      }
      const frame = await socket.request(body, Math.max(1, deadline - performance.now()));
      if (frame.ok) {
        this.preferred = target;
        return frame;
      }
      const failure = RequestError.fromNode(frame.error, target);
      if (failure.code !== 'NOT_LEADER' || redirects >= this.options.maxRedirects) throw failure;
      redirects++;
      const hinted = frame.error.leaderUrl === undefined ? undefined : memberBaseUrl(frame.error.leaderUrl);
      const next = hinted !== undefined && hinted !== target ? hinted : this.nextUrl(target);
      if (next === target) throw failure;
      if (hinted !== undefined) this.preferred = hinted;
      target = next;
    }
  }

  /** Closes every connection; requests in flight fail with CONNECTION_LOST. */
  close(): void {
    this.closed = true;
    for (const pending of this.sockets.values()) pending.then((socket) => socket.close(), () => {});
    this.sockets.clear();
  }

  private knownUrls(): string[] {
    return [...new Set([...this.urls, ...this.sockets.keys()])];
  }

  private nextUrl(after: string): string {
    const urls = this.knownUrls();
    return urls[(urls.indexOf(after) + 1) % urls.length];
  }

  private socketFor(url: string, timeoutMs: number): Promise<RpcSocket<ClientResponse>> {
    const cached = this.sockets.get(url);
    if (cached) {
      return cached.then((socket) => {
        if (socket.isOpen) return socket;
        if (this.sockets.get(url) === cached) this.sockets.delete(url);
        return this.socketFor(url, timeoutMs);
      });
    }
    const opening = RpcSocket.open(endpointUrl(url, '/client'), parseClientResponse, {
      auth: this.options.auth,
      connectTimeoutMs: Math.min(this.options.connectTimeoutMs, timeoutMs),
    });
    this.sockets.set(url, opening);
    opening.then(
      (socket) => {
        if (this.closed) socket.close();
      },
      () => {
        if (this.sockets.get(url) === opening) this.sockets.delete(url);
      },
    );
    return opening;
  }
}
