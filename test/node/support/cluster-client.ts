// A /client user of a whole test cluster: one connection at a time, moved to the leader a
// NOT_LEADER answer names, or to another running member when its node is gone or has no leader.
import { sleep } from './node-process.ts';
import type { ClientAnswer } from './client-answer.ts';
import type { TestCluster } from './cluster.ts';
import { WsClient } from './ws-client.ts';

type Body = Record<string, unknown>;

interface Connection {
  target: string;
  client: Promise<WsClient>;
}

export class ClusterClient {
  private current: Connection | undefined;
  /** Where the next connection goes, when a NOT_LEADER answer named the leader. */
  private hint: string | undefined;

  constructor(
    private readonly cluster: TestCluster,
    /** How long one attempt waits for its answer. */
    private readonly attemptTimeoutMs = 8000,
  ) {}

  /**
   * One attempt: the answer, or a failure with code CLOSED (connection lost or no answer in time:
   * outcome unknown) or UNREACHABLE (no connection: not sent).
   */
  async sendOnce(body: Body): Promise<ClientAnswer> {
    const connection = this.connection();
    let client: WsClient;
    try {
      client = await connection.client;
    } catch (error) {
      this.drop(connection);
      return { ok: false, error: { code: 'UNREACHABLE', message: (error as Error).message } };
    }
    try {
      const answer = await client.request<ClientAnswer>(body, this.attemptTimeoutMs);
      if (!answer.ok && (answer.error?.code === 'NOT_LEADER' || answer.error?.code === 'NO_LEADER' || answer.error?.code === 'SHUTTING_DOWN')) {
        this.hint = answer.error.leaderId;
        this.drop(connection);
      }
      return answer;
    } catch (error) {
      this.drop(connection);
      return { ok: false, error: { code: 'CLOSED', message: (error as Error).message } };
    }
  }

  /**
   * Sends `body` until an answer is ok, for at most `timeoutMs`. Only for requests whose repetition
   * changes nothing: reads, and writes of a unique value to a key no one else writes.
   */
  async send(body: Body, timeoutMs = 30_000): Promise<ClientAnswer> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      const answer = await this.sendOnce(body);
      if (answer.ok) return answer;
      last = `${answer.error?.code}: ${answer.error?.message}`;
      if (answer.error?.code !== 'NOT_LEADER') await sleep(100);
    }
    throw new Error(`no ok answer to ${JSON.stringify(body).slice(0, 160)} within ${timeoutMs} ms (last: ${last})`);
  }

  async close(): Promise<void> {
    const connection = this.current;
    this.current = undefined;
    await connection?.client.then((c) => c.close(), () => undefined);
  }

  private connection(): Connection {
    const current = this.current;
    if (current && this.usable(current.target)) return current;
    if (current) this.drop(current);
    const target = this.pickTarget();
    const client = this.cluster.connect(target, '/client');
    client.catch(() => undefined);
    this.current = { target, client };
    return this.current;
  }

  private pickTarget(): string {
    const hinted = this.hint === undefined ? undefined : this.cluster.members.get(this.hint);
    this.hint = undefined;
    if (hinted && this.usable(hinted.id)) return hinted.id;
    const live = [...this.cluster.members.values()].filter((m) => this.usable(m.id));
    const pool = live.length > 0 ? live : [...this.cluster.members.values()];
    return pool[Math.floor(Math.random() * pool.length)].id;
  }

  /** A member that is gone or paused would only make requests wait. */
  private usable(id: string): boolean {
    const member = this.cluster.members.get(id);
    return member !== undefined && member.process.running && !this.cluster.isPaused(id);
  }

  private drop(connection: Connection): void {
    if (this.current !== connection) return;
    this.current = undefined;
    void connection.client.then((c) => c.close(), () => undefined);
  }
}
