// One open WebSocket to `/admin` or `/client`: JSON requests with ids, answers matched back by id
// (in any order, many in flight), frames without an id (events) handed to a listener. Opening and
// every request are bounded in time; a failure is always a RequestError naming the node.
import WebSocket from 'ws';
import type { FrameParseResult } from '../../shared/protocol/frame.ts';
import { Listeners } from '../listeners.ts';
import type { ConnectionAuth } from './endpoint.ts';
import { RequestError } from './request-error.ts';

export interface RpcSocketOptions {
  auth: ConnectionAuth;
  connectTimeoutMs: number;
  /** When set, ping this often and drop a connection that stays silent for 2.5 times as long. */
  heartbeatMs?: number;
}

/** Answers are read and validated by the caller's parser: admin and client frames differ. */
export type FrameParser<Frame> = (text: string) => FrameParseResult<Frame>;

interface Pending<Frame> {
  resolve(frame: Frame): void;
  reject(error: RequestError): void;
  timer: NodeJS.Timeout;
}

/** Answers and events can be large (a status with many peers); nodes send at most 2 MiB. */
const MAX_PAYLOAD_BYTES = 8 * 1024 * 1024;
const SILENCE_FACTOR = 2.5;

export class RpcSocket<Frame extends object> {
  private readonly pending = new Map<number, Pending<Frame>>();
  private readonly pushes = new Listeners<Frame>();
  private readonly closes = new Listeners<string>();
  private nextId = 1;
  private lastHeard = performance.now();
  private heartbeat: NodeJS.Timeout | undefined;
  private closeReason: string | undefined;

  private constructor(
    readonly url: string,
    private readonly ws: WebSocket,
    private readonly parse: FrameParser<Frame>,
    heartbeatMs: number | undefined,
  ) {
    ws.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    ws.on('pong', () => (this.lastHeard = performance.now()));
    ws.on('close', (code, reason) => this.handleClose(describeClose(code, reason.toString())));
    ws.on('error', (error) => (this.closeReason ??= error.message));
    if (heartbeatMs !== undefined) this.heartbeat = setInterval(() => this.checkAlive(heartbeatMs), heartbeatMs);
  }

  /** Connects to `url` (a full endpoint URL, path included). Rejects with UNAVAILABLE or UNAUTHORIZED. */
  static open<Frame extends object>(url: string, parse: FrameParser<Frame>, options: RpcSocketOptions): Promise<RpcSocket<Frame>> {
    const { auth, connectTimeoutMs } = options;
    const ws = new WebSocket(url, {
      headers: auth.token === undefined ? {} : { authorization: `Bearer ${auth.token}` },
      ...auth.tls,
      handshakeTimeout: connectTimeoutMs,
      perMessageDeflate: false,
      maxPayload: MAX_PAYLOAD_BYTES,
    });
    return new Promise((resolve, reject) => {
      // ws's handshake timeout covers the HTTP exchange; this one also covers DNS and TCP connect.
      const timer = setTimeout(() => {
        ws.terminate();
        fail(new RequestError('UNAVAILABLE', `no answer from ${url} within ${connectTimeoutMs} ms`, url));
      }, connectTimeoutMs);
      const fail = (error: RequestError): void => {
        clearTimeout(timer);
        ws.removeAllListeners();
        ws.on('error', () => {});
        reject(error);
      };
      ws.once('error', (error) => fail(connectError(url, error, auth.token !== undefined)));
      ws.once('close', (code, reason) => fail(new RequestError('UNAVAILABLE', `${url}: ${describeClose(code, reason.toString())}`, url)));
      ws.once('open', () => {
        clearTimeout(timer);
        ws.removeAllListeners();
        resolve(new RpcSocket(url, ws, parse, options.heartbeatMs));
      });
    });
  }

  get isOpen(): boolean {
    return this.closeReason === undefined && this.ws.readyState === WebSocket.OPEN;
  }

  /**
   * Sends `body` with a fresh id and resolves with the frame answering it: success or failure
   * frame alike (the caller reads it). Rejects with TIMEOUT, CONNECTION_LOST or UNAVAILABLE.
   */
  request(body: object, timeoutMs: number): Promise<Frame> {
    if (!this.isOpen) {
      return Promise.reject(new RequestError('UNAVAILABLE', `not connected to ${this.url}: ${this.closeReason ?? 'closing'}`, this.url));
    }
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new RequestError('TIMEOUT', `no answer from ${this.url} within ${timeoutMs} ms; the outcome is unknown`, this.url));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.ws.send(JSON.stringify({ id, ...body }), (error) => {
        if (error) this.settle(id, (p) => p.reject(this.lost(`sending failed (${error.message})`)));
      });
    });
  }

  /** Frames that answer no request: the node's events. */
  onPush(listener: (frame: Frame) => void): () => void {
    return this.pushes.add(listener);
  }

  /** Called once, with why the connection ended. */
  onClose(listener: (reason: string) => void): () => void {
    return this.closes.add(listener);
  }

  /** Closes the connection; requests still in flight fail with CONNECTION_LOST. */
  close(reason = 'closed by this client'): void {
    this.closeReason ??= reason;
    this.ws.terminate();
  }

  private onMessage(data: WebSocket.RawData, isBinary: boolean): void {
    this.lastHeard = performance.now();
    if (isBinary) return;
    const parsed = this.parse(frameText(data));
    if (!parsed.ok) {
      const id = readId(frameText(data));
      if (id !== undefined) {
        const message = `${this.url} answered with an invalid frame (${parsed.message}); the outcome is unknown`;
        this.settle(id, (p) => p.reject(new RequestError('BAD_ANSWER', message, this.url)));
      }
      return;
    }
    const frame = parsed.value;
    const id = (frame as { id?: unknown }).id;
    if (typeof id === 'number' && this.pending.has(id)) this.settle(id, (p) => p.resolve(frame));
    else if (id === undefined) this.pushes.emit(frame);
  }

  private handleClose(description: string): void {
    clearInterval(this.heartbeat);
    this.closeReason ??= description;
    for (const id of [...this.pending.keys()]) this.settle(id, (p) => p.reject(this.lost(this.closeReason ?? description)));
    this.closes.emit(this.closeReason);
    this.closes.clear();
    this.pushes.clear();
  }

  private checkAlive(heartbeatMs: number): void {
    const silentMs = performance.now() - this.lastHeard;
    if (silentMs > heartbeatMs * SILENCE_FACTOR) {
      this.close(`no answer from ${this.url} for ${Math.round(silentMs)} ms (the node may be paused or overloaded)`);
      return;
    }
    if (this.ws.readyState === WebSocket.OPEN) this.ws.ping();
  }

  private settle(id: number, action: (pending: Pending<Frame>) => void): void {
    const pending = this.pending.get(id);
    if (!pending) return;
    this.pending.delete(id);
    clearTimeout(pending.timer);
    action(pending);
  }

  private lost(why: string): RequestError {
    return new RequestError('CONNECTION_LOST', `connection to ${this.url} lost before an answer (${why}); the outcome is unknown`, this.url);
  }
}

function connectError(url: string, error: Error, sentToken: boolean): RequestError {
  const status = /Unexpected server response: (\d+)/.exec(error.message)?.[1];
  if (status === '401') {
    const why = sentToken ? 'refused the token' : 'needs a token (give a token file)';
    return new RequestError('UNAUTHORIZED', `${url} ${why} (HTTP 401)`, url);
  }
  if (status === '503') return new RequestError('UNAVAILABLE', `${url} is starting or shutting down (HTTP 503)`, url);
  if (status !== undefined) return new RequestError('UNAVAILABLE', `${url} answered HTTP ${status}; is it a raft-node?`, url);
  const code = (error as NodeJS.ErrnoException).code;
  const why =
    code === 'ECONNREFUSED'
      ? 'connection refused (nothing listening there)'
      : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
        ? 'the host name does not resolve'
        : error.message;
  return new RequestError('UNAVAILABLE', `cannot connect to ${url}: ${why}`, url);
}

function frameText(data: WebSocket.RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.from(data).toString('utf8');
}

function describeClose(code: number, reason: string): string {
  return reason === '' ? `connection closed (code ${code})` : `connection closed (code ${code}: ${reason})`;
}

function readId(text: string): number | undefined {
  try {
    const value: unknown = JSON.parse(text);
    const id = typeof value === 'object' && value !== null ? (value as { id?: unknown }).id : undefined;
    return typeof id === 'number' ? id : undefined;
  } catch {
    return undefined;
  }
}
