// What a /client request is answered (SPEC), as the tests read it.
export interface ClientAnswer {
  id?: number;
  ok: boolean;
  value?: string | null;
  index?: number;
  prev?: string | null;
  swapped?: boolean;
  error?: { code: string; message: string; leaderId?: string; leaderUrl?: string };
}

/** The protocol's codes for "definitely not applied" (SPEC); every other failure is unknown. */
export const NOT_APPLIED_CODES = new Set(['NOT_LEADER', 'NO_LEADER', 'BAD_REQUEST', 'TOO_LARGE', 'OVERLOADED', 'UNAUTHORIZED']);
