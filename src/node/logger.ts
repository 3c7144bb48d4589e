// The node's log: one JSON object per line on stderr, each naming the member. Writes are
// synchronous so the last lines before a crash or exit are not lost.
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(id: string): Logger {
  return pino({ base: { node: id, pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime }, pino.destination({ fd: 2, sync: true }));
}
