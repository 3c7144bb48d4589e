// Opens a client connection to a cluster member, raft-node or etcd.
import { EtcdConnection } from './etcd-connection.ts';
import { RaftConnection } from './raft-connection.ts';
import type { PutConnection, Target } from './target.ts';

export async function openConnection(target: Target, url: string): Promise<PutConnection> {
  return target === 'raft' ? RaftConnection.open(url) : new EtcdConnection(url);
}
