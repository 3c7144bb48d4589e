// A minimal client for /client and /admin: JSON frames, requests matched to answers by id,
// and every other frame (events, answers without an id) kept for waitFor().
import WebSocket from 'ws';

export interface ConnectOptions {
  token?: string;
  /** Trust this CA for wss:// URLs. */
  ca?: Buffer;
  timeoutMs?: number;
}

type Frame = Record<string, unknown>;

/** Oldest unmatched frames are dropped beyond this, so a long subscription cannot grow without end. */
const MAX_UNMATCHED = 10_000;

interface Pending {
  resolve: (frame: Frame) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

interface Watcher {
  match: (frame: Frame) => boolean;
  resolve: (frame: Frame) => void;
}

export class WsClient {
  /** Frames that answered no pending request, oldest first. */
  readonly unmatched: Frame[] = [];
  /** Resolves with the close code and reason once the connection is closed. */
  readonly closed: Promise<{ code: number; reason: string }>;
  private readonly pending = new Map<number, Pending>();
  private watchers: Watcher[] = [];
  private nextId = 1;

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data) => this.onFrame(JSON.parse(String(data)) as Frame));
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        for (const p of this.pending.values()) {
          clearTimeout(p.timer);
          p.reject(new Error(`connection closed (${code}) before an answer came`));
        }
        this.pending.clear();
        resolve({ code, reason: String(reason) });
      });
    });
  }

  /** Opens a connection; rejects with the HTTP status (e.g. "401") when the upgrade is refused. */
  static connect(url: string, options: ConnectOptions = {}): Promise<WsClient> {
    const headers: Record<string, string> = options.token === undefined ? {} : { authorization: `Bearer ${options.token}` };
    const ws = new WebSocket(url, { headers, ca: options.ca, handshakeTimeout: options.timeoutMs ?? 5000 });
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new WsClient(ws)));
      ws.once('unexpected-response', (_req, res) => {
        reject(new Error(String(res.statusCode)));
        ws.terminate();
      });
      ws.once('error', reject);
    });
  }

  /** Sends `body` with a fresh id and resolves with the frame that carries that id back. */
  request<T = Frame>(body: Frame, timeoutMs = 5000): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`no answer to ${JSON.stringify(body).slice(0, 200)} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve: resolve as (frame: Frame) => void, reject, timer });
      this.ws.send(JSON.stringify({ ...body, id }));
    });
  }

  /** Sends a raw text frame (for malformed input). */
  sendRaw(text: string): void {
    this.ws.send(text);
  }

  /** Resolves with the first unmatched frame, past or future, for which `match` holds. */
  waitFor<T = Frame>(match: (frame: Frame) => boolean, timeoutMs = 5000): Promise<T> {
    const found = this.unmatched.find(match);
    if (found) {
      this.unmatched.splice(this.unmatched.indexOf(found), 1);
      return Promise.resolve(found as T);
    }
    return new Promise<T>((resolve, reject) => {
      const watcher: Watcher = {
        match,
        resolve: (frame) => {
          clearTimeout(timer);
          resolve(frame as T);
        },
      };
      const timer = setTimeout(() => {
        this.watchers = this.watchers.filter((w) => w !== watcher);
        reject(new Error(`no matching frame within ${timeoutMs} ms`));
      }, timeoutMs);
      this.watchers.push(watcher);
    });
  }

  /** Closes politely, or drops the connection if the other side does not answer within a second. */
  async close(): Promise<{ code: number; reason: string }> {
    if (this.ws.readyState === WebSocket.CONNECTING || this.ws.readyState === WebSocket.OPEN) this.ws.close();
    const timer = setTimeout(() => this.ws.terminate(), 1000);
    try {
      return await this.closed;
    } finally {
      clearTimeout(timer);
    }
  }

  private onFrame(frame: Frame): void {
    const pending = typeof frame.id === 'number' ? this.pending.get(frame.id) : undefined;
    if (pending) {
      this.pending.delete(frame.id as number);
      clearTimeout(pending.timer);
      pending.resolve(frame);
      return;
    }
    const watcher = this.watchers.find((w) => w.match(frame));
    if (watcher) {
      this.watchers = this.watchers.filter((w) => w !== watcher);
      watcher.resolve(frame);
      return;
    }
    this.unmatched.push(frame);
    if (this.unmatched.length > MAX_UNMATCHED) this.unmatched.shift();
  }
}
