// The last lines of a node's log: what goes into an error when the node would not start.
import { open } from 'node:fs/promises';

const TAIL_BYTES = 4096;
const MAX_LINE_CHARS = 240;

/** Up to `lines` last non-empty lines of `file`, each cut short if long; empty when it cannot be read. */
export async function logTail(file: string, lines = 2): Promise<string[]> {
  try {
    const handle = await open(file, 'r');
    try {
      const { size } = await handle.stat();
      const length = Math.min(size, TAIL_BYTES);
      const buffer = Buffer.alloc(length);
      await handle.read(buffer, 0, length, size - length);
      return buffer
        .toString('utf8')
        .split('\n')
        .map((line) => line.trim())
        .filter((line) => line !== '')
        .slice(-lines)
        .map((line) => (line.length > MAX_LINE_CHARS ? `${line.slice(0, MAX_LINE_CHARS)}...` : line));
    } finally {
      await handle.close();
    }
  } catch {
    return [];
  }
}
