// The built renderer (out/renderer, from `npx electron-vite build`) in real Chromium, served as
// plain files: with a stand-in for the preload's bridge (deterministic cluster data), and without
// one (a browser page that web mode did not serve). test/web/app.test.ts runs the real thing.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { CONTENT_SECURITY_POLICY } from '../../src/main/content-security-policy.ts';
import { launchChromium, type Chromium } from './chromium.ts';
import { assertNoProblems, cspViolations, recordCspViolations, watchForProblems, type PageProblems } from './page-problems.ts';
import { serveDirectory, type StaticServer } from './static-server.ts';

const RENDERER_DIR = join(import.meta.dirname, '../../out/renderer');
/** The renderer's cap on replication-lag points per follower (src/renderer/src/stores/cluster.ts). */
const MAX_LAG_POINTS = 240;

/**
 * A stand-in for window.raftManager: n2 leads, n1 follows, n3 has exited. Every 50 ms it pushes a
 * delta with 50 new lag samples for n1, so the lag chart soon reaches its cap. `clusterSnapshot`
 * runs `snapshotBody` when given (to make it fail). Its updates report `operation` as under way.
 * `remote`: the cluster is a remote one (no member hosted). One profile is saved, "staging".
 * The operations record their calls in window.calls.
 */
function fakeBridge(snapshotBody?: string, operation: object | null = null, remote = false): string {
  return `(() => {
    const start = Date.now();
    const remote = ${remote};
    const member = (id, role) => ({
      id, url: 'ws://127.0.0.1:700' + id.slice(1), role, term: 3, commitIndex: 120, appliedIndex: 119,
      reachable: role !== null, connection: role ? 'connected' : 'unreachable', lastError: role ? null : 'connection refused',
      lagEntries: role === 'follower' ? 2 : null, snapshotBytes: 40960, walBytes: 655360,
      process: remote ? null : { state: role ? 'running' : 'exited', pid: role ? 4242 : null }, cutOffFrom: [],
    });
    const lagSamples = (from, count) => Array.from({ length: count }, (_, i) =>
      ({ at: from + i * 250, lagEntries: i % 7, lastContactMs: 20, match: 100 + i, leaderId: 'n2' }));
    const update = (full, at, lag) => ({
      full, at, leaderId: 'n2', term: 3, commitRate: 42,
      cluster: remote
        ? { name: 'faraway', source: { kind: 'remote', urls: ['ws://10.0.0.5:7001'], profile: 'staging' } }
        : { name: 'local', source: { kind: 'hosted', dir: '/data/clusters/local' } },
      members: [member('n1', 'follower'), member('n2', 'leader'), member('n3', null)],
      lag: { n1: lag },
      elections: [{ term: 3, candidates: ['n2'], winner: 'n2', votes: 2, startedAt: start - 5000, endedAt: start - 4900, campaignMs: 90, leaderlessMs: 100 }],
      log: full ? [{ at: start - 4900, memberId: 'n2', kind: 'election', message: 'n2 won the election for term 3' }] : [],
      operation: ${JSON.stringify(operation)},
    });
    window.kills = [];
    window.calls = [];
    const record = (method) => async (...args) => { window.calls.push([method, ...args]); };
    window.raftManager = {
      appVersion: async () => ({ app: '9.8.7', electron: '45.3.4', node: '22.20.0', chrome: '140.0.0.0' }),
      clusterSnapshot: async () => { ${snapshotBody ?? ''}; return update(true, start, lagSamples(start - 2500, 10)); },
      connectRemote: async (request) => {
        window.calls.push(['connectRemote', request]);
        if (request.urls[0] === 'ws://10.0.0.99:7001') throw new Error('none of ws://10.0.0.99:7001 answered: ws://10.0.0.99:7001: connect ECONNREFUSED');
      },
      hostLocal: record('hostLocal'),
      listProfiles: async () => ({
        profiles: [{ name: 'staging', urls: ['ws://10.0.0.5:7001', 'ws://10.0.0.6:7001'], tokenFile: '/etc/raft/token', caFile: '/etc/raft/ca.pem' }],
        problems: [],
      }),
      deleteProfile: record('deleteProfile'),
      killMember: async (id) => { window.kills.push(id); },
      restartMember: async () => {},
      addMember: async (...args) => { window.calls.push(['addMember', ...args]); return args[0] ?? { id: 'n4', url: 'ws://127.0.0.1:7004' }; },
      removeMember: async (id) => { throw new Error('removing ' + id + ' leaves 1 of 2 voters reachable (n3 cannot be reached) and 2 are needed: the cluster would lose its quorum'); },
      transferLeader: record('transferLeader'),
      pauseMember: record('pauseMember'),
      partitionMember: record('partitionMember'),
      healAll: record('healAll'),
      runDrill: record('runDrill'),
      subscribe: (onUpdate) => {
        let at = start;
        onUpdate(update(true, at, lagSamples(start - 2500, 10)));
        const timer = setInterval(() => { onUpdate(update(false, at + 250, lagSamples(at + 250, 50))); at += 50 * 250; }, 50);
        return () => clearInterval(timer);
      },
    };
  })();`;
}

describe('renderer in Chromium', () => {
  let server: StaticServer | undefined;
  let browser: Chromium | undefined;

  before(async () => {
    assert.ok(existsSync(join(RENDERER_DIR, 'index.html')), `${RENDERER_DIR} is missing: run npx electron-vite build`);
    server = await serveDirectory(RENDERER_DIR);
    browser = await launchChromium();
    await recordCspViolations(browser.context);
  });

  after(async () => {
    try {
      await browser?.close();
    } finally {
      await server?.close();
    }
  });

  async function openApp(bridgeScript?: string): Promise<{ page: Page; problems: PageProblems }> {
    assert.ok(browser && server);
    const page = await browser.context.newPage();
    page.setDefaultTimeout(10_000);
    const problems = watchForProblems(page);
    if (bridgeScript) await page.addInitScript({ content: bridgeScript });
    await page.goto(server.url, { waitUntil: 'load' });
    return { page, problems };
  }

  it('says how to open web mode when the page was not served by it', async () => {
    const { page, problems } = await openApp();
    try {
      const alert = page.getByRole('alert');
      await alert.waitFor({ state: 'visible' });
      assert.match(await alert.innerText(), /open the URL that `npm run web` printed/);
      assert.match(await page.getByTestId('cluster-overview').innerText(), /No cluster is running/);
      await page.getByTestId('connect-form').waitFor({ state: 'visible' });
      assert.equal(await page.locator('.shell-label').innerText(), 'Web mode');
      assert.equal(await page.title(), 'Raft Manager');
      await assertNoProblems(page, problems);
    } finally {
      await page.close();
    }
  });

  it('carries the app Content-Security-Policy, which blocks inline script', async () => {
    const { page } = await openApp();
    try {
      const policy = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
      assert.equal(policy, CONTENT_SECURITY_POLICY);

      const inlineRan = await page.evaluate(`(() => {
        const script = document.createElement('script');
        script.textContent = 'window.inlineRan = true';
        document.head.append(script);
        return window.inlineRan === true;
      })()`);
      assert.equal(inlineRan, false);
      assert.deepEqual(await cspViolations(page), ['script-src-elem blocked inline']);
    } finally {
      await page.close();
    }
  });

  it('shows what the desktop bridge reports, and keeps the lag chart capped as updates stream in', async () => {
    const { page, problems } = await openApp(fakeBridge());
    try {
      const label = page.locator('.shell-label');
      await label.getByText('v9.8.7').waitFor({ state: 'visible' });
      assert.equal(await label.innerText(), 'v9.8.7 · Electron 45.3.4 · Node 22.20.0');

      const n2 = page.getByTestId('node-card-n2');
      await n2.waitFor({ state: 'visible' });
      assert.equal(await n2.getAttribute('data-role'), 'leader');
      assert.equal(await page.getByTestId('node-card-n1').getAttribute('data-role'), 'follower');
      const n3 = page.getByTestId('node-card-n3');
      assert.equal(await n3.getAttribute('data-role'), 'unknown');
      assert.equal(await n3.locator('.reachability').innerText(), 'Unreachable: connection refused');
      assert.equal(await page.getByTestId('btn-kill-n3').isDisabled(), true, 'an exited member cannot be killed');
      assert.equal(await page.getByTestId('btn-restart-n3').innerText(), 'Start');
      assert.equal(await n2.locator('[data-field="applied"]').innerText(), '119');
      assert.match(await page.getByTestId('cluster-overview').innerText(), /n2 leads term 3/);

      // The chart keeps its canvas (it is updated in place) and at most MAX_LAG_POINTS points.
      const lag = page.getByTestId('chart-replication-lag');
      await lag.locator('canvas').evaluate((canvas) => canvas.setAttribute('data-first-canvas', 'yes'));
      await page.waitForFunction(
        `document.querySelector('[data-testid="chart-replication-lag"]').getAttribute('data-points') === '${MAX_LAG_POINTS}'`,
        undefined,
        { timeout: 10_000 },
      );
      await page.waitForTimeout(500);
      assert.equal(await lag.getAttribute('data-points'), String(MAX_LAG_POINTS));
      assert.equal(await lag.locator('canvas').getAttribute('data-first-canvas'), 'yes');
      assert.equal(await page.getByTestId('chart-election-history').getAttribute('data-points'), '1');
      assert.equal(await page.getByTestId('chart-snapshot-sizes').getAttribute('data-points'), '6');
      assert.match(await page.getByTestId('event-log').innerText(), /n2 won the election for term 3/);

      assert.deepEqual(problems.consoleErrors, []);
      assert.deepEqual(await cspViolations(page), []);
    } finally {
      await page.close();
    }
  });

  it('kills a hosted member on one click (SPEC test id), and logs it', async () => {
    const { page, problems } = await openApp(fakeBridge());
    try {
      await page.getByTestId('btn-kill-n1').click();
      await page.getByTestId('event-log').getByText('You killed n1 (SIGKILL)').waitFor({ state: 'visible' });
      assert.deepEqual(await page.evaluate('window.kills'), ['n1']);
      assert.deepEqual(problems.consoleErrors, []);
    } finally {
      await page.close();
    }
  });

  it('offers the operations that fit each member, and shows the refusal of one in the alert', async () => {
    const { page, problems } = await openApp(fakeBridge());
    try {
      await page.getByTestId('node-card-n1').waitFor({ state: 'visible' });
      assert.equal(await page.getByTestId('btn-transfer-leader-n1').count(), 1, 'a follower can be made leader');
      assert.equal(await page.getByTestId('btn-transfer-leader-n2').count(), 0, 'the leader cannot');
      assert.equal(await page.getByTestId('btn-pause-n3').isDisabled(), true, 'an exited member cannot be paused');
      assert.equal(await page.getByTestId('btn-partition-n3').isDisabled(), true, 'nor an unreachable one partitioned');

      await page.getByTestId('btn-transfer-leader-n1').click();
      await page.getByTestId('event-log').getByText('You handed leadership to n1').waitFor({ state: 'visible' });
      await page.getByTestId('btn-pause-n1').click();
      await page.getByTestId('event-log').getByText('You paused n1 for 10 s (SIGSTOP); Heal resumes it sooner').waitFor({ state: 'visible' });
      await page.getByTestId('btn-heal').click();
      await page.getByTestId('event-log').getByText('You healed the cluster').waitFor({ state: 'visible' });
      assert.deepEqual(await page.evaluate('window.calls'), [['transferLeader', 'n1'], ['pauseMember', 'n1'], ['healAll']]);

      await page.getByTestId('btn-remove-member-n1').click();
      assert.equal(await page.getByTestId('btn-confirm-remove-n1').count(), 0, 'a hosted member is removed on one click');
      const alert = page.getByRole('alert');
      await alert.waitFor({ state: 'visible' });
      assert.match(await alert.innerText(), /^Could not remove n1: removing n1 leaves 1 of 2 voters reachable \(n3 cannot be reached\)/);
      assert.deepEqual(problems.consoleErrors, []);
    } finally {
      await page.close();
    }
  });

  it('shows the operation under way, and offers no other meanwhile', async () => {
    const operation = { name: 'Adding a member', progress: 'catching up: 5 of 10 entries replicated to n4', startedAt: Date.now() };
    const { page, problems } = await openApp(fakeBridge(undefined, operation));
    try {
      const status = page.getByTestId('operation-status');
      await status.waitFor({ state: 'visible' });
      assert.match(await status.innerText(), /^Adding a member\s+catching up: 5 of 10 entries replicated to n4/);
      for (const button of ['btn-add-member', 'btn-heal', 'btn-run-drill', 'btn-kill-n1', 'btn-pause-n1', 'btn-partition-n1', 'btn-transfer-leader-n1', 'btn-remove-member-n1']) {
        assert.equal(await page.getByTestId(button).isDisabled(), true, `${button} waits for the operation`);
      }
      assert.deepEqual(problems.consoleErrors, []);
    } finally {
      await page.close();
    }
  });

  it('fills the connect form from a saved profile and connects with it; a refusal shows in the alert', async () => {
    const { page, problems } = await openApp(fakeBridge());
    try {
      const form = page.getByTestId('connect-form');
      await page.getByTestId('node-card-n1').waitFor({ state: 'visible' });
      assert.equal(await page.getByTestId('btn-host-local').count(), 0, 'the local cluster is hosted already');
      assert.equal(await page.getByTestId('btn-connect').isDisabled(), true, 'no URL yet');
      await page.getByTestId('profile-select').selectOption('staging');
      assert.equal(await form.getByLabel('Admin URLs').inputValue(), 'ws://10.0.0.5:7001, ws://10.0.0.6:7001');
      assert.equal(await form.getByLabel('Token file').inputValue(), '/etc/raft/token');
      assert.equal(await form.getByLabel('CA file (optional)').inputValue(), '/etc/raft/ca.pem');
      assert.equal(await form.getByLabel('Save as profile (optional)').inputValue(), 'staging');
      await page.getByTestId('btn-connect').click();
      await page.getByTestId('event-log').getByText('You connected to the remote cluster at ws://10.0.0.5:7001, ws://10.0.0.6:7001').waitFor({ state: 'visible' });

      await form.getByLabel('Admin URLs').fill(' ws://10.0.0.99:7001 ,');
      await form.getByLabel('Token file').fill('');
      await form.getByLabel('CA file (optional)').fill('');
      await form.getByLabel('Save as profile (optional)').fill('');
      await page.getByTestId('btn-connect').click();
      const alert = page.getByRole('alert');
      await alert.waitFor({ state: 'visible' });
      assert.match(await alert.innerText(), /^Could not connect: none of ws:\/\/10.0.0.99:7001 answered: ws:\/\/10.0.0.99:7001: connect ECONNREFUSED/);
      assert.deepEqual(await page.evaluate('window.calls'), [
        ['connectRemote', { urls: ['ws://10.0.0.5:7001', 'ws://10.0.0.6:7001'], tokenFile: '/etc/raft/token', caFile: '/etc/raft/ca.pem', saveAs: 'staging' }],
        ['connectRemote', { urls: ['ws://10.0.0.99:7001'] }],
      ]);
      assert.deepEqual(problems.consoleErrors, []);
    } finally {
      await page.close();
    }
  });

  it('offers a remote cluster the operations admin ops can do: crash (confirmed), pause, add a running member, host the local cluster again', async () => {
    const { page, problems } = await openApp(fakeBridge(undefined, null, true));
    try {
      await page.getByTestId('node-card-n1').waitFor({ state: 'visible' });
      assert.equal(await page.locator('#overview-title').innerText(), 'Remote cluster “faraway”');
      assert.equal(await page.getByTestId('cluster-source').innerText(), 'ws://10.0.0.5:7001 · profile “staging”');
      assert.equal(await page.getByTestId('btn-restart-n1').count(), 0, 'a remote member is not restarted from here');
      assert.equal(await page.getByTestId('btn-kill-n3').isDisabled(), true, 'an unreachable member cannot be crashed');
      assert.match(await page.getByTestId('node-card-n1').innerText(), /Remote member: its process runs where it was started/);

      await page.getByTestId('btn-kill-n1').click();
      await page.getByText('Crash n1 with the admin crash op?').waitFor({ state: 'visible' });
      await page.getByTestId('btn-confirm-kill-n1').click();
      await page.getByTestId('event-log').getByText('You crashed n1 (the crash op); restart it where it runs').waitFor({ state: 'visible' });
      await page.getByTestId('btn-pause-n2').click();
      await page.getByTestId('event-log').getByText('You paused n2 for 10 s (the pause op); it resumes by itself').waitFor({ state: 'visible' });

      assert.equal(await page.getByTestId('btn-add-member').isDisabled(), true, 'a remote member to add needs its id and URL');
      await page.getByTestId('add-member-id').fill('n4');
      await page.getByTestId('add-member-url').fill('ws://10.0.0.8:7001');
      await page.getByTestId('btn-add-member').click();
      await page.getByTestId('event-log').getByText('You added n4 (ws://10.0.0.8:7001); it is a voter').waitFor({ state: 'visible' });

      await page.getByTestId('btn-host-local').click();
      await page.getByTestId('event-log').getByText('You host the local cluster again').waitFor({ state: 'visible' });
      assert.deepEqual(await page.evaluate('window.kills'), ['n1']);
      assert.deepEqual(await page.evaluate('window.calls'), [['pauseMember', 'n2'], ['addMember', { id: 'n4', url: 'ws://10.0.0.8:7001' }], ['hostLocal']]);
      assert.deepEqual(problems.consoleErrors, []);
    } finally {
      await page.close();
    }
  });

  it('waits on the confirm buttons while an action of this page is under way, and refuses one asked for anyway in the alert', async () => {
    // The bridge's pause answers only when the test calls window.answerPause().
    const heldPause = `(() => {
      window.raftManager.pauseMember = (id) => {
        window.calls.push(['pauseMember', id]);
        return new Promise((resolve) => (window.answerPause = resolve));
      };
    })();`;
    const { page, problems } = await openApp(fakeBridge(undefined, null, true) + heldPause);
    try {
      await page.getByTestId('node-card-n1').waitFor({ state: 'visible' });
      await page.getByTestId('btn-kill-n1').click();
      await page.getByTestId('profile-select').selectOption('staging');
      await page.getByTestId('btn-delete-profile').click();
      const confirms = ['btn-confirm-kill-n1', 'btn-confirm-delete-profile'];
      for (const button of confirms) assert.equal(await page.getByTestId(button).isDisabled(), false, `${button} is offered`);

      await page.getByTestId('btn-pause-n2').click();
      await page.waitForFunction(`typeof window.answerPause === 'function'`);
      for (const button of confirms) assert.equal(await page.getByTestId(button).isDisabled(), true, `${button} waits for the pause`);

      // Every button waits, so ask the store directly, as a click that slipped through would.
      await page.evaluate(`document.getElementById('app').__vue_app__.config.globalProperties.$pinia._s.get('app').heal()`);
      const alert = page.getByRole('alert');
      await alert.waitFor({ state: 'visible' });
      assert.equal(await alert.locator('p').innerText(), 'Could not heal the cluster: another action is under way (pause n2); try again once it is done');

      await page.evaluate('window.answerPause()');
      await page.getByTestId('event-log').getByText('You paused n2 for 10 s (the pause op); it resumes by itself').waitFor({ state: 'visible' });
      await page.getByTestId('btn-confirm-kill-n1').click();
      await page.getByTestId('event-log').getByText('You crashed n1 (the crash op); restart it where it runs').waitFor({ state: 'visible' });
      assert.deepEqual(await page.evaluate('window.kills'), ['n1']);
      assert.deepEqual(await page.evaluate('window.calls'), [['pauseMember', 'n2']], 'no heal reached the bridge');
      assert.deepEqual(problems.consoleErrors, []);
    } finally {
      await page.close();
    }
  });

  it('gets back to a live view after a failed first load: "Host the local cluster again"', async () => {
    const { page, problems } = await openApp(fakeBridge(`if (!window.failedOnce) { window.failedOnce = true; throw new Error('clusterSnapshot got no answer from the web-mode server in 180 s'); }`));
    try {
      const alert = page.getByRole('alert');
      await alert.waitFor({ state: 'visible' });
      assert.equal(await alert.innerText(), 'The local cluster is not available: clusterSnapshot got no answer from the web-mode server in 180 s');
      await page.getByTestId('btn-host-local').click();
      await page.getByTestId('event-log').getByText('You host the local cluster again').waitFor({ state: 'visible' });
      await page.getByTestId('node-card-n2').waitFor({ state: 'visible' });
      assert.equal(await page.getByTestId('node-card-n2').getAttribute('data-role'), 'leader');
      assert.equal(await page.getByRole('alert').count(), 0, 'the failure is gone');
      assert.equal(await page.getByTestId('btn-host-local').count(), 0, 'the local cluster is live');
      assert.deepEqual(await page.evaluate('window.calls'), [['hostLocal']]);
      assert.deepEqual(problems.consoleErrors, []);
    } finally {
      await page.close();
    }
  });

  it('shows an alert when the desktop bridge fails', async () => {
    const { page, problems } = await openApp(fakeBridge(`throw new Error('main process gone')`));
    try {
      const alert = page.getByRole('alert');
      await alert.waitFor({ state: 'visible' });
      assert.equal(await alert.innerText(), 'The local cluster is not available: main process gone');
      assert.match(await page.getByTestId('cluster-overview').innerText(), /No cluster is running/);
      assert.deepEqual(problems.consoleErrors, []);
    } finally {
      await page.close();
    }
  });
});
