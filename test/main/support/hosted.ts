// Real raft-node clusters for tests: hosted in a temporary folder, always torn down, processes
// checked gone.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RequestError } from '../../../src/main/connection/request-error.ts';
import { LocalCluster, type CreateClusterOptions } from '../../../src/main/hosting/local-cluster.ts';
import { isAlive } from '../../../src/main/hosting/node-process.ts';

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `${prefix}-`));
}

/**
 * Election timeouts well above the default: the tests share two cores with other work, and a
 * starved leader should not lose its term in the middle of an assertion.
 */
export const PATIENT_NODE_ARGS = ['--election-timeout', '400-800', '--heartbeat', '50'];

export async function hostCluster(options: Partial<CreateClusterOptions> = {}): Promise<{ cluster: LocalCluster; dir: string }> {
  const dir = await tempDir('hosted');
  const cluster = await LocalCluster.create({ dir: join(dir, 'cluster'), ...options });
  return { cluster, dir };
}

/** Stops the cluster, SIGKILLs any pid still alive, removes the folder. For finally blocks. */
export async function tearDown(cluster: LocalCluster | undefined, dir: string | undefined, extraPids: number[] = []): Promise<void> {
  const pids = [...extraPids, ...(cluster?.members().map((m) => m.pid) ?? [])].filter((pid): pid is number => pid !== null);
  await cluster?.stop().catch(() => {});
  for (const pid of pids) if (isRunning(pid)) process.kill(pid, 'SIGKILL');
  if (dir) await rm(dir, { recursive: true, force: true });
}

/** Running, and not a zombie waiting to be reaped. */
export function isRunning(pid: number): boolean {
  return isAlive(pid);
}

/** Polls `check` every 20 ms until it holds; fails after `timeoutMs` naming `what`. */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Calls `request` until it succeeds, retrying (across an election, say) only failures that say it
 * was not applied, so a write never runs twice.
 */
export async function retryNotApplied<T>(request: () => Promise<T>, timeoutMs = 10_000): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      return await request();
    } catch (error) {
      if (!(error instanceof RequestError && error.definitelyNotApplied) || performance.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
