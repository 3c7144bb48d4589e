// A drill's clients: each a loop of get / put / cas / delete on the run's fresh keys, over its own
// KvClient, every request recorded in the history (ok; fail when certainly not applied; info when
// the outcome is unknown, after which the client goes on as a new process, as in Jepsen). A client
// whose member fails it moves on to the next member. "Leader readers" only read, from the member
// they are pinned to, without following redirects: whatever that member answers is recorded. A
// probe writes through the members not under a fault, to see the first moment writes succeed again.
import { setTimeout as sleep } from 'node:timers/promises';
import type { HistoryRecorder, OperationCall } from '../check/recorder.ts';
import type { ConnectionAuth } from '../connection/endpoint.ts';
import { KvClient } from '../connection/kv-client.ts';
import { RequestError, type RequestErrorCode } from '../connection/request-error.ts';
import { Listeners } from '../listeners.ts';

export interface WorkloadOptions {
  /** The members' base URLs. */
  urls: string[];
  auth: ConnectionAuth;
  /** Fresh keys: every key starts absent. */
  keys: string[];
  /** Prefix of every value written; values are unique within it. */
  valuePrefix: string;
  clients: number;
  leaderReaders: number;
  recorder: HistoryRecorder;
  requestTimeoutMs: number;
}

/** A write the cluster acknowledged, on the history's clock (performance.now()). */
export interface WriteAck {
  invokedAt: number;
  ackedAt: number;
}

export interface WorkloadCounts {
  ok: number;
  fail: number;
  info: number;
}

type Outcome = { kind: 'ok'; value: string | null } | { kind: 'fail' | 'info'; error: RequestError | Error };

/** After these failures the member is no help right now: try the next one. */
const MOVE_ON: ReadonlySet<RequestErrorCode> = new Set(['NO_LEADER', 'TIMEOUT', 'CONNECTION_LOST', 'UNAVAILABLE', 'SHUTTING_DOWN', 'BAD_ANSWER']);
/** A client that failed waits this long before its next request, so a leaderless cluster is not hammered. */
const FAILURE_PAUSE_MS = 50;
const FINAL_READ_RETRY_MS = 100;
const PROBE_PAUSE_MS = 20;

export class Workload {
  readonly counts: WorkloadCounts = { ok: 0, fail: 0, info: 0 };
  private readonly acks = new Listeners<WriteAck>();
  private nextProcess = 0;
  private stopping = false;
  private loops: Promise<void>[] = [];
  private readerUrl: string;
  private readerPin = 0;
  private probes = 0;

  constructor(private readonly options: WorkloadOptions) {
    if (options.urls.length === 0) throw new Error('a workload needs at least one member URL');
    this.readerUrl = options.urls[0];
  }

  /** The members' base URLs. */
  get urls(): string[] {
    return this.options.urls;
  }

  start(): void {
    const writers = Array.from({ length: this.options.clients }, (_, client) => this.clientLoop(client));
    const readers = Array.from({ length: this.options.leaderReaders }, () => this.readerLoop());
    this.loops = [...writers, ...readers];
  }

  /** Calls `listener` with every acknowledged put, cas or delete; returns the function that stops it. */
  onWriteAck(listener: (ack: WriteAck) => void): () => void {
    return this.acks.add(listener);
  }

  /** From their next request on, the leader readers read from the member at `url`. */
  pinReaders(url: string): void {
    this.readerUrl = url;
    this.readerPin++;
  }

  /**
   * A failover probe: puts through the given members only (not the one under a fault), each to one
   * member without redirects, round-robin, until `signal` aborts. Clients stuck on the faulted
   * member would otherwise hide for a whole request timeout that the others already lead again.
   */
  async probeWrites(urls: string[], signal: AbortSignal): Promise<void> {
    const clients = urls.map((url) => this.kvClient([url], 0));
    const probe = this.probes++;
    let process = this.nextProcess++;
    try {
      for (let seq = 0; !signal.aborted && !this.stopping; seq++) {
        const value = `${this.options.valuePrefix}-p${probe}-${seq}`;
        const outcome = await this.perform(clients[seq % clients.length], process, { op: 'put', key: this.randomKey(), value });
        if (outcome.kind === 'info') process = this.nextProcess++;
        if (outcome.kind !== 'ok') await sleep(PROBE_PAUSE_MS);
      }
    } finally {
      for (const kv of clients) kv.close();
    }
  }

  /** Asks every client to stop and waits until each has its request in flight answered or timed out. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.loops);
  }

  /**
   * A linearizable get of every key, each by a new process, retried (each attempt recorded) until
   * it succeeds. Throws after `timeoutMs`.
   */
  async finalReads(timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    const kv = this.kvClient(this.options.urls);
    try {
      for (const key of this.options.keys) {
        for (;;) {
          const outcome = await this.perform(kv, this.nextProcess++, { op: 'get', key });
          if (outcome.kind === 'ok') break;
          if (performance.now() > deadline) throw new Error(`no final read of ${key} succeeded within ${timeoutMs} ms: ${outcome.error.message}`);
          await sleep(FINAL_READ_RETRY_MS);
        }
      }
    } finally {
      kv.close();
    }
  }

  private async clientLoop(client: number): Promise<void> {
    const { urls } = this.options;
    let first = client % urls.length;
    let kv = this.kvClient(rotate(urls, first));
    /** The last value this client saw per key: what its next cas expects. */
    const seen = new Map<string, string | null>();
    let process = this.nextProcess++;
    try {
      for (let seq = 0; !this.stopping; seq++) {
        const call = this.nextCall(client, seq, seen);
        const outcome = await this.perform(kv, process, call);
        if (outcome.kind === 'ok') {
          seen.set(call.key, call.op === 'put' ? call.value : call.op === 'delete' ? null : outcome.value);
          continue;
        }
        if (outcome.kind === 'info') process = this.nextProcess++;
        const { error } = outcome;
        if (error instanceof RequestError && MOVE_ON.has(error.code)) {
          kv.close();
          first = (Math.max(0, urls.indexOf(error.url)) + 1) % urls.length;
          kv = this.kvClient(rotate(urls, first));
        }
        await sleep(FAILURE_PAUSE_MS);
      }
    } finally {
      kv.close();
    }
  }

  private async readerLoop(): Promise<void> {
    let pin = this.readerPin;
    // No redirects: a get is answered by the member it was sent to, or refused.
    let kv = this.kvClient([this.readerUrl], 0);
    let process = this.nextProcess++;
    try {
      while (!this.stopping) {
        if (pin !== this.readerPin) {
          pin = this.readerPin;
          kv.close();
          kv = this.kvClient([this.readerUrl], 0);
        }
        const outcome = await this.perform(kv, process, { op: 'get', key: this.randomKey() });
        if (outcome.kind === 'ok') continue;
        if (outcome.kind === 'info') process = this.nextProcess++;
        await sleep(FAILURE_PAUSE_MS);
      }
    } finally {
      kv.close();
    }
  }

  /** Records and sends one request. */
  private async perform(kv: KvClient, process: number, call: OperationCall): Promise<Outcome> {
    const { recorder, requestTimeoutMs } = this.options;
    recorder.invoke(process, call);
    const invokedAt = performance.now();
    try {
      const answer = await kv.request(call, requestTimeoutMs);
      recorder.ok(process, answer);
      this.counts.ok++;
      if (call.op !== 'get') this.acks.emit({ invokedAt, ackedAt: performance.now() });
      return { kind: 'ok', value: answer.value };
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      const code = failure instanceof RequestError ? failure.code : 'ERROR';
      if (failure instanceof RequestError && failure.definitelyNotApplied) {
        recorder.fail(process, code);
        this.counts.fail++;
        return { kind: 'fail', error: failure };
      }
      recorder.info(process, code);
      this.counts.info++;
      return { kind: 'info', error: failure };
    }
  }

  private nextCall(client: number, seq: number, seen: Map<string, string | null>): OperationCall {
    const key = this.randomKey();
    const value = `${this.options.valuePrefix}-c${client}-${seq}`;
    const dice = Math.random();
    if (dice < 0.35) return { op: 'get', key };
    if (dice < 0.7) return { op: 'put', key, value };
    if (dice < 0.95) return { op: 'cas', key, expect: seen.get(key) ?? null, value };
    return { op: 'delete', key };
  }

  private randomKey(): string {
    const { keys } = this.options;
    return keys[Math.floor(Math.random() * keys.length)];
  }

  private kvClient(urls: string[], maxRedirects?: number): KvClient {
    const { auth, requestTimeoutMs } = this.options;
    return new KvClient(urls, { auth, timeoutMs: requestTimeoutMs, ...(maxRedirects === undefined ? {} : { maxRedirects }) });
  }
}

/** `urls` starting at index `first`, wrapping around. */
function rotate(urls: string[], first: number): string[] {
  return [...urls.slice(first), ...urls.slice(0, first)];
}
