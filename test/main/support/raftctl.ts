// Runs the real `node bin/raftctl.mjs` as a child process: bounded in time, killed on teardown.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const RAFTCTL = fileURLToPath(new URL('../../../bin/raftctl.mjs', import.meta.url));

export interface RaftctlRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

const running = new Set<ChildProcess>();

/** Starts raftctl with `args`; the caller reads its streams and must wait for it or kill it. */
export function startRaftctl(args: readonly string[]): ChildProcess {
  const child = spawn(process.execPath, [RAFTCTL, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

/** Runs raftctl to its end; SIGKILLs it (and fails) after `timeoutMs`. */
export function raftctl(args: readonly string[], timeoutMs = 60_000): Promise<RaftctlRun> {
  const child = startRaftctl(args);
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`raftctl ${args.join(' ')} still running after ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Kills every raftctl still running (for after()). */
export function killRaftctls(): void {
  for (const child of running) child.kill('SIGKILL');
}

/** Exit 0; what it printed on stderr is shown when it did not. */
export function assertSucceeded(run: RaftctlRun): void {
  assert.equal(run.code, 0, `expected exit 0, got ${run.code}; stderr: ${run.stderr}`);
}

/** The non-zero exit `code` with exactly one line on stderr, which matches `pattern`. */
export function assertFailedWith(run: RaftctlRun, code: number, pattern: RegExp): void {
  const lines = run.stderr.split('\n').filter((line) => line !== '');
  assert.equal(run.code, code, `expected exit ${code}, got ${run.code}; stderr: ${run.stderr}`);
  assert.equal(lines.length, 1, `expected one line on stderr, got: ${run.stderr}`);
  assert.match(lines[0], /^raftctl[ :]/);
  assert.match(lines[0], pattern);
  assert.doesNotMatch(run.stderr, /^\s+at /m, 'no stack trace');
}

export function parseJson<T>(run: RaftctlRun): T {
  try {
    return JSON.parse(run.stdout) as T;
  } catch (error) {
    throw new Error(`stdout is not JSON (${(error as Error).message}): ${run.stdout}`);
  }
}
