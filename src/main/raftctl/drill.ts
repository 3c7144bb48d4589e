// `drill failover`: run the failover drill (src/main/drill) and save its report as FILE (JSON) and
// FILE with .html; the history goes next to them. Progress lines go to stderr; --json prints the
// report. Exits 0 only when the history is linearizable and no acknowledged write was lost.
import { rm, writeFile } from 'node:fs/promises';
import { DRILL_SCENARIOS, type DrillReport } from '../../shared/drill.ts';
import { runFailoverDrill } from '../drill/drill.ts';
import { drillReportHtml } from '../drill/report-html.ts';
import { FaultInjector } from '../ops/faults.ts';
import { CommandError, type Command } from './command.ts';
import type { ClusterAccess } from './cluster-access.ts';
import { watchInterrupt } from './interrupt.ts';
import { formatMs, formatTable, type Output } from './output.ts';

export const drillFailoverCommand: Command = {
  name: 'drill failover',
  operands: '',
  operandCount: [0, 0],
  summary: 'fault the leader N times under a recorded workload, check it, save a report',
  details: [
    'Each round waits for a steady leader, injects the scenario\'s fault on it, measures the time until',
    'a write is acknowledged again, undoes the fault and waits for the members to converge. Then the',
    'whole history is checked for linearizability and lost writes.',
    'Scenarios: kill-leader (SIGKILL with --dir, the crash op otherwise), partition-leader,',
    'pause-leader (SIGSTOP with --dir), sequence (kill, partition, pause in turn).',
    'Writes FILE (JSON), FILE with .html and the history (FILE with .history.jsonl).',
    'Exits 0 when linearizable with no lost writes, 1 otherwise. Ctrl-C heals the cluster and stops.',
  ],
  flags: {
    rounds: 'how many faults, 1 to 1000',
    scenario: `${DRILL_SCENARIOS.join(' | ')} (default kill-leader)`,
    report: 'where to write the report (JSON); the HTML page and the history go next to it',
    clients: 'concurrent workload clients, 1 to 256 (default 8)',
  },
  requiredFlags: ['rounds', 'report'],
  reachesCluster: true,
  async run({ flags, cluster, out }) {
    const rounds = flags.int('rounds', { min: 1, max: 1000 });
    const scenario = flags.choice('scenario', DRILL_SCENARIOS, 'kill-leader');
    const files = reportFiles(flags.requiredString('report'));
    const clients = flags.has('clients') ? flags.int('clients', { min: 1, max: 256 }) : undefined;
    const access = await cluster();
    const host = await access.host();
    const conn = await access.connectToLeader();
    const interrupt = watchInterrupt();
    let report: DrillReport;
    try {
      const drill = runFailoverDrill({
        conn,
        host,
        scenario,
        rounds,
        historyFile: files.history,
        auth: access.auth,
        onProgress: (line) => out.progress(line),
        ...(clients === undefined ? {} : { clients }),
      });
      const outcome = await Promise.race([drill, interrupt.signalled]);
      if (outcome === 'interrupted') {
        out.progress('interrupted: healing the cluster');
        await heal(access);
        throw new CommandError('interrupted; the drill was abandoned and the cluster healed', 130);
      }
      report = outcome;
    } finally {
      interrupt.stop();
    }
    await saveAs(report, files);
    out.progress(`saved ${files.json} and ${files.html}`);
    if (out.json) out.data(report);
    else printReport(out, report);
    if (report.verdict !== 'linearizable' || report.lostWrites > 0) {
      throw new CommandError(`drill failed: ${report.verdict}, ${report.lostWrites} lost writes, ${report.anomalies.length} anomalies (see ${files.json})`);
    }
    return 0;
  },
};

interface ReportFiles {
  json: string;
  html: string;
  history: string;
}

/** `drill.json` → `drill.html`, `drill.history.jsonl`; a name without .json gets the suffixes added. */
export function reportFiles(json: string): ReportFiles {
  const base = json.endsWith('.json') ? json.slice(0, -'.json'.length) : json;
  return { json, html: `${base}.html`, history: `${base}.history.jsonl` };
}

/** The drill saves its report next to the history; move it where --report asked. */
async function saveAs(report: DrillReport, files: ReportFiles): Promise<void> {
  const saved = report.reportFiles;
  report.reportFiles = { json: files.json, html: files.html };
  await writeFile(files.json, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(files.html, drillReportHtml(report));
  if (saved.json !== files.json) await rm(saved.json, { force: true });
  if (saved.html !== files.html) await rm(saved.html, { force: true });
}

/** After an interrupted drill: clear message faults, resume paused members, start stopped ones. */
async function heal(access: ClusterAccess): Promise<void> {
  const host = await access.host();
  const injector = new FaultInjector(await access.connect(), { host });
  try {
    await injector.heal();
    const stopped = host?.members().filter((m) => m.state === 'stopped' || m.state === 'exited') ?? [];
    await Promise.all(stopped.map((m) => host?.start(m.id)));
  } finally {
    injector.close();
  }
}

function printReport(out: Output, report: DrillReport): void {
  const rows = report.rounds.map((r) => [
    String(r.round),
    r.fault,
    r.target,
    `${r.oldLeader} → ${r.newLeader ?? '-'}`,
    `${r.oldTerm} → ${r.newTerm ?? '-'}`,
    r.unavailabilityMs === null ? '-' : formatMs(r.unavailabilityMs),
  ]);
  out.line(`${report.scenario} drill, ${report.rounds.length} rounds in ${formatMs(report.durationMs)}`);
  out.line(formatTable(['ROUND', 'FAULT', 'TARGET', 'LEADER', 'TERM', 'UNAVAILABLE'], rows));
  out.line(`ops: ${report.ops.ok} ok, ${report.ops.failed} failed, ${report.ops.unknown} unknown`);
  out.line(`verdict: ${report.verdict}; lost writes: ${report.lostWrites}; anomalies: ${report.anomalies.length}`);
  for (const anomaly of report.anomalies) out.line(`  key ${JSON.stringify(anomaly.key)}: ${anomaly.reason}`);
  out.line(`report: ${report.reportFiles.json}, ${report.reportFiles.html}; history: ${report.historyFile}`);
}
