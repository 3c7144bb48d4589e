// Web mode's API socket (WebSocket `/api`, same origin as the page): the RaftManagerApi as JSON
// text frames. The page first sends the session token the server put into index.html; only then
// are calls and subscriptions served. Calls carry a page-chosen id that the result carries back.
import type { ApiCallMethod, ClusterUpdate } from './api.ts';

export const WEB_API_PATH = '/api';
/** The <meta name=...> in the served index.html whose content is the session token. */
export const SESSION_META_NAME = 'raft-manager-session';
/** Close codes: the token was missing or wrong; the page sent something it must not. */
export const CLOSE_UNAUTHORIZED = 4401;
export const CLOSE_BAD_FRAME = 4400;
/** The page read pushed updates too slowly; it may reconnect and start over. */
export const CLOSE_TOO_SLOW = 4408;
/** Inbound frames are small requests; anything bigger is refused. */
export const MAX_WEB_API_FRAME_BYTES = 64 * 1024;

/** What the page sends. */
export type PageFrame =
  | { type: 'hello'; token: string }
  | { type: 'call'; id: number; method: ApiCallMethod; args: unknown[] }
  | { type: 'subscribe' }
  | { type: 'unsubscribe' };

/** What the server sends. */
export type ServerFrame =
  | { type: 'welcome' }
  | { type: 'result'; id: number; ok: true; value: unknown }
  | { type: 'result'; id: number; ok: false; error: string }
  | { type: 'update'; update: ClusterUpdate };
