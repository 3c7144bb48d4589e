// `npm run web` as a child process for browser tests: started on a free port with a cluster in a
// temporary folder, its URL read from what it prints, and stopped (SIGTERM, then SIGKILL) with
// every raft-node process it hosted checked gone.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { readClusterFile } from '../../src/main/hosting/cluster-file.ts';
import { isAlive } from '../../src/main/hosting/node-process.ts';

const ROOT = join(import.meta.dirname, '../..');
const START_TIMEOUT_MS = 45_000;
const STOP_TIMEOUT_MS = 15_000;

export interface WebMode {
  url: string;
  /** The cluster's folder. */
  dir: string;
  /** The raft-node processes it hosts. */
  pids: number[];
  output(): string;
  /** SIGTERM and wait for the exit; SIGKILL it and its members if that takes too long. */
  stop(): Promise<void>;
}

export async function startWebMode(dir: string): Promise<WebMode> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/web.ts', '--port', '0', '--dir', dir], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  let pids: number[] = [];
  const stop = async (): Promise<void> => {
    await stopChild(child, exited);
    const file = await readClusterFile(dir).catch(() => undefined);
    pids = [...new Set([...pids, ...(file?.members.flatMap((m) => (m.pid === null ? [] : [m.pid])) ?? [])])];
    for (const pid of pids) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  };

  try {
    const url = await waitForUrl(() => output, exited);
    const file = await readClusterFile(dir);
    pids = file.members.flatMap((m) => (m.pid === null ? [] : [m.pid]));
    return { url, dir, get pids() { return pids; }, output: () => output, stop };
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}\n--- web mode said:\n${output}`);
  }
}

async function waitForUrl(output: () => string, exited: Promise<void>): Promise<string> {
  let gone = false;
  void exited.then(() => (gone = true));
  const deadline = performance.now() + START_TIMEOUT_MS;
  for (;;) {
    const url = /Raft Manager web mode: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(output())?.[1];
    if (url) return url;
    if (gone) throw new Error('web mode exited before printing its URL');
    if (performance.now() > deadline) throw new Error(`web mode printed no URL within ${START_TIMEOUT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), STOP_TIMEOUT_MS).unref());
  if ((await Promise.race([exited, timeout])) === 'timeout') {
    child.kill('SIGKILL');
    await exited;
  }
}
