// Web mode's server, with a stand-in for the app service: what it serves, whom it refuses, and the
// API socket's protocol (session token first, calls by id, argument checks, pushed updates).
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { createApiHandlers, type ApiService } from '../../src/main/api-handlers.ts';
import { CONTENT_SECURITY_POLICY } from '../../src/main/content-security-policy.ts';
import { startWebServer, type WebServer } from '../../src/main/web-server.ts';
import { refusingService } from './support/refusing-service.ts';
import type { ClusterUpdate } from '../../src/shared/api.ts';
import { CLOSE_BAD_FRAME, CLOSE_UNAUTHORIZED, SESSION_META_NAME } from '../../src/shared/web-api-protocol.ts';

const INDEX_HTML = '<!doctype html><html><head><title>t</title></head><body><script src="./app.js"></script></body></html>';

function update(full: boolean): ClusterUpdate {
  return { full, at: 1, cluster: { name: 'local', source: { kind: 'hosted', dir: '/d' } }, leaderId: 'n1', term: 2, commitRate: 0, members: [], lag: {}, elections: [], log: [], operation: null };
}


/** Records what the handlers were asked; subscribe pushes a full update, then a delta. */
function fakeService(): ApiService & { kills: string[]; subscribers: number } {
  // The operations' handlers are tested in api-handlers.test.ts.
  const fake = Object.assign(refusingService(), {
    kills: [] as string[],
    subscribers: 0,
    clusterSnapshot: async () => update(true),
    killMember: async (id: string) => {
      fake.kills.push(id);
    },
    restartMember: async (id: string) => {
      throw new Error(`no member "${id}"`);
    },
    subscribe: (onUpdate: (u: ClusterUpdate) => void) => {
      fake.subscribers++;
      const timer = setTimeout(() => {
        onUpdate(update(true));
        onUpdate(update(false));
      }, 10);
      return () => {
        clearTimeout(timer);
        fake.subscribers--;
      };
    },
  });
  return fake;
}

/** GET `path` exactly as given (fetch would normalize it), with `headers`; resolves with the status. */
function rawGet(origin: string, path: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(origin + path, { headers }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.path = path;
    req.on('error', reject);
    req.end();
  });
}

/** A socket to the server's API, and its frames as they arrive. */
interface Session {
  ws: WebSocket;
  frames: unknown[];
  next(): Promise<unknown>;
  closed: Promise<{ code: number; reason: string }>;
  send(frame: unknown): void;
}

function openSession(url: string, headers: Record<string, string>): Promise<Session> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    const frames: unknown[] = [];
    const waiting: ((frame: unknown) => void)[] = [];
    ws.on('message', (data) => {
      const frame: unknown = JSON.parse(String(data));
      const waiter = waiting.shift();
      if (waiter) waiter(frame);
      else frames.push(frame);
    });
    const closed = new Promise<{ code: number; reason: string }>((done) => ws.on('close', (code, reason) => done({ code, reason: String(reason) })));
    ws.on('open', () =>
      resolve({
        ws,
        frames,
        closed,
        next: () => (frames.length > 0 ? Promise.resolve(frames.shift()) : new Promise((done) => waiting.push(done))),
        send: (frame) => ws.send(JSON.stringify(frame)),
      }),
    );
    ws.on('unexpected-response', (_request, response) => reject(new Error(`HTTP ${response.statusCode}`)));
    ws.on('error', reject);
  });
}

describe('web-mode server', () => {
  let dir: string | undefined;
  let server: WebServer | undefined;
  let service: ReturnType<typeof fakeService>;
  let token = '';
  let apiUrl = '';
  let origin = '';

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'web-server-'));
    const rendererDir = join(dir, 'renderer');
    await mkdir(rendererDir);
    await writeFile(join(rendererDir, 'index.html'), INDEX_HTML);
    await writeFile(join(rendererDir, 'app.js'), 'console.log(1);\n');
    await writeFile(join(dir, 'secret.txt'), 'not for the page');
    service = fakeService();
    const appVersion = () => ({ app: '1.2.3', electron: null, node: process.versions.node, chrome: null });
    server = await startWebServer({ rendererDir, handlers: createApiHandlers(service, appVersion) });
    origin = server.url.slice(0, -1);
    apiUrl = `${origin.replace('http:', 'ws:')}/api`;
    const page = await (await fetch(server.url)).text();
    token = new RegExp(`<meta name="${SESSION_META_NAME}" content="([^"]+)"`).exec(page)?.[1] ?? '';
  });

  after(async () => {
    await server?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('serves on 127.0.0.1 the page with a session token and the CSP, and only files of the renderer', async () => {
    assert.match(server?.url ?? '', /^http:\/\/127\.0\.0\.1:\d+\/$/);
    assert.match(token, /^[A-Za-z0-9_-]{43}$/);
    const page = await fetch(`${origin}/index.html`);
    assert.equal(page.status, 200);
    assert.equal(page.headers.get('content-security-policy'), CONTENT_SECURITY_POLICY);
    assert.equal(page.headers.get('cache-control'), 'no-store');
    assert.equal(page.headers.get('x-frame-options'), 'DENY');
    const script = await fetch(`${origin}/app.js`);
    assert.equal(script.status, 200);
    assert.equal(script.headers.get('content-type'), 'text/javascript; charset=utf-8');
    for (const path of ['/../secret.txt', '/..%2fsecret.txt', '/%2e%2e%2fsecret.txt', '/missing.js', '/%E0%A4%A']) {
      assert.equal(await rawGet(origin, path), 404, path);
    }
    assert.equal((await fetch(server?.url ?? '', { method: 'POST' })).status, 405);
  });

  it('refuses requests that name another host (a DNS-rebound name)', async () => {
    assert.equal(await rawGet(origin, '/', { Host: `rebound.example:${new URL(origin).port}` }), 421);
    assert.equal(await rawGet(origin, '/', { Host: `localhost:${new URL(origin).port}` }), 421);
  });

  it('refuses API sockets from another origin, or with none', async () => {
    await assert.rejects(openSession(apiUrl, { Origin: 'http://evil.example' }), /HTTP 403/);
    await assert.rejects(openSession(apiUrl, { Origin: 'http://localhost:1' }), /HTTP 403/);
    await assert.rejects(openSession(apiUrl, {}), /HTTP 403/);
    await assert.rejects(openSession(`${origin.replace('http:', 'ws:')}/other`, { Origin: origin }), /HTTP 404/);
  });

  it('closes a socket whose first frame is not the right session token', async () => {
    const noHello = await openSession(apiUrl, { Origin: origin });
    noHello.send({ type: 'call', id: 1, method: 'clusterSnapshot', args: [] });
    assert.deepEqual(await noHello.closed, { code: CLOSE_UNAUTHORIZED, reason: 'send the session token first' });

    const wrong = await openSession(apiUrl, { Origin: origin });
    wrong.send({ type: 'hello', token: `${token.slice(0, -1)}x` });
    assert.deepEqual(await wrong.closed, { code: CLOSE_UNAUTHORIZED, reason: 'wrong session token' });

    const garbage = await openSession(apiUrl, { Origin: origin });
    garbage.ws.send('not json');
    assert.deepEqual(await garbage.closed, { code: CLOSE_BAD_FRAME, reason: 'malformed frame' });
  });

  it('answers calls by id, checks their arguments, and pushes updates while subscribed', async () => {
    const session = await openSession(apiUrl, { Origin: origin });
    try {
      session.send({ type: 'hello', token });
      assert.deepEqual(await session.next(), { type: 'welcome' });

      session.send({ type: 'call', id: 7, method: 'appVersion', args: [] });
      assert.deepEqual(await session.next(), { type: 'result', id: 7, ok: true, value: { app: '1.2.3', electron: null, node: process.versions.node, chrome: null } });
      session.send({ type: 'call', id: 8, method: 'killMember', args: ['n2'] });
      assert.deepEqual(await session.next(), { type: 'result', id: 8, ok: true });
      assert.deepEqual(service.kills, ['n2']);
      session.send({ type: 'call', id: 9, method: 'killMember', args: ['../n2'] });
      const badId = (await session.next()) as { ok: boolean; error: string };
      assert.equal(badId.ok, false);
      assert.match(badId.error, /^killMember: argument 1 must be a member id/);
      session.send({ type: 'call', id: 10, method: 'restartMember', args: ['n9'] });
      assert.deepEqual(await session.next(), { type: 'result', id: 10, ok: false, error: 'no member "n9"' });
      session.send({ type: 'call', id: 11, method: 'constructor', args: [] });
      assert.deepEqual(await session.next(), { type: 'result', id: 11, ok: false, error: 'no API method "constructor"' });
      session.send({ type: 'call', id: 12, method: 'clusterSnapshot', args: ['extra'] });
      assert.equal(((await session.next()) as { ok: boolean }).ok, false);

      session.send({ type: 'subscribe' });
      assert.deepEqual(await session.next(), { type: 'update', update: update(true) });
      assert.deepEqual(await session.next(), { type: 'update', update: update(false) });
      assert.equal(service.subscribers, 1);
      session.send({ type: 'unsubscribe' });
      // The unsubscribe is handled before the answer to a later call.
      session.send({ type: 'call', id: 13, method: 'appVersion', args: [] });
      await session.next();
      assert.equal(service.subscribers, 0);

      session.send({ type: 'subscribe' });
      await session.next();
    } finally {
      session.ws.close();
      await session.closed;
    }
    // Closing the socket ends its subscription.
    assert.equal(service.subscribers, 0);
  });

  it('says clearly when the built renderer is missing', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'web-server-empty-'));
    try {
      await assert.rejects(
        startWebServer({ rendererDir: empty, handlers: createApiHandlers(fakeService(), () => ({ app: '', electron: null, node: '', chrome: null })) }),
        /the built renderer is missing: .*index\.html does not exist; run `npx electron-vite build` first/,
      );
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});
