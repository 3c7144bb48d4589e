// The drill report as one self-contained HTML page: inline CSS, inline SVG for the timeline and the
// unavailability chart, no scripts and no external resources (its Content-Security-Policy forbids
// them). Every string from the report is escaped.
import type { DrillAnomaly, DrillOperation, DrillReport, DrillRound, TimelineEntry } from '../../shared/drill.ts';

const WIDTH = 960;
const MARGIN = { left: 56, right: 24 };
const PLOT = WIDTH - MARGIN.left - MARGIN.right;

const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px auto; max-width: ${WIDTH + 40}px; color: #1d2430; }
h1 { font-size: 22px; margin: 0 0 8px; } h2 { font-size: 17px; margin: 28px 0 8px; }
.verdict { display: inline-block; padding: 4px 12px; border-radius: 4px; font-weight: 600; color: #fff; }
.verdict.linearizable { background: #23864a; } .verdict.not-linearizable { background: #c0392b; } .verdict.unknown { background: #b7791f; }
dl.summary { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; }
dl.summary dt { color: #5a6473; } dl.summary dd { margin: 0; }
table { border-collapse: collapse; width: 100%; } th, td { text-align: left; padding: 3px 8px; border-bottom: 1px solid #e2e6ec; vertical-align: top; }
th { background: #f3f5f8; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
code { font: 12px ui-monospace, monospace; word-break: break-all; }
.anomaly { border-left: 4px solid #c0392b; padding: 4px 12px; margin: 12px 0; background: #fdf3f2; }
svg text { font: 11px system-ui, sans-serif; fill: #3c4553; }
.held { fill: #f6d7a7; } .unavailable { fill: #e06c5a; } .bar { fill: #4a78c2; }
.kind-fault { fill: #c0392b; stroke: #c0392b; } .kind-revert { fill: #23864a; stroke: #23864a; }
.kind-heal { fill: #1f6fb2; stroke: #1f6fb2; } .kind-note { fill: #7a8594; stroke: #7a8594; }
.axis { stroke: #9aa3af; } .grid { stroke: #e2e6ec; }
`;

export function drillReportHtml(report: DrillReport): string {
  const title = `Failover drill: ${report.scenario}`;
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
    `<title>${esc(title)} — ${esc(report.verdict)}</title>`,
    `<style>${STYLE}</style></head><body>`,
    `<h1>${esc(title)}</h1>`,
    `<p><span class="verdict ${esc(report.verdict)}">${esc(report.verdict)}</span></p>`,
    summary(report),
    '<h2>Timeline</h2>',
    timelineSvg(report),
    '<h2>Unavailability per round</h2>',
    unavailabilitySvg(report.rounds),
    '<h2>Rounds</h2>',
    roundsTable(report.rounds),
    `<h2>Anomalies (${report.anomalies.length})</h2>`,
    report.anomalies.length === 0 ? '<p>None: the checker found no operation out of order and no lost write.</p>' : report.anomalies.map(anomaly).join('\n'),
    `<h2>Events (${report.timeline.length})</h2>`,
    eventsTable(report),
    '</body></html>',
    '',
  ].join('\n');
}

function summary(report: DrillReport): string {
  const u = report.unavailability;
  const rows: [string, string][] = [
    ['started', report.startedAt],
    ['duration', `${(report.durationMs / 1000).toFixed(1)} s`],
    ['members', report.members.join(', ')],
    ['workload', `${report.clients} clients, ${report.keys} keys (prefix ${report.runId}), each fault kept ≥ ${report.faultMs} ms`],
    ['operations', `${report.ops.ok} ok, ${report.ops.failed} failed, ${report.ops.unknown} unknown`],
    ['lost writes', String(report.lostWrites)],
    ['unavailability', u ? `min ${ms(u.min)}, p50 ${ms(u.p50)}, p90 ${ms(u.p90)}, max ${ms(u.max)}` : 'not measured'],
    ['undecided keys', report.undecidedKeys.length === 0 ? 'none' : report.undecidedKeys.join(', ')],
    ['check', `${report.checkMs} ms`],
    ['history', report.historyFile],
  ];
  return `<dl class="summary">${rows.map(([term, text]) => `<dt>${esc(term)}</dt><dd>${esc(text)}</dd>`).join('')}</dl>`;
}

/** The fault of each round (kept: light; unavailable: red) over time, with every timeline event as a mark. */
function timelineSvg(report: DrillReport): string {
  const start = Date.parse(report.startedAt);
  const span = Math.max(1, report.durationMs);
  const x = (at: number) => MARGIN.left + (Math.min(Math.max(at - start, 0), span) / span) * PLOT;
  const height = 130;
  const parts: string[] = [];
  for (const tick of ticks(span)) {
    const tx = x(start + tick);
    parts.push(`<line class="grid" x1="${f(tx)}" y1="10" x2="${f(tx)}" y2="100"/>`);
    parts.push(`<text x="${f(tx)}" y="116" text-anchor="middle">${esc(`${tick / 1000} s`)}</text>`);
  }
  parts.push(`<line class="axis" x1="${MARGIN.left}" y1="100" x2="${WIDTH - MARGIN.right}" y2="100"/>`);
  parts.push('<text x="4" y="38">faults</text><text x="4" y="80">events</text>');
  for (const round of report.rounds) {
    const from = x(round.injectedAt);
    const held = Math.max(1, x(round.injectedAt + round.faultHeldMs) - from);
    const label = `round ${round.round}: ${round.fault} ${round.target}; unavailable ${ms(round.unavailabilityMs)}; kept ${ms(round.faultHeldMs)}`;
    parts.push(`<rect class="held" x="${f(from)}" y="18" width="${f(held)}" height="30"><title>${esc(label)}</title></rect>`);
    if (round.unavailabilityMs !== null) {
      const down = Math.max(1, x(round.injectedAt + round.unavailabilityMs) - from);
      parts.push(`<rect class="unavailable" x="${f(from)}" y="18" width="${f(down)}" height="30"><title>${esc(label)}</title></rect>`);
    }
    parts.push(`<text x="${f(from + 2)}" y="60">${esc(`R${round.round} ${round.fault}`)}</text>`);
  }
  for (const entry of report.timeline) {
    const ex = x(entry.at);
    parts.push(
      `<g class="kind-${esc(entry.kind)}"><line x1="${f(ex)}" y1="68" x2="${f(ex)}" y2="92"/>` +
        `<circle cx="${f(ex)}" cy="76" r="4"><title>${esc(describeEntry(entry, start))}</title></circle></g>`,
    );
  }
  return svg(height, 'drill timeline', parts);
}

/** One bar per round, its height the unavailability. */
function unavailabilitySvg(rounds: DrillRound[]): string {
  const height = 200;
  const top = 20;
  const bottom = 160;
  const max = Math.max(1, ...rounds.map((r) => r.unavailabilityMs ?? 0));
  const slot = PLOT / Math.max(1, rounds.length);
  const barWidth = Math.min(60, slot * 0.6);
  const parts: string[] = [`<line class="axis" x1="${MARGIN.left}" y1="${bottom}" x2="${WIDTH - MARGIN.right}" y2="${bottom}"/>`];
  parts.push(`<text x="4" y="${top + 4}">${esc(ms(max))}</text><text x="4" y="${bottom}">0</text>`);
  rounds.forEach((round, i) => {
    const cx = MARGIN.left + slot * (i + 0.5);
    const value = round.unavailabilityMs;
    if (value !== null) {
      const barHeight = ((bottom - top) * value) / max;
      parts.push(
        `<rect class="bar" x="${f(cx - barWidth / 2)}" y="${f(bottom - barHeight)}" width="${f(barWidth)}" height="${f(barHeight)}">` +
          `<title>${esc(`round ${round.round}: ${ms(value)}`)}</title></rect>`,
      );
    }
    const labelY = value === null ? bottom - 4 : bottom - ((bottom - top) * value) / max - 4;
    parts.push(`<text x="${f(cx)}" y="${f(labelY)}" text-anchor="middle">${esc(ms(value))}</text>`);
    parts.push(`<text x="${f(cx)}" y="${bottom + 16}" text-anchor="middle">${esc(`R${round.round} ${round.fault}`)}</text>`);
  });
  return svg(height, 'unavailability per round', parts);
}

function roundsTable(rounds: DrillRound[]): string {
  const head = ['round', 'fault', 'target', 'old leader (term)', 'new leader (term)', 'unavailable', 'kept', 'caught up in', 'notes'];
  const rows = rounds.map((r) =>
    row([
      cell(r.round, true),
      cell(r.fault),
      cell(r.target),
      cell(`${r.oldLeader} (${r.oldTerm})`),
      cell(r.newLeader === null ? '—' : `${r.newLeader} (${r.newTerm})`),
      cell(ms(r.unavailabilityMs), true),
      cell(ms(r.faultHeldMs), true),
      cell(ms(r.convergenceMs), true),
      cell(r.notes.join('; ')),
    ]),
  );
  return table(head, rows);
}

function anomaly(a: DrillAnomaly): string {
  const head = ['#', 'process', 'op', 'call', 'outcome', 'invoked (ms)', 'completed (ms)'];
  return (
    `<div class="anomaly"><p><strong>key <code>${esc(a.key)}</code></strong></p><p>${esc(a.reason)}</p>` +
    table(head, a.ops.map(operationRow)) +
    '</div>'
  );
}

function operationRow(o: DrillOperation): string {
  const call = o.op === 'put' ? `= ${value(o.value)}` : o.op === 'cas' ? `${value(o.expect)} → ${value(o.value)}` : '';
  let outcome: string = o.status === 'fail' ? 'failed' : o.status === 'info' ? 'unknown' : 'ok';
  if (o.status === 'ok' && o.op === 'get') outcome = `read ${value(o.result)}`;
  if (o.status === 'ok' && o.op === 'cas') outcome = o.swapped ? 'swapped' : `not swapped, value ${value(o.result)}`;
  return row([
    cell(o.id, true),
    cell(o.process, true),
    cell(o.op),
    `<td><code>${esc(call)}</code></td>`,
    `<td><code>${esc(outcome)}</code></td>`,
    cell(o.invokeTime.toFixed(1), true),
    cell(o.completeTime === null ? '—' : o.completeTime.toFixed(1), true),
  ]);
}

function eventsTable(report: DrillReport): string {
  const start = Date.parse(report.startedAt);
  const rows = report.timeline.map((e) =>
    row([cell(`${((e.at - start) / 1000).toFixed(2)} s`, true), cell(e.kind), cell(e.action), cell((e.target ?? []).join(', ')), cell(e.detail ? JSON.stringify(e.detail) : '')]),
  );
  return table(['at', 'kind', 'action', 'members', 'detail'], rows);
}

function describeEntry(entry: TimelineEntry, start: number): string {
  const target = entry.target && entry.target.length > 0 ? ` ${entry.target.join(', ')}` : '';
  const detail = entry.detail ? ` ${JSON.stringify(entry.detail)}` : '';
  return `${((entry.at - start) / 1000).toFixed(2)} s: ${entry.kind} ${entry.action}${target}${detail}`;
}

/** Round tick positions, ms from the start, about eight across the span. */
function ticks(span: number): number[] {
  const steps = [500, 1_000, 2_000, 5_000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 1_800_000, 3_600_000];
  const step = steps.find((s) => span / s <= 10) ?? Math.ceil(span / 10);
  const result: number[] = [];
  for (let t = 0; t <= span; t += step) result.push(t);
  return result;
}

function svg(height: number, label: string, parts: string[]): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label="${esc(label)}">${parts.join('')}</svg>`;
}

function table(head: string[], rows: string[]): string {
  return `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function row(cells: string[]): string {
  return `<tr>${cells.join('')}</tr>`;
}

function cell(text: string | number, numeric = false): string {
  return `<td${numeric ? ' class="num"' : ''}>${esc(text)}</td>`;
}

function ms(value: number | null): string {
  return value === null ? '—' : `${value.toFixed(1)} ms`;
}

function value(v: string | null | undefined): string {
  return v === null || v === undefined ? 'absent' : JSON.stringify(v);
}

function f(n: number): string {
  return n.toFixed(1);
}

/** Text safe in HTML content and in quoted attributes. */
export function esc(text: string | number): string {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
