// A stand-in for a raft-node's /admin and /client endpoints, for testing clients against answers a
// real node gives only rarely: redirects, silence, lost connections. Binds 127.0.0.1 on a free port.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

export type Handler = (request: Record<string, unknown>, ws: WebSocket) => void;

export class FakeNode {
  readonly requests: Record<string, unknown>[] = [];
  readonly sockets = new Set<WebSocket>();

  private constructor(
    private readonly server: Server,
    private readonly wss: WebSocketServer,
    readonly url: string,
  ) {}

  /** `handler` sees every JSON request; `token` makes the upgrade need it; `port` reuses one. */
  static async start(handler: Handler, options: { token?: string; port?: number } = {}): Promise<FakeNode> {
    const server = createServer();
    const wss = new WebSocketServer({ noServer: true });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, '127.0.0.1', resolve);
    });
    const node = new FakeNode(server, wss, `ws://127.0.0.1:${(server.address() as AddressInfo).port}`);
    server.on('upgrade', (req, socket, head) => {
      if (options.token !== undefined && req.headers.authorization !== `Bearer ${options.token}`) {
        socket.end('HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => {
        node.sockets.add(ws);
        ws.on('close', () => node.sockets.delete(ws));
        ws.on('message', (data) => {
          const request = JSON.parse(data.toString()) as Record<string, unknown>;
          node.requests.push(request);
          handler(request, ws);
        });
      });
    });
    return node;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** Drops every connection and stops listening. */
  async close(): Promise<void> {
    for (const ws of this.sockets) ws.terminate();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}

export function reply(ws: WebSocket, frame: object): void {
  ws.send(JSON.stringify(frame));
}

/** A NodeStatus with plausible values; `overrides` replaces fields. */
export function fakeStatus(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'n1',
    cluster: 'default',
    version: '0.1.0',
    pid: 1,
    uptimeMs: 1,
    role: 'follower',
    term: 1,
    votedFor: null,
    leaderId: null,
    commitIndex: 0,
    appliedIndex: 0,
    firstIndex: 1,
    lastIndex: 0,
    snapshot: { index: 0, term: 0, bytes: 0 },
    wal: { bytes: 0, segments: 1 },
    config: { voters: ['n1'], learners: [] },
    members: [],
    faults: { dropTo: [], dropFrom: [], delayMs: 0, jitterMs: 0, lossRate: 0, duplicateRate: 0 },
    ...overrides,
  };
}
