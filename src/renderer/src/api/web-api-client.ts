// The RaftManagerApi in web mode: the same interface as the desktop app's window.raftManager, over
// the API socket of the server that served this page. The socket opens on first use and sends the
// page's session token first. While anything is subscribed, a lost socket is reopened (with
// backoff) and the subscription renewed; calls in flight when it is lost fail.
import { apiCalls, type ApiCallMethod, type ApiResult, type ClusterUpdate, type RaftManagerApi } from '@shared/api.ts';
import {
  CLOSE_UNAUTHORIZED,
  SESSION_META_NAME,
  WEB_API_PATH,
  type PageFrame,
  type ServerFrame,
} from '@shared/web-api-protocol.ts';

export type WebApiConnection = 'connected' | 'lost' | 'refused';

export interface WebApiClientOptions {
  /** ws://HOST/api of the server that served the page. */
  url: string;
  token: string;
  /** The socket came up, was lost (and is being reopened), or was refused for good. */
  onConnection?: (state: WebApiConnection, problem: string | null) => void;
}

const CALL_TIMEOUT_MS = 30_000;
/**
 * Calls that may rightly take longer: the server bounds each of their steps itself (a drill of 10
 * rounds, each fault held up to a minute plus the failover, catch-up and convergence waits).
 * The hosted cluster's figures come from src/main/hosting/local-cluster.ts: a member's health wait
 * (20 s), SIGTERM's grace period (5 s), the wait after SIGKILL (5 s), 3 tries with new ports.
 */
const LONG_CALL_TIMEOUT_MS: Partial<Record<ApiCallMethod, number>> = {
  // The first call waits while the local cluster starts. Created: each of 3 tries starts the members
  // together (health wait, then SIGKILL and its wait for one that failed) and stops them cleanly
  // (grace period, SIGKILL wait) before the next: 3 × (20 + 5 + 5 + 5) s = 105 s at worst.
  clusterSnapshot: 3 * 60_000,
  // Up to 10 s for a member to answer, then the hosted members' clean stop (a grace period each).
  connectRemote: 60_000,
  // Starting the local members (each may take its health timeout), after a start under way.
  hostLocal: 2 * 60_000,
  // A clean stop (grace period + SIGKILL wait: 10 s), then a start (health wait + SIGKILL wait: 25 s).
  restartMember: 60_000,
  addMember: 5 * 60_000,
  removeMember: 2 * 60_000,
  healAll: 2 * 60_000,
  runDrill: 30 * 60_000,
};
const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 10_000;

interface PendingCall {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

/** The session token the web-mode server put into this page; null when another server served it. */
export function pageSessionToken(): string | null {
  const meta = document.querySelector<HTMLMetaElement>(`meta[name="${SESSION_META_NAME}"]`);
  return meta?.content || null;
}

/** The API socket's URL on the server that served this page. */
export function pageApiUrl(): string {
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}${WEB_API_PATH}`;
}

export function createWebApiClient(options: WebApiClientOptions): RaftManagerApi {
  const pending = new Map<number, PendingCall>();
  const listeners = new Set<(update: ClusterUpdate) => void>();
  let nextId = 1;
  let socket: WebSocket | null = null;
  let opening: Promise<WebSocket> | null = null;
  let refusedBecause: string | null = null;
  let retryDelay = RETRY_MIN_MS;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;

  const send = (ws: WebSocket, frame: PageFrame): void => ws.send(JSON.stringify(frame));

  function open(): Promise<WebSocket> {
    if (refusedBecause !== null) return Promise.reject(new Error(refusedBecause));
    if (socket) return Promise.resolve(socket);
    opening ??= new Promise<WebSocket>((resolve, reject) => {
      const ws = new WebSocket(options.url);
      ws.onopen = () => send(ws, { type: 'hello', token: options.token });
      ws.onmessage = (event: MessageEvent) => {
        const frame = parseFrame(event.data);
        if (frame === null) return;
        if (frame.type === 'welcome') {
          socket = ws;
          opening = null;
          retryDelay = RETRY_MIN_MS;
          if (listeners.size > 0) send(ws, { type: 'subscribe' });
          options.onConnection?.('connected', null);
          resolve(ws);
        } else if (frame.type === 'result') {
          settle(frame);
        } else {
          for (const listener of listeners) listener(frame.update);
        }
      };
      ws.onclose = (event: CloseEvent) => {
        const wasOpen = socket === ws;
        socket = null;
        opening = null;
        const problem = closeProblem(event, wasOpen);
        if (event.code === CLOSE_UNAUTHORIZED) refusedBecause = problem;
        if (!wasOpen) reject(new Error(problem));
        failPending(problem);
        if (refusedBecause !== null) options.onConnection?.('refused', problem);
        else if (listeners.size > 0) {
          options.onConnection?.('lost', problem);
          retryLater();
        }
      };
    });
    return opening;
  }

  function retryLater(): void {
    clearTimeout(retryTimer);
    retryTimer = setTimeout(() => {
      if (listeners.size > 0) open().catch(() => {}); // its close schedules the next try
    }, retryDelay);
    retryDelay = Math.min(retryDelay * 2, RETRY_MAX_MS);
  }

  function settle(frame: Extract<ServerFrame, { type: 'result' }>): void {
    const call = pending.get(frame.id);
    if (!call) return;
    pending.delete(frame.id);
    clearTimeout(call.timer);
    if (frame.ok) call.resolve(frame.value);
    else call.reject(new Error(frame.error));
  }

  function failPending(problem: string): void {
    for (const call of pending.values()) {
      clearTimeout(call.timer);
      call.reject(new Error(problem));
    }
    pending.clear();
  }

  async function call<M extends ApiCallMethod>(method: M, ...args: unknown[]): Promise<ApiResult<M>> {
    const ws = await open();
    const id = nextId++;
    const timeoutMs = LONG_CALL_TIMEOUT_MS[method] ?? CALL_TIMEOUT_MS;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`${method} got no answer from the web-mode server in ${timeoutMs / 1000} s`));
      }, timeoutMs);
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject, timer });
      send(ws, { type: 'call', id, method, args });
    });
  }

  return {
    ...apiCalls(call),
    subscribe(onUpdate) {
      const listener = (update: ClusterUpdate): void => onUpdate(update);
      listeners.add(listener);
      if (socket) send(socket, { type: 'subscribe' });
      else open().catch(() => {}); // subscribes once welcomed; a failure retries from its close
      return () => {
        if (!listeners.delete(listener) || listeners.size > 0) return;
        clearTimeout(retryTimer);
        if (socket) send(socket, { type: 'unsubscribe' });
      };
    },
  };
}

function closeProblem(event: CloseEvent, wasOpen: boolean): string {
  if (event.code === CLOSE_UNAUTHORIZED) {
    return `the web-mode server refused this page (${event.reason || 'unauthorized'}); reload it, or open the URL \`npm run web\` printed`;
  }
  const detail = event.reason ? `: ${event.reason}` : '';
  return wasOpen ? `lost the connection to the web-mode server${detail}` : `cannot reach the web-mode server${detail}`;
}

function parseFrame(data: unknown): ServerFrame | null {
  if (typeof data !== 'string') return null;
  try {
    const frame = JSON.parse(data) as ServerFrame;
    return typeof frame === 'object' && frame !== null && ['welcome', 'result', 'update'].includes(frame.type) ? frame : null;
  } catch {
    return null;
  }
}
