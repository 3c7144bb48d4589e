// On a failed test, the node logs are the evidence: keep them in files and name the folder in
// the error, before the cluster's close() removes everything.
import type { TestCluster } from './cluster.ts';

export async function withNodeLogs<T>(cluster: TestCluster | undefined, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (error) {
    if (cluster && error instanceof Error) error.message += `\nnode logs: ${await cluster.saveLogs()}`;
    throw error;
  }
}
