// What the page gets of a drill's report: everything but the history's operations and the timeline,
// which the reports saved on disk hold (a report with many anomalies is large).
import type { DrillSummary } from '../../shared/api.ts';
import type { DrillReport } from '../../shared/drill.ts';

const ANOMALIES_SHOWN = 5;

export function summarizeDrill(report: DrillReport): DrillSummary {
  const { scenario, startedAt, durationMs, faultMs, rounds, ops, verdict, lostWrites, unavailability, historyFile, reportFiles } = report;
  return {
    scenario,
    startedAt,
    durationMs,
    faultMs,
    rounds,
    ops,
    verdict,
    lostWrites,
    unavailability,
    historyFile,
    reportFiles,
    anomalyCount: report.anomalies.length,
    anomalies: report.anomalies.slice(0, ANOMALIES_SHOWN).map(({ key, reason }) => ({ key, reason })),
  };
}
