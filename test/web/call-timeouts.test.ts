// The web-mode client's call timeouts, in Chromium with the page's clock faked: the built renderer
// (out/renderer) served by web mode's real server, in front of a stand-in service whose
// clusterSnapshot and restartMember answer only when the test says so. The first snapshot may wait
// while the local cluster starts, and a restart through a clean stop and a health wait: both longer
// than the 30 s that other calls get.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { createApiHandlers, type ApiService } from '../../src/main/api-handlers.ts';
import { startWebServer, type WebServer } from '../../src/main/web-server.ts';
import type { ClusterMember, ClusterUpdate } from '../../src/shared/api.ts';
import { eventually } from '../main/support/hosted.ts';
import { refusingService } from '../main/support/refusing-service.ts';
import { launchChromium, type Chromium } from './chromium.ts';
import { watchForProblems } from './page-problems.ts';

const RENDERER_DIR = join(import.meta.dirname, '../../out/renderer');
/** Longer than the client's default timeout (30 s), shorter than the bounds of these two calls. */
const PAST_DEFAULT_MS = 45_000;
/** restartMember's bound in src/renderer/src/api/web-api-client.ts. */
const RESTART_BOUND_MS = 60_000;

function member(id: string, role: ClusterMember['role']): ClusterMember {
  return {
    id,
    url: `ws://127.0.0.1:700${id.slice(1)}`,
    role,
    term: 2,
    commitIndex: 10,
    appliedIndex: 10,
    reachable: true,
    connection: 'connected',
    lastError: null,
    lagEntries: role === 'follower' ? 0 : null,
    snapshotBytes: 0,
    walBytes: 4096,
    process: { state: 'running', pid: 4000 + Number(id.slice(1)) },
    cutOffFrom: [],
  };
}

function snapshot(): ClusterUpdate {
  return {
    full: true,
    at: Date.now(),
    cluster: { name: 'local', source: { kind: 'hosted', dir: '/data/clusters/local' } },
    leaderId: 'n1',
    term: 2,
    commitRate: 0,
    members: [member('n1', 'leader'), member('n2', 'follower'), member('n3', 'follower')],
    lag: {},
    elections: [],
    log: [],
    operation: null,
  };
}


/** A call held until the test answers it. */
class HeldCall {
  calls = 0;
  private answers: (() => void)[] = [];
  hold(): Promise<void> {
    this.calls++;
    return new Promise((resolve) => this.answers.push(resolve));
  }
  answer(): void {
    for (const answer of this.answers.splice(0)) answer();
  }
}

describe('web-mode call timeouts in Chromium', () => {
  let server: WebServer | undefined;
  let browser: Chromium | undefined;
  const snapshots = new HeldCall();
  const restarts = new HeldCall();

  before(async () => {
    assert.ok(existsSync(join(RENDERER_DIR, 'index.html')), `${RENDERER_DIR} is missing: run npx electron-vite build`);
    const service: ApiService = Object.assign(refusingService(), {
      clusterSnapshot: async () => {
        await snapshots.hold();
        return snapshot();
      },
      restartMember: () => restarts.hold(),
      listProfiles: async () => ({ profiles: [], problems: [] }),
    });
    const handlers = createApiHandlers(service, () => ({ app: '1.0.0', electron: null, node: process.versions.node, chrome: null }));
    server = await startWebServer({ rendererDir: RENDERER_DIR, handlers });
    browser = await launchChromium();
  });

  after(async () => {
    snapshots.answer();
    restarts.answer();
    try {
      await browser?.close();
    } finally {
      await server?.close();
    }
  });

  async function alertText(page: Page): Promise<string | null> {
    const alert = page.getByRole('alert');
    return (await alert.count()) === 0 ? null : alert.locator('p').innerText();
  }

  it('waits past 30 s for the first snapshot and for a restart; a restart past its bound fails, naming it', async () => {
    assert.ok(browser && server);
    const page = await browser.context.newPage();
    page.setDefaultTimeout(10_000);
    const problems = watchForProblems(page);
    try {
      await page.clock.install();
      await page.goto(server.url, { waitUntil: 'load' });

      await eventually(() => snapshots.calls === 1, 10_000, 'the page to ask for the snapshot');
      await page.clock.runFor(PAST_DEFAULT_MS);
      assert.equal(await alertText(page), null, 'the first snapshot may take as long as the local cluster takes to start');
      snapshots.answer();
      await page.getByTestId('node-card-n2').waitFor({ state: 'visible' });

      await page.getByTestId('btn-restart-n2').click();
      await eventually(() => restarts.calls === 1, 10_000, 'the restart to reach the service');
      await page.clock.runFor(PAST_DEFAULT_MS);
      assert.equal(await alertText(page), null, 'a restart may take a clean stop and a health wait');
      restarts.answer();
      await page.getByTestId('event-log').getByText('You restarted n2; it is healthy again').waitFor({ state: 'visible' });

      await page.getByTestId('btn-restart-n3').click();
      await eventually(() => restarts.calls === 2, 10_000, 'the second restart to reach the service');
      await page.clock.runFor(RESTART_BOUND_MS + 1_000);
      await page.getByRole('alert').waitFor({ state: 'visible' });
      assert.equal(await alertText(page), `Could not restart n3: restartMember got no answer from the web-mode server in ${RESTART_BOUND_MS / 1000} s`);
      assert.deepEqual(problems.consoleErrors, []);
    } finally {
      await page.close();
    }
  });
});
