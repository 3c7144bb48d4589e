// Connecting the console to a remote cluster, end to end: web mode (`scripts/web.ts`, serving the
// built renderer from out/renderer) hosts its local 3-node cluster; a separately hosted 3-node
// cluster with a token plays the remote one. Chromium fills the connect form: bad settings show in
// the alert and leave the local cluster watched; good ones show the remote cluster's members, its
// leader and where it is; "Host the local cluster again" brings the local cluster back.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { readClusterFile } from '../../src/main/hosting/cluster-file.ts';
import { freePort } from '../../src/main/hosting/free-port.ts';
import type { LocalCluster } from '../../src/main/hosting/local-cluster.ts';
import { isAlive } from '../../src/main/hosting/node-process.ts';
import { hostCluster, PATIENT_NODE_ARGS, tearDown } from '../main/support/hosted.ts';
import { launchChromium, type Chromium } from './chromium.ts';
import { assertNoProblems, recordCspViolations, watchForProblems } from './page-problems.ts';
import { startWebMode, type WebMode } from './web-mode.ts';

const RENDERER_INDEX = join(import.meta.dirname, '../../out/renderer/index.html');
const STEP_TIMEOUT_MS = 30_000;

interface Card {
  id: string;
  role: string;
  url: string;
  reachable: boolean;
}

async function cards(page: Page): Promise<Card[]> {
  return page.locator('[data-testid^="node-card-"]').evaluateAll((elements) =>
    elements.map((card) => ({
      id: (card.getAttribute('data-testid') ?? '').replace('node-card-', ''),
      role: card.getAttribute('data-role') ?? '',
      url: card.querySelector('.node-url')?.textContent ?? '',
      reachable: card.querySelector('[data-reachable]')?.getAttribute('data-reachable') === 'true',
    })),
  );
}

/** Resolves with the cards once the page shows members at exactly `urls`, all reachable, one of them leading. */
async function steadyAt(page: Page, urls: string[]): Promise<Card[]> {
  const deadline = performance.now() + STEP_TIMEOUT_MS;
  for (;;) {
    const now = await cards(page);
    const sameUrls = JSON.stringify(now.map((card) => card.url).sort()) === JSON.stringify([...urls].sort());
    if (sameUrls && now.every((card) => card.reachable) && now.filter((card) => card.role === 'leader').length === 1) return now;
    if (performance.now() > deadline) throw new Error(`timed out waiting for members at ${urls.join(', ')} with a leader; last seen: ${JSON.stringify(now)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('connecting to a remote cluster in web mode', () => {
  let dir: string | undefined;
  let web: WebMode | undefined;
  let remote: LocalCluster | undefined;
  let remoteDir: string | undefined;
  let browser: Chromium | undefined;
  /** Every raft-node process seen, to check none outlives the test. */
  const pids = new Set<number>();

  async function notePids(): Promise<void> {
    for (const member of web ? (await readClusterFile(web.dir)).members : []) if (member.pid !== null) pids.add(member.pid);
    for (const member of remote?.members() ?? []) if (member.pid !== null) pids.add(member.pid);
  }

  before(async () => {
    assert.ok(existsSync(RENDERER_INDEX), `${RENDERER_INDEX} is missing: run npx electron-vite build`);
    dir = await mkdtemp(join(tmpdir(), 'raft-manager-connect-'));
    ({ cluster: remote, dir: remoteDir } = await hostCluster({ name: 'faraway', nodeArgs: PATIENT_NODE_ARGS }));
    web = await startWebMode(join(dir, 'cluster'));
    await notePids();
    browser = await launchChromium();
    await recordCspViolations(browser.context);
  });

  after(async () => {
    try {
      await browser?.close();
    } finally {
      await notePids().catch(() => {});
      for (const pid of pids) web?.pids.push(pid);
      await web?.stop();
      await tearDown(remote, remoteDir);
      if (dir) await rm(dir, { recursive: true, force: true });
      assert.deepEqual([...pids].filter(isAlive), [], 'raft-node processes outlived the test');
    }
  });

  it('connects to the remote cluster from the form, refuses bad settings in the alert, and hosts the local cluster again', async () => {
    assert.ok(browser && web && remote && dir);
    const page = await browser.context.newPage();
    page.setDefaultTimeout(STEP_TIMEOUT_MS);
    await page.setViewportSize({ width: 1280, height: 1000 });
    const problems = watchForProblems(page);
    const title = page.locator('#overview-title');
    const form = page.getByTestId('connect-form');
    const takeAlert = async (): Promise<string> => {
      const alert = page.getByRole('alert');
      await alert.waitFor({ state: 'visible' });
      const text = await alert.locator('p').innerText();
      await alert.getByRole('button', { name: 'Dismiss' }).click();
      return text;
    };
    const connect = async (urls: string, tokenFile: string, saveAs = ''): Promise<void> => {
      await form.getByLabel('Admin URLs').fill(urls);
      await form.getByLabel('Token file').fill(tokenFile);
      await form.getByLabel('Save as profile (optional)').fill(saveAs);
      await page.getByTestId('btn-connect').click();
    };
    try {
      await page.goto(web.url, { waitUntil: 'load' });
      const localUrls = (await readClusterFile(web.dir)).members.map((m) => m.url);
      await steadyAt(page, localUrls);
      assert.equal(await title.innerText(), 'Local cluster “local”');
      assert.equal(await page.getByTestId('btn-host-local').count(), 0);

      const remoteUrls = remote.urls();
      const missing = join(dir, 'no-such-token');
      await connect(remoteUrls[0], missing);
      assert.equal(await takeAlert(), `Could not connect: token file ${missing} does not exist`);
      const silent = `ws://127.0.0.1:${await freePort()}`;
      await connect(silent, remote.tokenFile);
      assert.match(await takeAlert(), new RegExp(`^Could not connect: none of ${silent} answered: ${silent}: `));
      assert.equal(await title.innerText(), 'Local cluster “local”', 'the local cluster is still watched');
      await steadyAt(page, localUrls);

      await connect(remoteUrls[0], remote.tokenFile, 'faraway');
      await page.getByText('Remote cluster “faraway”').waitFor({ state: 'visible' });
      const remoteCards = await steadyAt(page, remoteUrls);
      assert.equal(remoteCards.length, 3, 'every member was discovered from one URL');
      assert.equal(await page.getByTestId('cluster-source').innerText(), `${remoteUrls[0]} · profile “faraway”`);
      assert.equal(await page.getByTestId('btn-restart-n1').count(), 0, 'a remote member is not restarted from here');
      assert.equal(await page.getByTestId('btn-kill-n1').innerText(), 'Crash');
      await page.getByTestId('event-log').getByText(`You connected to the remote cluster at ${remoteUrls[0]}; the local cluster's members were stopped`).waitFor({ state: 'visible' });
      assert.deepEqual((await readClusterFile(web.dir)).members.map((m) => m.pid), [null, null, null], 'the hosted members were stopped');
      assert.deepEqual(await page.getByTestId('profile-select').locator('option').allInnerTexts(), ['Choose a profile…', `faraway · ${remoteUrls[0]}`]);
      await page.screenshot({ path: process.env.REMOTE_SCREENSHOT ?? join(dir, 'remote.png'), fullPage: true });

      await page.getByTestId('btn-host-local').click();
      await page.getByText('Local cluster “local”').waitFor({ state: 'visible' });
      const localCards = await steadyAt(page, localUrls);
      await notePids();
      assert.deepEqual(localCards.map((card) => card.id), ['n1', 'n2', 'n3']);
      assert.equal(await page.getByTestId('btn-host-local').count(), 0);
      assert.match(await page.getByTestId('node-card-n1').innerText(), /Process running · pid \d+/);
      await assertNoProblems(page, problems);
    } finally {
      await page.close();
    }
  });
});
