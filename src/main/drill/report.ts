// The drill's report: where it is saved, the unavailability distribution, and writing it as JSON
// and as a self-contained HTML page.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Distribution, DrillReport } from '../../shared/drill.ts';
import { drillReportHtml } from './report-html.ts';

/** Next to the history: `run.history.jsonl` → `run.report.json` and `run.report.html`. */
export function reportPaths(historyFile: string): { json: string; html: string } {
  const base = historyFile.replace(/(\.history)?\.jsonl$/, '');
  return { json: `${base}.report.json`, html: `${base}.report.html` };
}

/** min, median, 90th percentile (nearest rank) and max; null for no values. */
export function distribution(values: readonly number[]): Distribution | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p: number) => sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)];
  return { min: sorted[0], p50: rank(0.5), p90: rank(0.9), max: sorted[sorted.length - 1] };
}

export async function saveDrillReport(report: DrillReport): Promise<void> {
  const { json, html } = report.reportFiles;
  await mkdir(dirname(json), { recursive: true });
  await writeFile(json, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(html, drillReportHtml(report));
}
