// Where a process spent its time: a summary of a V8 .cpuprofile (node --cpu-prof) over one time
// window. Profile timestamps are microseconds of the monotonic clock, the one process.hrtime reads.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface Share {
  name: string;
  ms: number;
  percent: number;
}

export interface ProfileSummary {
  /** Sampled time inside the window, ms. */
  totalMs: number;
  /** Self time by area: a source folder, a package, Node internals, GC, idle. */
  areas: Share[];
  /** Functions by self time. */
  selfTop: Share[];
  /** Functions by inclusive time (a recursive function counted once per sample). */
  totalTop: Share[];
}

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The monotonic clock in microseconds, the clock of profile timestamps. */
export function monotonicMicros(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/** Summarises the samples of `file` taken between `fromUs` and `toUs` (monotonic microseconds). */
export function summariseProfile(file: string, fromUs: number, toUs: number, top = 20): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  if (!Array.isArray(profile.nodes) || !Array.isArray(profile.samples) || !Array.isArray(profile.timeDeltas)) {
    throw new Error(`${file} is not a V8 CPU profile`);
  }
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const child of n.children ?? []) parent.set(child, n.id);

  const self = new Map<string, number>();
  const total = new Map<string, number>();
  const areas = new Map<string, number>();
  const add = (map: Map<string, number>, key: string, us: number) => map.set(key, (map.get(key) ?? 0) + us);
  let totalUs = 0;
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    at += profile.timeDeltas[i];
    // A sample stands for the time until the next one.
    const us = profile.timeDeltas[i + 1] ?? 0;
    if (at < fromUs || at >= toUs) continue;
    const leaf = byId.get(profile.samples[i]);
    if (!leaf) continue;
    totalUs += us;
    add(self, frameName(leaf), us);
    add(areas, areaOf(leaf), us);
    const seen = new Set<string>();
    for (let id: number | undefined = leaf.id; id !== undefined; id = parent.get(id)) {
      const node = byId.get(id);
      if (!node || node.callFrame.functionName === '(root)') continue;
      const name = frameName(node);
      if (!seen.has(name)) add(total, name, us);
      seen.add(name);
    }
  }
  const ranked = (map: Map<string, number>, count: number): Share[] =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, count)
      .map(([name, us]) => ({ name, ms: us / 1000, percent: totalUs === 0 ? 0 : (100 * us) / totalUs }));
  return { totalMs: totalUs / 1000, areas: ranked(areas, top), selfTop: ranked(self, top), totalTop: ranked(total, top) };
}

function frameName(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  if (url === '') return functionName || '(anonymous)';
  return `${functionName || '(anonymous)'} ${shortUrl(url)}:${lineNumber + 1}`;
}

function shortUrl(url: string): string {
  const path = url.startsWith('file://') ? fileURLToPath(url.split('?')[0]) : url;
  return path.startsWith(REPO_ROOT) ? path.slice(REPO_ROOT.length) : path;
}

/** src/node/storage, node_modules/ws, node:internal, (garbage collector), ... */
function areaOf(node: ProfileNode): string {
  const { url, functionName } = node.callFrame;
  if (url === '') return functionName || '(anonymous)';
  const path = shortUrl(url);
  if (path.startsWith('node:')) return 'node: internals';
  const pkg = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  if (pkg) return `node_modules/${pkg[1]}`;
  const parts = path.split('/');
  return parts.length > 1 ? parts.slice(0, -1).join('/') : path;
}

export function formatSummary(summary: ProfileSummary): string {
  const table = (title: string, shares: Share[]) => [
    title,
    ...shares.map((s) => `  ${s.percent.toFixed(1).padStart(5)}%  ${s.ms.toFixed(0).padStart(7)} ms  ${s.name}`),
  ];
  return [
    `sampled ${summary.totalMs.toFixed(0)} ms in the measured window`,
    ...table('self time by area:', summary.areas),
    ...table('self time by function:', summary.selfTop),
    ...table('total (inclusive) time by function:', summary.totalTop),
  ].join('\n');
}
