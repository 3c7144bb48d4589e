// A raft-node /client WebSocket for the benchmark: puts matched to their answers by id, many in
// flight at once.
import WebSocket from 'ws';
import type { PutConnection, PutOutcome } from './target.ts';
import { withTimeout } from './wait.ts';

/** An answer that takes longer than this (the node itself gives up after 5 s) counts as lost. */
const CLIENT_TIMEOUT_MS = 10_000;

/** One connection to `ws://HOST:PORT/client`. */
export class RaftConnection implements PutConnection {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (outcome: PutOutcome) => void; timer: NodeJS.Timeout }>();
  private closed = false;

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data) => this.onAnswer(String(data)));
    ws.on('close', () => {
      this.closed = true;
      for (const id of [...this.pending.keys()]) this.settle(id, { ok: false, code: 'CONNECTION_CLOSED' });
    });
    ws.on('error', () => undefined); // followed by 'close'
  }

  static open(url: string): Promise<RaftConnection> {
    const ws = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: 5000 });
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new RaftConnection(ws)));
      ws.once('error', (error) => reject(new Error(`cannot connect to ${url}: ${error.message}`)));
    });
  }

  put(key: string, value: string): Promise<PutOutcome> {
    if (this.closed) return Promise.resolve({ ok: false, code: 'CONNECTION_CLOSED' });
    const id = this.nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.settle(id, { ok: false, code: 'CLIENT_TIMEOUT' }), CLIENT_TIMEOUT_MS);
      this.pending.set(id, { resolve, timer });
      this.ws.send(JSON.stringify({ id, op: 'put', key, value }));
    });
  }

  /** Closes politely, or drops the connection if the node does not answer the close within a second. */
  async close(): Promise<void> {
    if (this.closed) return;
    const closed = new Promise((resolve) => this.ws.once('close', resolve));
    this.ws.close();
    await withTimeout(closed, 1000, 'the close handshake').catch(() => this.ws.terminate());
  }

  private onAnswer(text: string): void {
    const answer = JSON.parse(text) as { id?: unknown; ok?: unknown; error?: { code?: unknown } };
    if (typeof answer.id !== 'number' || !(answer.id >= 1 && answer.id < this.nextId)) {
      throw new Error(`raft-node answered a request that was never sent: ${text.slice(0, 200)}`);
    }
    // A late answer to a request already counted as CLIENT_TIMEOUT settles nothing.
    this.settle(answer.id, answer.ok === true ? { ok: true } : { ok: false, code: String(answer.error?.code ?? 'MALFORMED_ANSWER') });
  }

  private settle(id: number, outcome: PutOutcome): void {
    const pending = this.pending.get(id);
    if (!pending) return;
    this.pending.delete(id);
    clearTimeout(pending.timer);
    pending.resolve(outcome);
  }
}
