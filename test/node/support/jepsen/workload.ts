// The clients of a Jepsen-style run: each one a sequence of get / put / cas / delete on a few
// shared keys, over its own /client connection to a member it picked at random, following
// NOT_LEADER to the leader. Every request is recorded: ok, fail (definitely not applied) or info
// (outcome unknown: a TIMEOUT, a lost connection, no answer in time). After an info the client
// continues as a new process, as Jepsen does, since its old request may still take effect.
import type { HistoryRecorder, OperationCall } from '../../../../src/main/check/recorder.ts';
import { NOT_APPLIED_CODES, type ClientAnswer } from '../client-answer.ts';
import type { TestCluster } from '../cluster.ts';
import { sleep } from '../node-process.ts';
import { WsClient } from '../ws-client.ts';

export interface WorkloadOptions {
  cluster: TestCluster;
  recorder: HistoryRecorder;
  /** Fresh keys: every key of the history starts absent. */
  keys: readonly string[];
  clients: number;
  /** How long a client waits for an answer before it records the request as unknown. */
  requestTimeoutMs: number;
  random?: () => number;
}

export interface WorkloadCounts {
  ok: number;
  fail: number;
  info: number;
}

export class Workload {
  readonly counts: WorkloadCounts = { ok: 0, fail: 0, info: 0 };
  private readonly random: () => number;
  private nextProcess = 0;
  private stopping = false;
  private loops: Promise<void>[] = [];

  constructor(private readonly options: WorkloadOptions) {
    this.random = options.random ?? Math.random;
  }

  start(): void {
    this.loops = Array.from({ length: this.options.clients }, (_, client) => this.clientLoop(client));
  }

  /** Asks every client to stop and waits for each to finish its request in flight. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.loops);
  }

  /**
   * A linearizable get of every key, each by a fresh process, retried until one is answered ok
   * (each attempt recorded); resolves with the values read. Fails after `timeoutMs`.
   */
  async finalReads(timeoutMs: number): Promise<Map<string, string | null>> {
    const deadline = Date.now() + timeoutMs;
    const values = new Map<string, string | null>();
    for (const key of this.options.keys) {
      const session = new Session(this.options.cluster, this.options.requestTimeoutMs, this.random);
      try {
        while (!values.has(key)) {
          if (Date.now() > deadline) throw new Error(`no final read of ${key} succeeded within ${timeoutMs} ms`);
          const answer = await this.perform(session, this.nextProcess++, { op: 'get', key });
          if (answer?.ok) values.set(key, answer.value ?? null);
          else await sleep(100);
        }
      } finally {
        await session.close();
      }
    }
    return values;
  }

  private async clientLoop(client: number): Promise<void> {
    const session = new Session(this.options.cluster, this.options.requestTimeoutMs, this.random);
    /** The last value this client saw per key: what its next cas expects. */
    const seen = new Map<string, string | null>();
    let process = this.nextProcess++;
    let seq = 0;
    try {
      while (!this.stopping) {
        const call = this.nextCall(client, seq++, seen);
        const answer = await this.perform(session, process, call);
        if (answer === undefined) {
          process = this.nextProcess++;
          continue;
        }
        if (answer.ok) {
          if (call.op === 'put') seen.set(call.key, call.value);
          else if (call.op === 'delete') seen.set(call.key, null);
          else seen.set(call.key, answer.value ?? null);
        }
      }
    } finally {
      await session.close();
    }
  }

  /** Records and sends one request; resolves with the answer, or undefined when its outcome is unknown. */
  private async perform(session: Session, process: number, call: OperationCall): Promise<ClientAnswer | undefined> {
    const { recorder } = this.options;
    // Connecting comes before the invocation: a request that was never sent is no operation.
    for (let attempt = 0; !(await session.ready()); attempt++) {
      if (this.stopping && attempt > 0) return { ok: false, error: { code: 'UNREACHABLE', message: 'stopping' } };
      await sleep(50);
    }
    recorder.invoke(process, call);
    const result = await session.send(call);
    if (result.kind === 'lost') {
      recorder.info(process, result.reason);
      this.counts.info++;
      return undefined;
    }
    const { answer } = result;
    if (answer.ok) {
      recorder.ok(process, answer);
      this.counts.ok++;
      return answer;
    }
    const code = answer.error?.code ?? 'UNKNOWN';
    if (NOT_APPLIED_CODES.has(code)) {
      recorder.fail(process, code);
      this.counts.fail++;
      return answer;
    }
    recorder.info(process, code);
    this.counts.info++;
    return undefined;
  }

  private nextCall(client: number, seq: number, seen: Map<string, string | null>): OperationCall {
    const { keys } = this.options;
    const key = keys[Math.floor(this.random() * keys.length)];
    const value = `c${client}-${seq}`;
    const dice = this.random();
    if (dice < 0.4) return { op: 'get', key };
    if (dice < 0.65) return { op: 'put', key, value };
    if (dice < 0.9) return { op: 'cas', key, expect: seen.get(key) ?? null, value };
    return { op: 'delete', key };
  }
}

type SendResult = { kind: 'answer'; answer: ClientAnswer } | { kind: 'lost'; reason: string };

/** One client's connection: to a random member at first, to the leader a NOT_LEADER names after. */
class Session {
  private connection: WsClient | undefined;
  private nextUrl: string | undefined;

  constructor(
    private readonly cluster: TestCluster,
    private readonly requestTimeoutMs: number,
    private readonly random: () => number,
  ) {}

  /** Connects if need be; false when no connection could be opened this time. */
  async ready(): Promise<boolean> {
    if (this.connection) return true;
    const url = this.nextUrl ?? this.randomMemberUrl();
    this.nextUrl = undefined;
    try {
      this.connection = await WsClient.connect(`${url}/client`, { token: this.cluster.token, timeoutMs: 1000 });
      return true;
    } catch {
      return false;
    }
  }

  async send(call: OperationCall): Promise<SendResult> {
    const connection = this.connection;
    if (!connection) return { kind: 'lost', reason: 'not connected' };
    let answer: ClientAnswer;
    try {
      answer = await connection.request<ClientAnswer>({ ...call }, this.requestTimeoutMs);
    } catch (error) {
      // No answer in time, or the connection broke: try another member next.
      await this.drop();
      return { kind: 'lost', reason: (error as Error).message.slice(0, 120) };
    }
    if (!answer.ok) {
      const { code, leaderUrl } = answer.error ?? { code: '' };
      if (code === 'NOT_LEADER' && leaderUrl) {
        await this.drop();
        this.nextUrl = leaderUrl;
      } else if (code === 'NO_LEADER' || code === 'SHUTTING_DOWN' || code === 'TIMEOUT') {
        await this.drop();
      }
    }
    return { kind: 'answer', answer };
  }

  async close(): Promise<void> {
    await this.drop();
  }

  private async drop(): Promise<void> {
    const connection = this.connection;
    this.connection = undefined;
    await connection?.close();
  }

  private randomMemberUrl(): string {
    const members = [...this.cluster.members.values()];
    return members[Math.floor(this.random() * members.length)].url;
  }
}
