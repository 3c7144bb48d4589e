// What can go wrong in a page without failing an action: console errors, uncaught exceptions,
// failed or refused requests, and Content-Security-Policy violations.
import assert from 'node:assert/strict';
import type { BrowserContext, Page } from 'playwright-core';

export interface PageProblems {
  consoleErrors: string[];
  failedRequests: string[];
}

// Runs in the page before its own scripts; evaluated as text because test code has no DOM types.
const RECORD_CSP_VIOLATIONS = `
  window.cspViolations = [];
  document.addEventListener('securitypolicyviolation', (event) => {
    window.cspViolations.push(event.violatedDirective + ' blocked ' + (event.blockedURI || 'inline'));
  });
`;

/** Every page of `context` records its CSP violations from its first script on. */
export async function recordCspViolations(context: BrowserContext): Promise<void> {
  await context.addInitScript({ content: RECORD_CSP_VIOLATIONS });
}

export async function cspViolations(page: Page): Promise<string[]> {
  return (await page.evaluate('window.cspViolations')) as string[];
}

export function watchForProblems(page: Page): PageProblems {
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

/** The page logged no error, no request failed and no CSP violation was reported. */
export async function assertNoProblems(page: Page, problems: PageProblems): Promise<void> {
  assert.deepEqual(problems.consoleErrors, []);
  assert.deepEqual(problems.failedRequests, []);
  assert.deepEqual(await cspViolations(page), []);
}
