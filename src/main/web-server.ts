// Web mode: the built renderer and the API it calls, served to a browser on this machine. Bound to
// 127.0.0.1 only. Every request must name this server as its Host (so that a DNS-rebound name
// cannot read the page), and the API socket (WebSocket `/api`) must come from this server's own
// origin and then present the per-run session token, which only the page it served carries.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { join, resolve } from 'node:path';
import { WebSocketServer } from 'ws';
import { MAX_WEB_API_FRAME_BYTES, SESSION_META_NAME, WEB_API_PATH } from '../shared/web-api-protocol.ts';
import type { ApiHandlers } from './api-handlers.ts';
import { CONTENT_SECURITY_POLICY } from './content-security-policy.ts';
import { LOOPBACK } from './hosting/free-port.ts';
import { contentType, fileUnder, requestPath } from './static-files.ts';
import { serveApiSocket } from './web-api-socket.ts';

export interface WebServerOptions {
  /** The built renderer: out/renderer. */
  rendererDir: string;
  handlers: ApiHandlers;
  /** 0 (the default): any free port. */
  port?: number;
}

export interface WebServer {
  /** http://127.0.0.1:PORT/ */
  url: string;
  close(): Promise<void>;
}

const SECURITY_HEADERS = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

export async function startWebServer(options: WebServerOptions): Promise<WebServer> {
  const root = resolve(options.rendererDir);
  const token = randomBytes(32).toString('base64url');
  const page = withSessionToken(await readIndexHtml(root), token);
  let host = '';

  const server = createServer((request, response) => {
    void serveFile(root, page, host, request, response);
  });
  const apiSockets = new WebSocketServer({ noServer: true, maxPayload: MAX_WEB_API_FRAME_BYTES });
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const refused = upgradeRefusal(request, host);
    if (refused) {
      socket.end(`HTTP/1.1 ${refused}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    apiSockets.handleUpgrade(request, socket, head, (ws) => serveApiSocket(ws, token, options.handlers));
  });

  await listen(server, options.port ?? 0);
  host = `${LOOPBACK}:${(server.address() as AddressInfo).port}`;
  return {
    url: `http://${host}/`,
    close: async () => {
      for (const client of apiSockets.clients) client.terminate();
      apiSockets.close();
      await new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      });
    },
  };
}

async function readIndexHtml(root: string): Promise<string> {
  const file = join(root, 'index.html');
  try {
    return await readFile(file, 'utf8');
  } catch {
    throw new Error(`the built renderer is missing: ${file} does not exist; run \`npx electron-vite build\` first`);
  }
}

/** index.html with the session token in a <meta> tag, where the page's API client reads it. */
function withSessionToken(html: string, token: string): string {
  const end = html.search(/<\/head>/i);
  if (end < 0) throw new Error('the built renderer index.html has no </head>');
  return `${html.slice(0, end)}  <meta name="${SESSION_META_NAME}" content="${token}" />\n  ${html.slice(end)}`;
}

async function serveFile(root: string, page: string, host: string, request: IncomingMessage, response: ServerResponse): Promise<void> {
  if (request.headers.host !== host) return plain(response, 421, `this server answers only as http://${host}/`);
  if (request.method !== 'GET' && request.method !== 'HEAD') return plain(response, 405, 'only GET and HEAD');
  const pathname = requestPath(request.url ?? '/');
  if (pathname === '/' || pathname === '/index.html') {
    response.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': contentType('index.html'), 'Cache-Control': 'no-store' });
    response.end(request.method === 'HEAD' ? undefined : page);
    return;
  }
  const file = fileUnder(root, pathname);
  if (file === null) return plain(response, 404, 'not found');
  let body: Buffer;
  try {
    body = await readFile(file);
  } catch {
    return plain(response, 404, 'not found');
  }
  response.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': contentType(file) });
  response.end(request.method === 'HEAD' ? undefined : body);
}

/** Why an upgrade is refused, as a status line; null when it may proceed. */
function upgradeRefusal(request: IncomingMessage, host: string): string | null {
  if (requestPath(request.url ?? '') !== WEB_API_PATH) return '404 Not Found';
  if (request.headers.host !== host) return '421 Misdirected Request';
  if (request.headers.origin !== `http://${host}`) return '403 Forbidden';
  return null;
}

function plain(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' });
  response.end(text);
}

function listen(server: ReturnType<typeof createServer>, port: number): Promise<void> {
  return new Promise((done, fail) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      fail(error.code === 'EADDRINUSE' ? new Error(`port ${port} on ${LOOPBACK} is in use; choose another with --port`) : error),
    );
    server.listen(port, LOOPBACK, () => done());
  });
}
