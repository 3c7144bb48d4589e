// An etcd gRPC connection for the benchmark (the etcd3 client), puts with the same 5 s bound that
// raft-node puts on a write.
import { Etcd3 } from 'etcd3';
import type { PutConnection, PutOutcome } from './target.ts';

const CALL_DEADLINE_MS = 5000;

/** One gRPC channel of its own (no shared subchannel), so N connections are N HTTP/2 connections. */
export class EtcdConnection implements PutConnection {
  private readonly client: Etcd3;

  constructor(url: string) {
    this.client = new Etcd3({
      hosts: url,
      grpcOptions: { 'grpc.use_local_subchannel_pool': 1 },
      defaultCallOptions: () => ({ deadline: Date.now() + CALL_DEADLINE_MS }),
    });
  }

  async put(key: string, value: string): Promise<PutOutcome> {
    try {
      await this.client.put(key).value(value);
      return { ok: true };
    } catch (error) {
      return { ok: false, code: error instanceof Error ? error.constructor.name : 'UNKNOWN' };
    }
  }

  async close(): Promise<void> {
    this.client.close();
  }
}
