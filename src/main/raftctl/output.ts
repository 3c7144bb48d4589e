// What raftctl prints: results on stdout (a table or lines for people, one JSON document with
// --json), progress and the one-line error on stderr, so that stdout stays parseable.
import type { Writable } from 'node:stream';

export class Output {
  constructor(
    readonly json: boolean,
    private readonly stdout: Writable = process.stdout,
    private readonly stderr: Writable = process.stderr,
  ) {}

  /** A result line for people (ignored with --json: the command prints its JSON instead). */
  line(text = ''): void {
    if (!this.json) this.stdout.write(`${text}\n`);
  }

  /** The machine result: one JSON document. */
  data(value: unknown): void {
    this.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  /** One record of a stream of results (a long-running command with --json): one JSON line. */
  record(value: unknown): void {
    this.stdout.write(`${JSON.stringify(value)}\n`);
  }

  /** For people, in both modes: what a long operation is doing now. */
  progress(text: string): void {
    this.stderr.write(`${text}\n`);
  }

  table(headers: readonly string[], rows: readonly (readonly string[])[]): void {
    this.line(formatTable(headers, rows));
  }
}

/** Columns padded to their widest cell, two spaces apart; numbers would read fine left-aligned too. */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)));
  const format = (cells: readonly string[]): string =>
    cells
      .map((cell, column) => cell.padEnd(widths[column]))
      .join('  ')
      .trimEnd();
  return [format(headers), ...rows.map(format)].join('\n');
}

/** One line, however many the message had: an error on stderr is always a single line. */
export function oneLine(text: string): string {
  return text
    .split('\n')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .join(' | ');
}

export function formatMs(ms: number): string {
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}
