// One member's `/admin` endpoint, kept connected: it reconnects with backoff after any loss,
// re-subscribes to events after each reconnect, and drops a connection that stops answering pings
// (a paused node). Every call is bounded by a timeout and fails with a RequestError, never hangs.
import { parseAdminServerFrame, type AdminRequest, type AdminServerFrame, type AdminSuccess, type FaultSet, type SnapshotInfo } from '../../shared/protocol/admin.ts';
import type { AdminEvent } from '../../shared/protocol/admin-events.ts';
import type { FaultState, NodeStatus } from '../../shared/protocol/node-status.ts';
import { Listeners } from '../listeners.ts';
import { Backoff, DEFAULT_BACKOFF, type BackoffOptions } from '../../shared/backoff.ts';
import { endpointUrl, memberBaseUrl, type ConnectionAuth } from './endpoint.ts';
import { RequestError } from './request-error.ts';
import { RpcSocket } from './rpc-socket.ts';

/**
 * `connecting`: an attempt is under way (the first, or a retry); `connected`: open;
 * `unreachable`: the last attempt failed or the connection was lost, a retry is scheduled;
 * `closed`: close() was called.
 */
export type AdminConnectionState = 'connecting' | 'connected' | 'unreachable' | 'closed';

export interface AdminStateChange {
  state: AdminConnectionState;
  /** Why the member is unreachable; null once connected. */
  error: string | null;
}

export interface AdminClientOptions {
  auth?: ConnectionAuth;
  /** Default bound on each request, connecting included. */
  requestTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** Ping interval; a connection silent for 2.5 times as long is dropped and retried. */
  heartbeatMs?: number;
  backoff?: BackoffOptions;
}

/** An admin request as the caller writes it: the client adds the id. */
export type AdminRequestBody = AdminRequest extends infer R ? (R extends AdminRequest ? Omit<R, 'id'> : never) : never;

type SuccessOf<Op extends AdminSuccess['op']> = Extract<AdminSuccess, { op: Op }>;

export const ADMIN_DEFAULTS = { requestTimeoutMs: 5_000, connectTimeoutMs: 3_000, heartbeatMs: 1_000 };

export class AdminClient {
  /** The member's base URL, `ws://host:port`. */
  readonly url: string;
  private readonly endpoint: string;
  private readonly options: Required<Omit<AdminClientOptions, 'backoff'>>;
  private readonly backoff: Backoff;
  private readonly events = new Listeners<AdminEvent>();
  private readonly states = new Listeners<AdminStateChange>();
  private socket: RpcSocket<AdminServerFrame> | undefined;
  private attempt: Promise<RpcSocket<AdminServerFrame> | undefined> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private currentState: AdminConnectionState = 'connecting';
  private error: string | null = null;
  /** UNAUTHORIZED when the node refused the token, so a request can say so. */
  private connectFailure: RequestError | undefined;

  /** Starts connecting at once. `url` is the member's URL; a path such as /admin is ignored. */
  constructor(url: string, options: AdminClientOptions = {}) {
    this.url = memberBaseUrl(url);
    this.endpoint = endpointUrl(this.url, '/admin');
    this.options = {
      auth: options.auth ?? {},
      requestTimeoutMs: options.requestTimeoutMs ?? ADMIN_DEFAULTS.requestTimeoutMs,
      connectTimeoutMs: options.connectTimeoutMs ?? ADMIN_DEFAULTS.connectTimeoutMs,
      heartbeatMs: options.heartbeatMs ?? ADMIN_DEFAULTS.heartbeatMs,
    };
    this.backoff = new Backoff(options.backoff ?? DEFAULT_BACKOFF);
    void this.connect();
  }

  get state(): AdminConnectionState {
    return this.currentState;
  }

  /** Why the last connection attempt failed or the connection was lost; null while connected. */
  get lastError(): string | null {
    return this.error;
  }

  onState(listener: (change: AdminStateChange) => void): () => void {
    return this.states.add(listener);
  }

  /** The node's pushed events. The client subscribes while it has listeners, after every reconnect too. */
  onEvent(listener: (event: AdminEvent) => void): () => void {
    const stop = this.events.add(listener);
    if (this.events.size === 1 && this.socket) this.subscribe(this.socket);
    return stop;
  }

  /**
   * Sends one request and resolves with the node's success answer. A failure answer rejects with
   * its SPEC code; no connection with UNAVAILABLE; no answer in time with TIMEOUT.
   * When not connected, it tries to connect at once rather than waiting for the next retry.
   */
  async request<R extends AdminRequestBody>(body: R, timeoutMs = this.options.requestTimeoutMs): Promise<SuccessOf<R['op']>> {
    const deadline = performance.now() + timeoutMs;
    const socket = await this.connected(timeoutMs);
    const frame = await socket.request(body, Math.max(1, deadline - performance.now()));
    if ('event' in frame) throw new RequestError('BAD_ANSWER', `${this.url} answered request ${body.op} with an event`, this.url);
    if (frame.ok === false) throw RequestError.fromNode(frame.error, this.url);
    if (frame.op !== body.op) {
      throw new RequestError('BAD_ANSWER', `${this.url} answered a ${body.op} request as ${frame.op}; the outcome is unknown`, this.url);
    }
    return frame as SuccessOf<R['op']>;
  }

  async status(timeoutMs?: number): Promise<NodeStatus> {
    return (await this.request({ op: 'status' }, timeoutMs)).status;
  }

  /** Leader only; resolves once the change is committed. */
  async addMember(memberId: string, url: string, options: { learner?: boolean; timeoutMs?: number } = {}): Promise<void> {
    const body = options.learner === undefined ? { op: 'add-member' as const, memberId, url } : { op: 'add-member' as const, memberId, url, learner: options.learner };
    await this.request(body, options.timeoutMs);
  }

  async promoteMember(memberId: string, timeoutMs?: number): Promise<void> {
    await this.request({ op: 'promote-member', memberId }, timeoutMs);
  }

  async removeMember(memberId: string, timeoutMs?: number): Promise<void> {
    await this.request({ op: 'remove-member', memberId }, timeoutMs);
  }

  /** Resolves once `to` leads. */
  async transferLeadership(to: string, timeoutMs?: number): Promise<void> {
    await this.request({ op: 'transfer-leadership', to }, timeoutMs);
  }

  async snapshot(timeoutMs?: number): Promise<SnapshotInfo> {
    return (await this.request({ op: 'snapshot' }, timeoutMs)).snapshot;
  }

  /** Changes the given faults (others keep their value); resolves with the faults now in force. */
  async setFaults(set: FaultSet, timeoutMs?: number): Promise<FaultState> {
    return (await this.request({ op: 'fault', set }, timeoutMs)).faults;
  }

  async clearFaults(timeoutMs?: number): Promise<FaultState> {
    return (await this.request({ op: 'fault', clear: true }, timeoutMs)).faults;
  }

  /** The node stops processing for `ms`; this connection will see it as silent meanwhile. */
  async pause(ms: number, timeoutMs?: number): Promise<void> {
    await this.request({ op: 'pause', ms }, timeoutMs);
  }

  /**
   * The node exits at once. Its answer may be lost with the connection, so a lost connection counts
   * as success here.
   */
  async crash(timeoutMs?: number): Promise<void> {
    try {
      await this.request({ op: 'crash' }, timeoutMs);
    } catch (error) {
      if (!(error instanceof RequestError && error.code === 'CONNECTION_LOST')) throw error;
    }
  }

  /** Stops reconnecting and closes the connection; requests in flight fail. */
  close(): void {
    if (this.currentState === 'closed') return;
    clearTimeout(this.retryTimer);
    this.setState('closed', this.error);
    this.socket?.close();
    this.socket = undefined;
    this.events.clear();
    this.states.clear();
  }

  private async connected(timeoutMs: number): Promise<RpcSocket<AdminServerFrame>> {
    if (this.socket?.isOpen) return this.socket;
    if (this.currentState === 'closed') throw new RequestError('UNAVAILABLE', `the admin client for ${this.url} is closed`, this.url);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), timeoutMs)));
    const socket = await Promise.race([this.connect(), timeout]).finally(() => clearTimeout(timer));
    if (socket?.isOpen) return socket;
    if (this.connectFailure?.code === 'UNAUTHORIZED') throw this.connectFailure;
    const why = socket === undefined && this.currentState === 'connecting' ? `no connection within ${timeoutMs} ms` : (this.error ?? 'not connected');
    throw new RequestError('UNAVAILABLE', `${this.url} is unreachable: ${why}`, this.url);
  }

  /** The attempt under way, or a new one started now. Never rejects: undefined means it failed. */
  private connect(): Promise<RpcSocket<AdminServerFrame> | undefined> {
    if (this.attempt) return this.attempt;
    clearTimeout(this.retryTimer);
    this.setState('connecting', this.error);
    this.attempt = RpcSocket.open(this.endpoint, parseAdminServerFrame, {
      auth: this.options.auth,
      connectTimeoutMs: this.options.connectTimeoutMs,
      heartbeatMs: this.options.heartbeatMs,
    }).then(
      (socket) => {
        this.attempt = undefined;
        this.connectFailure = undefined;
        if (this.currentState === 'closed') {
          socket.close();
          return undefined;
        }
        this.adopt(socket);
        return socket;
      },
      (error: RequestError) => {
        this.attempt = undefined;
        this.connectFailure = error;
        if (this.currentState !== 'closed') this.lose(error.message);
        return undefined;
      },
    );
    return this.attempt;
  }

  private adopt(socket: RpcSocket<AdminServerFrame>): void {
    this.socket = socket;
    this.backoff.reset();
    socket.onPush((frame) => {
      if ('event' in frame) this.events.emit(frame);
    });
    socket.onClose((reason) => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      if (this.currentState !== 'closed') this.lose(reason);
    });
    this.setState('connected', null);
    if (this.events.size > 0) this.subscribe(socket);
  }

  private subscribe(socket: RpcSocket<AdminServerFrame>): void {
    socket.request({ op: 'subscribe' }, this.options.requestTimeoutMs).then(
      (frame) => {
        if ('ok' in frame && frame.ok === false) socket.close(`subscribe refused: ${frame.error.message}`);
      },
      (error: RequestError) => socket.close(`subscribe failed: ${error.message}`),
    );
  }

  private lose(error: string): void {
    this.setState('unreachable', error);
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.connect(), this.backoff.next());
  }

  private setState(state: AdminConnectionState, error: string | null): void {
    const changed = state !== this.currentState || error !== this.error;
    this.currentState = state;
    this.error = error;
    if (changed) this.states.emit({ state, error });
  }
}
