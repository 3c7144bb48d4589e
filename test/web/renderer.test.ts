// The built renderer (out/renderer, from `npx electron-vite build`) in real Chromium, in web mode
// and with a stand-in for the preload's bridge.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { CONTENT_SECURITY_POLICY } from '../../src/main/content-security-policy.ts';
import { launchChromium, type Chromium } from './chromium.ts';
import { serveDirectory, type StaticServer } from './static-server.ts';

const RENDERER_DIR = join(import.meta.dirname, '../../out/renderer');
const SCREENSHOT = '/tmp/renderer.png';

// Runs in the page before its own scripts; evaluated as text because test code has no DOM types.
const RECORD_CSP_VIOLATIONS = `
  window.cspViolations = [];
  document.addEventListener('securitypolicyviolation', (event) => {
    window.cspViolations.push(event.violatedDirective + ' blocked ' + (event.blockedURI || 'inline'));
  });
`;

function fakeBridge(appVersion: string): string {
  return `window.raftManager = { appVersion: async () => { ${appVersion} } };`;
}

interface PageProblems {
  consoleErrors: string[];
  failedRequests: string[];
}

function watchForProblems(page: Page): PageProblems {
  const problems: PageProblems = { consoleErrors: [], failedRequests: [] };
  page.on('console', (message) => {
    if (message.type() === 'error') problems.consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => problems.consoleErrors.push(`uncaught: ${error.message}`));
  page.on('requestfailed', (request) =>
    problems.failedRequests.push(`${request.url()}: ${request.failure()?.errorText ?? 'failed'}`),
  );
  page.on('response', (response) => {
    if (response.status() >= 400) problems.failedRequests.push(`${response.url()}: HTTP ${response.status()}`);
  });
  return problems;
}

async function cspViolations(page: Page): Promise<string[]> {
  return (await page.evaluate('window.cspViolations')) as string[];
}

describe('renderer in Chromium', () => {
  let server: StaticServer | undefined;
  let browser: Chromium | undefined;

  before(async () => {
    assert.ok(existsSync(join(RENDERER_DIR, 'index.html')), `${RENDERER_DIR} is missing: run npx electron-vite build`);
    server = await serveDirectory(RENDERER_DIR);
    browser = await launchChromium();
    await browser.context.addInitScript({ content: RECORD_CSP_VIOLATIONS });
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

  it('shows the overview and the connect form in web mode, with no errors and no CSP violations', async () => {
    const { page, problems } = await openApp();
    try {
      const overview = page.getByTestId('cluster-overview');
      const form = page.getByTestId('connect-form');
      await overview.waitFor({ state: 'visible' });
      await form.waitFor({ state: 'visible' });
      assert.match(await overview.innerText(), /No cluster is connected yet/);
      assert.equal(await form.getByRole('button', { name: 'Connect' }).isDisabled(), true);
      assert.match(await form.innerText(), /Connecting arrives with the control plane/);
      assert.equal(await page.locator('.shell-label').innerText(), 'Web mode');
      assert.equal(await page.title(), 'Raft Manager');
      await page.screenshot({ path: SCREENSHOT, fullPage: true });

      assert.deepEqual(problems.consoleErrors, []);
      assert.deepEqual(problems.failedRequests, []);
      assert.deepEqual(await cspViolations(page), []);
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

  it('shows the versions the desktop bridge reports', async () => {
    const bridge = fakeBridge(`return { app: '9.8.7', electron: '45.3.4', node: '22.20.0', chrome: '140.0.0.0' };`);
    const { page, problems } = await openApp(bridge);
    try {
      const label = page.locator('.shell-label');
      await label.getByText('v9.8.7').waitFor({ state: 'visible' });
      assert.equal(await label.innerText(), 'v9.8.7 · Electron 45.3.4 · Node 22.20.0');
      assert.deepEqual(problems.consoleErrors, []);
    } finally {
      await page.close();
    }
  });

  it('shows an alert when the desktop bridge fails', async () => {
    const { page, problems } = await openApp(fakeBridge(`throw new Error('main process gone');`));
    try {
      const alert = page.getByRole('alert');
      await alert.waitFor({ state: 'visible' });
      assert.equal(await alert.innerText(), 'Could not read the app version: main process gone');
      assert.deepEqual(problems.consoleErrors, []);
    } finally {
      await page.close();
    }
  });
});
