// The failover drill against real hosted clusters: a kill-leader drill whose history must be
// linearizable with no lost write, and a negative control on nodes that serve reads from local
// state (--unsafe-local-reads), where a partitioned old leader answers stale values and the drill's
// verdict must say so.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readHistoryFile } from '../../src/main/check/history.ts';
import { ClusterConnection } from '../../src/main/connection/cluster-connection.ts';
import { runFailoverDrill } from '../../src/main/drill/drill.ts';
import { drillReportHtml } from '../../src/main/drill/report-html.ts';
import { distribution, reportPaths } from '../../src/main/drill/report.ts';
import type { LocalCluster } from '../../src/main/hosting/local-cluster.ts';
import type { DrillReport } from '../../src/shared/drill.ts';
import { hostCluster, tearDown } from './support/hosted.ts';

const NODE_ARGS = ['--election-timeout', '300-600'];

async function withCluster(nodeArgs: string[], body: (cluster: LocalCluster, conn: ClusterConnection, dir: string) => Promise<void>): Promise<void> {
  let cluster: LocalCluster | undefined;
  let dir: string | undefined;
  let conn: ClusterConnection | undefined;
  try {
    ({ cluster, dir } = await hostCluster({ nodeArgs }));
    conn = new ClusterConnection(cluster.urls(), {
      auth: await cluster.auth(),
      statusIntervalMs: 100,
      heartbeatMs: 500,
      backoff: { initialMs: 50, maxMs: 300, jitter: 0.5 },
    });
    await body(cluster, conn, dir);
  } finally {
    conn?.close();
    await tearDown(cluster, dir);
  }
}

describe('drill report', () => {
  it('summarizes unavailability as min, median, 90th percentile and max', () => {
    assert.equal(distribution([]), null);
    assert.deepEqual(distribution([300]), { min: 300, p50: 300, p90: 300, max: 300 });
    assert.deepEqual(distribution([900, 100, 500, 300, 700, 200, 400, 600, 800, 1000]), { min: 100, p50: 500, p90: 900, max: 1000 });
  });

  it('is saved next to the history', () => {
    assert.deepEqual(reportPaths('/d/run.history.jsonl'), { json: '/d/run.report.json', html: '/d/run.report.html' });
    assert.deepEqual(reportPaths('/d/run'), { json: '/d/run.report.json', html: '/d/run.report.html' });
  });

  it('renders as a self-contained page that escapes every string', () => {
    const hostile = `<script>alert("x")</script>'&`;
    const html = drillReportHtml(sampleReport(hostile));
    assert.doesNotMatch(html, /<script/i);
    assert.ok(!html.includes(hostile));
    assert.ok(html.includes('&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62;&#39;&#38;'));
    assert.match(html, /Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'"/);
    assert.match(html, /<span class="verdict not-linearizable">not-linearizable<\/span>/);
    assert.equal((html.match(/<svg /g) ?? []).length, 2);
  });
});

describe('failover drill', () => {
  it('kill-leader, 3 rounds: a new leader each time, measured unavailability, a linearizable history and a report', async (t) => {
    await withCluster(NODE_ARGS, async (cluster, conn, dir) => {
      const lines: string[] = [];
      const historyFile = join(dir, 'kill.history.jsonl');
      const report = await runFailoverDrill({
        conn,
        host: cluster,
        scenario: 'kill-leader',
        rounds: 3,
        clients: 6,
        faultMs: 800,
        settleMs: 300,
        historyFile,
        onProgress: (line) => lines.push(line),
      });
      t.diagnostic(summarize(report));

      assert.equal(report.verdict, 'linearizable', JSON.stringify(report.anomalies.map((a) => a.reason)));
      assert.equal(report.lostWrites, 0);
      assert.deepEqual(report.anomalies, []);
      assert.equal(report.rounds.length, 3);
      for (const round of report.rounds) {
        assert.equal(round.fault, 'kill');
        assert.equal(round.target, round.oldLeader);
        assert.ok(round.unavailabilityMs !== null && round.unavailabilityMs > 0, `round ${round.round}: unavailability ${round.unavailabilityMs}`);
        assert.ok(round.newLeader !== null && round.newLeader !== round.oldLeader, `round ${round.round}: new leader ${round.newLeader}`);
        assert.ok(round.newTerm !== null && round.newTerm > round.oldTerm, `round ${round.round}: term ${round.oldTerm} → ${round.newTerm}`);
      }
      const measured = report.rounds.map((r) => r.unavailabilityMs as number);
      assert.deepEqual(report.unavailability && [report.unavailability.min, report.unavailability.max], [Math.min(...measured), Math.max(...measured)]);
      assert.ok(report.ops.ok > 50, `only ${report.ops.ok} operations succeeded`);
      assert.ok(report.ops.failed + report.ops.unknown > 0, 'no operation failed: the faults never bit');

      // The history on disk is the one checked; the keys are this run's own.
      const history = await readHistoryFile(historyFile);
      assert.equal(history.filter((e) => e.type === 'invoke').length, report.ops.ok + report.ops.failed + report.ops.unknown);
      assert.ok(history.every((e) => e.key.startsWith(`${report.runId}-k`)));
      // Every fault and its undoing are on the timeline.
      const kills = report.timeline.filter((e) => e.kind === 'fault' && e.action === 'kill');
      assert.deepEqual(kills.map((e) => e.target), report.rounds.map((r) => [r.oldLeader]));
      assert.equal(report.timeline.filter((e) => e.kind === 'heal').length, 3);
      assert.ok(cluster.members().every((m) => m.state === 'running'), 'every member runs again after the drill');

      const saved = JSON.parse(await readFile(report.reportFiles.json, 'utf8')) as DrillReport;
      assert.deepEqual(saved, JSON.parse(JSON.stringify(report)));
      const html = await readFile(report.reportFiles.html, 'utf8');
      assert.equal(html, drillReportHtml(report));
      assert.match(html, /<svg[^>]*aria-label="drill timeline"/);
      assert.match(html, /<svg[^>]*aria-label="unavailability per round"/);
      assert.doesNotMatch(html, /<script|<link|\bsrc=|url\(/i, 'the page loads nothing from outside');
      assert.ok(lines.some((l) => /^round 3: .* leads in term \d+; first write acknowledged/.test(l)), lines.join('\n'));
      assert.match(lines.at(-1) ?? '', /^verdict: linearizable; 0 lost writes/);
    });
  });

  it('negative control: with --unsafe-local-reads a partitioned old leader serves stale reads and the verdict is not-linearizable', async (t) => {
    await withCluster([...NODE_ARGS, '--unsafe-local-reads'], async (cluster, conn, dir) => {
      const report = await runFailoverDrill({
        conn,
        host: cluster,
        scenario: 'partition-leader',
        rounds: 1,
        clients: 4,
        keys: 4,
        leaderReaders: 2,
        faultMs: 2500,
        settleMs: 300,
        historyFile: join(dir, 'stale.history.jsonl'),
      });
      t.diagnostic(summarize(report));
      assert.equal(report.verdict, 'not-linearizable');
      assert.ok(report.anomalies.length > 0);
      const anomaly = report.anomalies[0];
      assert.ok(anomaly.key.startsWith(`${report.runId}-k`), `anomaly key ${anomaly.key}`);
      assert.ok(anomaly.ops.some((o) => o.op === 'get' && o.status === 'ok'), 'the anomaly shows the stale read');
      assert.match(drillReportHtml(report), new RegExp(`key <code>${anomaly.key}</code>`));
      assert.equal(report.rounds[0].fault, 'partition');
      assert.ok(report.rounds[0].newLeader !== null && report.rounds[0].newLeader !== report.rounds[0].oldLeader);
    });
  });
});

function summarize(report: DrillReport): string {
  const rounds = report.rounds.map((r) => `R${r.round} ${r.fault} ${r.oldLeader}(t${r.oldTerm})→${r.newLeader}(t${r.newTerm}) ${r.unavailabilityMs} ms`);
  return `${report.verdict}, lost ${report.lostWrites}, ops ${JSON.stringify(report.ops)}, ${report.durationMs} ms, check ${report.checkMs} ms; ${rounds.join('; ')}`;
}

/** A made-up report whose strings are all `text`, for rendering. */
function sampleReport(text: string): DrillReport {
  const start = Date.parse('2026-01-01T00:00:00Z');
  return {
    scenario: 'kill-leader',
    startedAt: new Date(start).toISOString(),
    durationMs: 5000,
    rounds: [
      { round: 1, fault: 'kill', target: 'n1', oldLeader: 'n1', newLeader: 'n2', oldTerm: 2, newTerm: 3, unavailabilityMs: 400, injectedAt: start + 1000, faultHeldMs: 900, convergenceMs: 50, notes: [text] },
      { round: 2, fault: 'kill', target: 'n2', oldLeader: 'n2', newLeader: null, oldTerm: 3, newTerm: null, unavailabilityMs: null, injectedAt: start + 3000, faultHeldMs: 900, convergenceMs: null, notes: [] },
    ],
    ops: { ok: 10, failed: 1, unknown: 1 },
    verdict: 'not-linearizable',
    lostWrites: 1,
    anomalies: [
      {
        key: text,
        reason: text,
        ops: [{ id: 1, process: 2, op: 'cas', key: text, value: text, expect: text, status: 'ok', result: text, swapped: false, invokeTime: 1, completeTime: 2 }],
      },
    ],
    historyFile: text,
    reportFiles: { json: text, html: text },
    runId: text,
    members: [text],
    clients: 1,
    keys: 1,
    faultMs: 800,
    unavailability: { min: 400, p50: 400, p90: 400, max: 400 },
    undecidedKeys: [text],
    checkMs: 3,
    timeline: [{ at: start + 1000, kind: 'fault', action: text, target: [text], detail: { why: text } }],
  };
}
