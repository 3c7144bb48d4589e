// The operator's buttons in web mode, end to end: `scripts/web.ts` hosts a real 3-node cluster and
// serves the built renderer (out/renderer, from `npx electron-vite build`); Chromium clicks each
// button and the test checks what the page shows, and the cluster's own files. The steps run in
// order on one page: add a member, transfer leadership, partition and heal, pause and heal, remove
// the added member, a refused removal, and a one-round drill.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { readTokenFile } from '../../src/main/connection/endpoint.ts';
import { KvClient } from '../../src/main/connection/kv-client.ts';
import { readClusterFile } from '../../src/main/hosting/cluster-file.ts';
import { isAlive } from '../../src/main/hosting/node-process.ts';
import { launchChromium, type Chromium } from './chromium.ts';
import { watchForProblems, type PageProblems } from './page-problems.ts';
import { startWebMode, type WebMode } from './web-mode.ts';

const RENDERER_INDEX = join(import.meta.dirname, '../../out/renderer/index.html');
const STEP_TIMEOUT_MS = 30_000;

/** Polls `probe` every 100 ms until it returns a value; fails after `timeoutMs` naming `what` and the last thing seen. */
async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>, seen: () => Promise<string> = async () => ''): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${(await seen()) ? `; last seen: ${await seen()}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Each card's id and data-role, in page order. */
async function cards(page: Page): Promise<{ id: string; role: string; reachable: boolean }[]> {
  return page.locator('[data-testid^="node-card-"]').evaluateAll((elements) =>
    elements.map((card) => ({
      id: (card.getAttribute('data-testid') ?? '').replace('node-card-', ''),
      role: card.getAttribute('data-role') ?? '',
      reachable: card.querySelector('[data-reachable]')?.getAttribute('data-reachable') === 'true',
    })),
  );
}

/** Resolves once `count` members show, all reachable, one leader and the rest followers; with the leader's id. */
async function steady(page: Page, count: number): Promise<{ leader: string; followers: string[] }> {
  return waitFor(
    `${count} reachable members, one leader, the rest followers`,
    STEP_TIMEOUT_MS,
    async () => {
      const now = await cards(page);
      const leaders = now.filter((card) => card.role === 'leader');
      const followers = now.filter((card) => card.role === 'follower');
      if (now.length !== count || !now.every((card) => card.reachable) || leaders.length !== 1 || followers.length !== count - 1) return undefined;
      return { leader: leaders[0].id, followers: followers.map((card) => card.id) };
    },
    async () => JSON.stringify(await cards(page)),
  );
}

async function commitOf(page: Page, id: string): Promise<number> {
  return Number(await page.getByTestId(`node-card-${id}`).locator('[data-field="commit"]').innerText());
}

async function eventLogShows(page: Page, text: string): Promise<void> {
  await page.getByTestId('event-log').getByText(text).first().waitFor({ state: 'visible', timeout: STEP_TIMEOUT_MS });
}

/** Puts from one writer until stopped, so that commit indexes move. */
async function startWrites(dir: string): Promise<{ stop(): Promise<number> }> {
  const file = await readClusterFile(dir);
  const kv = new KvClient(
    file.members.map((m) => m.url),
    { auth: { token: await readTokenFile(file.tokenFile) }, timeoutMs: 2_000 },
  );
  let stopped = false;
  let acknowledged = 0;
  const stopAt = performance.now() + 2 * STEP_TIMEOUT_MS;
  const writer = (async () => {
    for (let i = 0; !stopped && performance.now() < stopAt; i++) {
      await kv.put(`ops-${i % 50}`, `v${i}`).then(
        () => acknowledged++,
        () => new Promise((resolve) => setTimeout(resolve, 50)), // a write refused during a fault is not what this test checks
      );
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await writer;
      kv.close();
      return acknowledged;
    },
  };
}

describe('operator buttons in web mode, on a real hosted cluster', () => {
  let dir: string | undefined;
  let web: WebMode | undefined;
  let browser: Chromium | undefined;
  let page: Page;
  let problems: PageProblems;
  /** Every raft-node process seen, to check none outlives the test. */
  const pids = new Set<number>();

  async function notePids(): Promise<void> {
    assert.ok(web);
    for (const member of (await readClusterFile(web.dir)).members) if (member.pid !== null) pids.add(member.pid);
  }

  /** The text of the page's alert once it shows, then dismissed. */
  async function takeAlert(): Promise<string> {
    const alert = page.getByRole('alert');
    await alert.waitFor({ state: 'visible', timeout: STEP_TIMEOUT_MS });
    const text = await alert.locator('p').innerText();
    await alert.getByRole('button', { name: 'Dismiss' }).click();
    return text;
  }

  before(async () => {
    assert.ok(existsSync(RENDERER_INDEX), `${RENDERER_INDEX} is missing: run npx electron-vite build`);
    dir = await mkdtemp(join(tmpdir(), 'raft-manager-operations-'));
    web = await startWebMode(join(dir, 'cluster'));
    await notePids();
    browser = await launchChromium();
    page = await browser.context.newPage();
    page.setDefaultTimeout(STEP_TIMEOUT_MS);
    await page.setViewportSize({ width: 1280, height: 1000 });
    problems = watchForProblems(page);
    await page.goto(web.url, { waitUntil: 'load' });
    await steady(page, 3);
  });

  after(async () => {
    try {
      await browser?.close();
    } finally {
      if (web) await notePids().catch(() => {});
      for (const pid of pids) web?.pids.push(pid);
      await web?.stop();
      if (dir) await rm(dir, { recursive: true, force: true });
      assert.deepEqual([...pids].filter(isAlive), [], 'raft-node processes outlived web mode');
    }
  });

  it('adds a member: a fourth card appears and becomes a voter, with progress shown meanwhile', async () => {
    assert.ok(web);
    const statuses = new Set<string>();
    const status = page.getByTestId('operation-status');
    await page.getByTestId('btn-add-member').click();
    await waitFor('n4 to follow', STEP_TIMEOUT_MS, async () => {
      if (await status.isVisible()) statuses.add(await status.innerText().catch(() => ''));
      return (await page.getByTestId('node-card-n4').getAttribute('data-role', { timeout: 100 }).catch(() => null)) === 'follower' ? true : undefined;
    });
    await steady(page, 4);
    await eventLogShows(page, 'You added n4 (ws://127.0.0.1:');
    assert.ok([...statuses].some((text) => text.startsWith('Adding a member')), `the operation was shown: ${[...statuses].join(' | ')}`);
    const file = await readClusterFile(web.dir);
    assert.deepEqual(file.members.map((m) => m.id), ['n1', 'n2', 'n3', 'n4']);
    await notePids();
  });

  it('hands leadership to a follower', async () => {
    const { followers } = await steady(page, 4);
    const to = followers[0];
    await page.getByTestId(`btn-transfer-leader-${to}`).click();
    await waitFor(`${to} to lead`, STEP_TIMEOUT_MS, async () => ((await page.getByTestId(`node-card-${to}`).getAttribute('data-role')) === 'leader' ? true : undefined));
    assert.equal((await steady(page, 4)).leader, to);
    await eventLogShows(page, `You handed leadership to ${to}`);
    assert.equal(await page.getByTestId(`btn-transfer-leader-${to}`).count(), 0, 'the leader has no transfer button');
  });

  it('partitions a follower: it falls behind while the others go on; Heal joins it again', async () => {
    assert.ok(web);
    const { leader, followers } = await steady(page, 4);
    const cut = followers[0];
    const card = page.getByTestId(`node-card-${cut}`);
    const writes = await startWrites(web.dir);
    try {
      await page.getByTestId(`btn-partition-${cut}`).click();
      const others = ['n1', 'n2', 'n3', 'n4'].filter((id) => id !== cut).join(', ');
      await card.locator('[data-field="cut-off"]').getByText(`Partitioned from ${others}`).waitFor();
      await eventLogShows(page, `You cut ${cut} off from the other members`);
      // The label shows from the fault event at once, while the card's commit comes from statuses
      // polled every 250 ms: let the leader go on a little so that the cut member's last status is
      // one taken after the cut, then take its commit.
      const cutAt = await commitOf(page, leader);
      await waitFor(`the leader to commit past ${cutAt + 20}`, STEP_TIMEOUT_MS, async () => ((await commitOf(page, leader)) > cutAt + 20 ? true : undefined));
      const stalledAt = await commitOf(page, cut);
      await waitFor(`the leader to commit well past ${cut}`, STEP_TIMEOUT_MS, async () => ((await commitOf(page, leader)) > stalledAt + 50 ? true : undefined));
      assert.ok((await commitOf(page, cut)) <= stalledAt + 1, `${cut} stopped advancing while cut off`);
      assert.notEqual(await card.getAttribute('data-role'), 'leader');
      assert.equal((await cards(page)).filter((c) => c.role === 'leader').length, 1, 'the others still have a leader');

      await page.getByTestId('btn-heal').click();
      await eventLogShows(page, 'You healed the cluster');
      await card.locator('[data-field="cut-off"]').waitFor({ state: 'detached' });
      const target = await commitOf(page, leader);
      await waitFor(`${cut} to catch up to ${target}`, STEP_TIMEOUT_MS, async () => ((await commitOf(page, cut)) >= target ? true : undefined));
    } finally {
      // A failure above must not leave the partition for the tests after this one.
      if ((await card.locator('[data-field="cut-off"]').count()) > 0) await page.getByTestId('btn-heal').click({ timeout: 5_000 }).catch(() => {});
      assert.ok((await writes.stop()) > 50, 'the writes went on');
    }
    await steady(page, 4);
  });

  it('pauses a follower: its process shows paused; Heal resumes it', async () => {
    const { followers } = await steady(page, 4);
    const paused = followers[0];
    const card = page.getByTestId(`node-card-${paused}`);
    await page.getByTestId(`btn-pause-${paused}`).click();
    await card.locator('[data-field="process"]').getByText(/^Process paused · pid \d+$/).waitFor();
    await eventLogShows(page, `You paused ${paused} for 10 s (SIGSTOP)`);
    await page.getByTestId('btn-heal').click();
    await card.locator('[data-field="process"]').getByText(/^Process running · pid \d+$/).waitFor();
    await steady(page, 4);
  });

  it('removes the added member on one click: its card goes, and cluster.json drops it', async () => {
    assert.ok(web);
    await steady(page, 4);
    const pid = (await readClusterFile(web.dir)).members.find((m) => m.id === 'n4')?.pid;
    assert.ok(pid, 'n4 runs');
    await page.getByTestId('btn-remove-member-n4').click();
    await page.getByTestId('node-card-n4').waitFor({ state: 'detached' });
    await eventLogShows(page, 'You removed n4 from the cluster and stopped it');
    assert.deepEqual((await readClusterFile(web.dir)).members.map((m) => m.id), ['n1', 'n2', 'n3']);
    assert.equal(isAlive(pid), false, 'its process is gone');
    await steady(page, 3);
  });

  it('refuses to remove a voter when the quorum would be lost, and says why', async () => {
    assert.ok(web);
    const { followers } = await steady(page, 3);
    const [dead, other] = followers;
    await page.getByTestId(`btn-kill-${dead}`).click();
    await waitFor(`${dead} to show as unreachable`, STEP_TIMEOUT_MS, async () =>
      (await page.getByTestId(`node-card-${dead}`).getAttribute('data-role')) === 'unknown' ? true : undefined,
    );
    await page.getByTestId(`btn-remove-member-${other}`).click();
    assert.equal(
      await takeAlert(),
      `Could not remove ${other}: removing ${other} leaves 1 of 2 voters reachable (${dead} cannot be reached) and 2 are needed: the cluster would lose its quorum`,
    );
    assert.equal(await page.getByTestId(`node-card-${other}`).count(), 1, 'nothing was removed');
    assert.deepEqual((await readClusterFile(web.dir)).members.map((m) => m.id), ['n1', 'n2', 'n3']);

    // Heal starts the member killed from this page again.
    await page.getByTestId('btn-heal').click();
    await steady(page, 3);
    await notePids();
  });

  it('runs a one-round kill-leader drill, showing its progress, then its report', async () => {
    assert.ok(web && dir);
    await steady(page, 3);
    const statuses = new Set<string>();
    const status = page.getByTestId('operation-status');
    await page.getByTestId('drill-scenario').selectOption('kill-leader');
    await page.getByTestId('drill-rounds').fill('1');
    await page.getByTestId('drill-fault-seconds').fill('1');
    await page.getByTestId('btn-run-drill').click();
    const report = page.getByTestId('drill-report');
    await waitFor('the drill report', 90_000, async () => {
      if (await status.isVisible()) statuses.add(await status.innerText().catch(() => ''));
      return (await report.isVisible()) ? true : undefined;
    });
    const shown = [...statuses].join(' | ');
    assert.ok([...statuses].some((text) => /^Running a kill-leader drill/.test(text)), shown);
    assert.ok([...statuses].some((text) => /round 1: /.test(text)), `a round's progress was shown: ${shown}`);

    assert.equal(await report.getAttribute('data-verdict'), 'linearizable');
    assert.equal(await report.locator('[data-field="verdict"]').textContent(), 'linearizable');
    assert.equal(await report.locator('[data-field="lost-writes"]').innerText(), '0');
    assert.ok(Number(await report.locator('[data-field="ops-ok"]').innerText()) > 0, 'the workload got answers');
    assert.match(await report.locator('tbody tr[data-round="1"] [data-field="unavailable"]').innerText(), /^\d+(\.\d)? m?s$/);
    const html = await report.locator('[data-field="report-html"]').innerText();
    assert.ok(html.startsWith(join(web.dir, 'drills')) && html.endsWith('.report.html'), html);
    assert.ok(existsSync(html), `${html} was saved`);
    await eventLogShows(page, 'Your kill-leader drill (1 round): linearizable, 0 lost writes');
    await notePids();

    await steady(page, 3);
    await page.screenshot({ path: process.env.OPERATIONS_SCREENSHOT ?? join(dir, 'operations.png'), fullPage: true });
    assert.deepEqual(problems.consoleErrors, []);
  });
});
