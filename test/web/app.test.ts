// Web mode end to end: `scripts/web.ts` hosts a real 3-node cluster and serves the built renderer
// (out/renderer, from `npx electron-vite build`); Chromium shows it live while a write load runs.
// Also: the API socket refuses pages that lack the session token or come from another origin.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import WebSocket from 'ws';
import { KvClient } from '../../src/main/connection/kv-client.ts';
import { readTokenFile } from '../../src/main/connection/endpoint.ts';
import { readClusterFile } from '../../src/main/hosting/cluster-file.ts';
import { logTail } from '../../src/main/hosting/log-tail.ts';
import { isAlive } from '../../src/main/hosting/node-process.ts';
import { SESSION_META_NAME } from '../../src/shared/web-api-protocol.ts';
import { launchChromium, type Chromium } from './chromium.ts';
import { assertNoProblems, recordCspViolations, watchForProblems } from './page-problems.ts';
import { serveDirectory, type StaticServer } from './static-server.ts';
import { startWebMode, type WebMode } from './web-mode.ts';

const ROOT = join(import.meta.dirname, '../..');
const RENDERER_INDEX = join(ROOT, 'out/renderer/index.html');
const LOAD_MS = 10_000;
const MAX_LOAD_MS = 30_000;
const WRITERS = 6;

async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function roles(page: Page): Promise<string[]> {
  return page.locator('[data-testid^="node-card-"]').evaluateAll((cards) => cards.map((card) => card.getAttribute('data-role') ?? ''));
}

async function chartPoints(page: Page, testid: string): Promise<number> {
  return Number(await page.getByTestId(testid).getAttribute('data-points'));
}

/** Pixels each chart canvas has drawn (not fully transparent). */
async function drawnPixels(page: Page): Promise<Record<string, number>> {
  return (await page.evaluate(`(() => {
    const result = {};
    for (const figure of document.querySelectorAll('[data-testid^="chart-"]')) {
      const canvas = figure.querySelector('canvas');
      if (!canvas) continue;
      const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      let drawn = 0;
      for (let i = 3; i < pixels.length; i += 4) if (pixels[i] !== 0) drawn++;
      result[figure.getAttribute('data-testid')] = drawn;
    }
    return result;
  })()`)) as Record<string, number>;
}

interface WriteLoad {
  /** Writes acknowledged so far. */
  acknowledged(): number;
  /** Stops the writers; resolves with the writes acknowledged in all. */
  stop(): Promise<number>;
}

/** Puts from WRITERS concurrent writers until stopped (or MAX_LOAD_MS at most). */
async function startWriteLoad(dir: string): Promise<WriteLoad> {
  const file = await readClusterFile(dir);
  const kv = new KvClient(
    file.members.map((m) => m.url),
    { auth: { token: await readTokenFile(file.tokenFile) }, timeoutMs: 3_000 },
  );
  const stopAt = performance.now() + MAX_LOAD_MS;
  let stopped = false;
  let acknowledged = 0;
  const value = 'v'.repeat(200);
  const writers = Promise.all(
    Array.from({ length: WRITERS }, async (_, writer) => {
      for (let i = 0; i < 1_000_000 && !stopped && performance.now() < stopAt; i++) {
        await kv.put(`key-${writer}-${i % 200}`, value).then(
          () => acknowledged++,
          () => {}, // a failed write during the load is not what this test checks
        );
      }
    }),
  );
  return {
    acknowledged: () => acknowledged,
    stop: async () => {
      stopped = true;
      await writers;
      kv.close();
      return acknowledged;
    },
  };
}

/** What an API socket opened from `page` that first sends `firstFrame` gets: its first answer, or its close. */
async function trySocket(page: Page, apiUrl: string, firstFrame: string): Promise<string> {
  return (await page.evaluate(
    `new Promise((resolve) => {
      const ws = new WebSocket(${JSON.stringify(apiUrl)});
      const timer = setTimeout(() => resolve('no answer'), 8000);
      ws.onopen = () => ws.send(${JSON.stringify(firstFrame)});
      ws.onmessage = (event) => { clearTimeout(timer); ws.close(); resolve('answered ' + event.data); };
      ws.onclose = (event) => { clearTimeout(timer); resolve('closed ' + event.code); };
    })`,
  )) as string;
}

describe('web mode in Chromium', () => {
  let dir: string | undefined;
  let web: WebMode | undefined;
  let browser: Chromium | undefined;

  before(async () => {
    assert.ok(existsSync(RENDERER_INDEX), `${RENDERER_INDEX} is missing: run npx electron-vite build`);
    dir = await mkdtemp(join(tmpdir(), 'raft-manager-web-'));
    web = await startWebMode(join(dir, 'cluster'));
    assert.equal(web.pids.length, 3, 'web mode hosts three raft-node processes');
    browser = await launchChromium();
    await recordCspViolations(browser.context);
  });

  after(async () => {
    try {
      await browser?.close();
    } finally {
      const pids = web?.pids ?? [];
      await web?.stop();
      if (dir) await rm(dir, { recursive: true, force: true });
      assert.deepEqual(pids.filter(isAlive), [], 'raft-node processes outlived web mode');
    }
  });

  it('shows the hosted cluster live: three members, one leader, drawn charts, an event log', async () => {
    assert.ok(browser && web);
    const page = await browser.context.newPage();
    page.setDefaultTimeout(15_000);
    await page.setViewportSize({ width: 1280, height: 1000 });
    const problems = watchForProblems(page);
    try {
      await page.goto(web.url, { waitUntil: 'load' });
      await page.getByTestId('cluster-overview').waitFor({ state: 'visible' });
      const firstRoles = await waitFor('three members, exactly one leader', 20_000, async () => {
        const now = await roles(page);
        return now.length === 3 && now.filter((role) => role === 'leader').length === 1 ? now : undefined;
      });
      assert.deepEqual(firstRoles.filter((role) => role !== 'leader'), ['follower', 'follower']);
      for (const id of ['n1', 'n2', 'n3']) await page.getByTestId(`node-card-${id}`).waitFor({ state: 'visible' });

      // The screenshot is taken while the writes still flow, so that the page shows them.
      const load = await startWriteLoad(web.dir);
      try {
        await new Promise((resolve) => setTimeout(resolve, LOAD_MS));
        const acknowledged = load.acknowledged();
        assert.ok(acknowledged > 1000, `the load got ${acknowledged} writes acknowledged; it needs more than 1000 for a snapshot`);
        await waitFor('the leader card to show the writes committed', 10_000, async () => {
          const commit = Number(await page.locator('[data-role="leader"] [data-field="commit"]').innerText());
          return commit >= acknowledged ? commit : undefined;
        });
        for (const testid of ['chart-replication-lag', 'chart-election-history', 'chart-snapshot-sizes']) {
          await waitFor(`${testid} to hold points`, 10_000, async () => ((await chartPoints(page, testid)) > 0 ? true : undefined));
        }
        // Snapshots are taken every 1000 entries, so the snapshot chart has snapshot bars, not only WAL ones.
        await waitFor('a snapshot in the event log', 10_000, async () =>
          (await page.getByTestId('event-log').innerText()).includes('took a snapshot') ? true : undefined,
        );
        const pixels = await drawnPixels(page);
        assert.deepEqual(Object.keys(pixels).sort(), ['chart-election-history', 'chart-replication-lag', 'chart-snapshot-sizes']);
        for (const [chart, drawn] of Object.entries(pixels)) assert.ok(drawn > 500, `${chart} drew only ${drawn} pixels`);
        assert.match(await page.getByTestId('event-log').innerText(), /won the election for term \d+/);
        assert.match(await page.locator('.shell-label').innerText(), /^Web mode · v\d+\.\d+\.\d+ · Node \d+/);
        // The README's screenshot: `SCREENSHOT=docs/screenshot-web.png npm test` refreshes it.
        await page.screenshot({ path: process.env.SCREENSHOT ?? join(dir as string, 'screenshot.png'), fullPage: true });
      } finally {
        await load.stop();
      }
      await assertNoProblems(page, problems);
    } finally {
      await page.close();
    }
  });

  it('kills a member and starts it again, each on one click', async () => {
    assert.ok(browser && web);
    const hosting = web;
    const page = await browser.context.newPage();
    page.setDefaultTimeout(15_000);
    const problems = watchForProblems(page);
    try {
      await page.goto(web.url, { waitUntil: 'load' });
      const follower = page.locator('[data-testid^="node-card-"][data-role="follower"]').first();
      await follower.waitFor({ state: 'visible' });
      const id = ((await follower.getAttribute('data-testid')) ?? '').replace('node-card-', '');
      const card = page.getByTestId(`node-card-${id}`);

      await page.getByTestId(`btn-kill-${id}`).click();
      await waitFor(`${id} to show as unreachable`, 10_000, async () => ((await card.getAttribute('data-role')) === 'unknown' ? true : undefined));
      assert.match(await card.locator('.reachability').innerText(), /^Unreachable/);
      await page.getByTestId('event-log').getByText(`You killed ${id} (SIGKILL)`).waitFor();

      await page.getByTestId(`btn-restart-${id}`).click();
      // Back as a member of the cluster: a follower, or the leader if an election happened meanwhile.
      let lastSeen = '';
      await waitFor(`${id} to be back as a follower or leader`, 20_000, async () => {
        lastSeen = `role ${await card.getAttribute('data-role')}, ${await card.locator('.reachability').innerText()}`;
        return /^role (follower|leader),/.test(lastSeen) ? true : undefined;
      }).catch(async (error: Error) => {
        const nodeLog = await logTail(join(hosting.dir, id, 'node.log'), 12);
        assert.fail(`${error.message}; last seen: ${lastSeen}\n--- its node.log ends:\n${nodeLog.join('\n')}\n--- web mode said:\n${hosting.output().slice(-3000)}`);
      });
      await waitFor('exactly one leader', 10_000, async () => ((await roles(page)).filter((role) => role === 'leader').length === 1 ? true : undefined));
      const file = await readClusterFile(web.dir);
      const restartedPid = file.members.find((m) => m.id === id)?.pid;
      assert.ok(restartedPid, `${id} has a process again`);
      web.pids.push(restartedPid);
      assert.deepEqual(problems.consoleErrors, []);
    } finally {
      await page.close();
    }
  });

  it('refuses API sockets without the session token or from another origin', async () => {
    assert.ok(browser && web);
    const apiUrl = `${web.url.replace('http:', 'ws:')}api`;
    const page = await browser.context.newPage();
    const otherDir = join(dir as string, 'other-site');
    let otherSite: StaticServer | undefined;
    try {
      await page.goto(web.url, { waitUntil: 'load' });
      const token = await page.locator(`meta[name="${SESSION_META_NAME}"]`).getAttribute('content');
      assert.ok(token && token.length >= 32, 'the served page carries a session token');
      const call = JSON.stringify({ type: 'call', id: 1, method: 'clusterSnapshot', args: [] });
      const hello = (with_: string) => JSON.stringify({ type: 'hello', token: with_ });

      // Same origin, but no token or a wrong one.
      assert.equal(await trySocket(page, apiUrl, call), 'closed 4401');
      assert.equal(await trySocket(page, apiUrl, hello('x'.repeat(token.length))), 'closed 4401');
      // The right token is welcomed (so the refusals above are about the token).
      assert.equal(await trySocket(page, apiUrl, hello(token)), 'answered {"type":"welcome"}');

      // Another local web page, even one that knew the token, cannot open the socket at all.
      await mkdir(otherDir, { recursive: true });
      await writeFile(join(otherDir, 'index.html'), '<!doctype html><title>another site</title><p>another site</p>');
      otherSite = await serveDirectory(otherDir);
      await page.goto(otherSite.url, { waitUntil: 'load' });
      assert.equal(await trySocket(page, apiUrl, hello(token)), 'closed 1006');

      // The same from outside a browser: a wrong Origin or Host header is refused at the upgrade.
      for (const [headers, status] of [
        [{ Origin: 'http://evil.example' }, 403],
        [{ Origin: web.url.slice(0, -1), Host: 'rebound.example' }, 421],
        [{}, 403],
      ] as const) {
        const refusedWith = await new Promise<number>((resolve, reject) => {
          const ws = new WebSocket(apiUrl, { headers });
          ws.on('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
          ws.on('open', () => reject(new Error(`opened with ${JSON.stringify(headers)}`)));
          ws.on('error', () => {});
        });
        assert.equal(refusedWith, status, JSON.stringify(headers));
      }
    } finally {
      await page.close();
      await otherSite?.close();
    }
  });
});
