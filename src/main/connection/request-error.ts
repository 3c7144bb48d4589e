// The one error every admin or key-value request fails with: a SPEC error code from the node, or
// one of two codes for what happened on the way there, and whether the request may have been applied.
import { isDefinitelyNotApplied, type ErrorBody, type ErrorCode } from '../../shared/protocol/errors.ts';

/**
 * SPEC codes, plus:
 * - `UNAVAILABLE`: the request was never sent (no connection could be made); not applied.
 * - `CONNECTION_LOST`: the connection closed after the request was sent; the outcome is unknown.
 * - `BAD_ANSWER`: the node answered with a frame that is not valid; the outcome is unknown.
 * A request that got no answer in time fails with `TIMEOUT`, as the SPEC's own timeout: unknown.
 */
export type RequestErrorCode = ErrorCode | 'UNAVAILABLE' | 'CONNECTION_LOST' | 'BAD_ANSWER';

export class RequestError extends Error {
  override readonly name = 'RequestError';

  constructor(
    readonly code: RequestErrorCode,
    message: string,
    /** The member URL the request went to (or would have). */
    readonly url: string,
    readonly leader: { leaderId?: string; leaderUrl?: string } = {},
  ) {
    super(message);
  }

  /** From a node's failure frame. */
  static fromNode(body: ErrorBody, url: string): RequestError {
    return new RequestError(body.code, `${body.code}: ${body.message}`, url, { leaderId: body.leaderId, leaderUrl: body.leaderUrl });
  }

  /** True when the request certainly had no effect; false when it may have been applied. */
  get definitelyNotApplied(): boolean {
    switch (this.code) {
      case 'UNAVAILABLE':
        return true;
      case 'CONNECTION_LOST':
      case 'BAD_ANSWER':
        return false;
      default:
        return isDefinitelyNotApplied(this.code);
    }
  }
}
