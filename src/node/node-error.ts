// A request failure with a protocol error code (SPEC), raised anywhere in the node and turned
// into a failure frame by the client and admin sessions.
import type { ErrorCode } from '../shared/protocol/errors.ts';

export class NodeError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly leaderId?: string,
    readonly leaderUrl?: string,
  ) {
    super(message);
    this.name = 'NodeError';
  }
}
