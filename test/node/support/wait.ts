// Bounded waiting for tests: poll until something holds, or fail saying what did not happen.
import { sleep } from './node-process.ts';

/**
 * Calls `probe` every `intervalMs` until it returns something other than undefined, and returns
 * that. Fails after `timeoutMs` with `what` and the last error the probe threw.
 */
export async function waitUntil<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined> | T | undefined, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = (error as Error).message;
    }
    if (Date.now() >= deadline) throw new Error(`waited ${timeoutMs} ms for ${what}${lastError ? ` (last error: ${lastError})` : ''}`);
    await sleep(intervalMs);
  }
}

/** A prefix for keys that no earlier run wrote: histories and read-backs start from absent keys. */
export function freshPrefix(name: string): string {
  return `${name}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}
