// GET /healthz of a hosted node: 200 with a small JSON body once it has loaded its state and serves.
import { request } from 'node:http';

export type HealthAnswer = { healthy: true; body: Record<string, unknown> } | { healthy: false; reason: string };

/** One probe of `http://host:port/healthz` (from the member's ws:// URL), bounded by `timeoutMs`. */
export function probeHealth(memberUrl: string, timeoutMs: number): Promise<HealthAnswer> {
  const url = new URL(memberUrl);
  url.protocol = 'http:';
  url.pathname = '/healthz';
  return new Promise((resolve) => {
    const req = request(url, { method: 'GET', timeout: timeoutMs }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk.slice(0, 4096)));
      res.on('error', (error) => resolve({ healthy: false, reason: error.message }));
      res.on('end', () => {
        if (res.statusCode !== 200) return resolve({ healthy: false, reason: `HTTP ${res.statusCode}` });
        resolve({ healthy: true, body: parseBody(text) });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (error) => resolve({ healthy: false, reason: error.message }));
    req.end();
  });
}

export interface WaitHealthyOptions {
  timeoutMs: number;
  /** Stop waiting early when this says why (the process exited, say). */
  abandon?: () => string | undefined;
}

/** Polls /healthz until it answers 200; rejects with the last reason once the time is up or it is abandoned. */
export async function waitHealthy(memberUrl: string, options: WaitHealthyOptions): Promise<Record<string, unknown>> {
  const deadline = performance.now() + options.timeoutMs;
  let lastReason = 'not probed yet';
  for (;;) {
    const abandoned = options.abandon?.();
    if (abandoned !== undefined) throw new Error(abandoned);
    const remaining = deadline - performance.now();
    if (remaining <= 0) throw new Error(`${memberUrl} was not healthy within ${options.timeoutMs} ms (last: ${lastReason})`);
    const answer = await probeHealth(memberUrl, Math.min(1_000, remaining));
    if (answer.healthy) return answer.body;
    lastReason = answer.reason;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function parseBody(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
