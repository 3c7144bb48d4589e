// The command line, read: every flag raftctl knows (with whether it takes a value), the words that
// name the command and its operands, and typed, validated access to flag values. Every problem is
// a UsageError whose message is one line a person can act on.

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

interface FlagInfo {
  /** What the value is called in help (`--rounds N`); absent for a switch. */
  value?: string;
}

/** Every flag of every command: a name means the same kind of thing everywhere. */
export const FLAGS = {
  help: {},
  json: {},
  endpoints: { value: 'URL,...' },
  dir: { value: 'DIR' },
  'token-file': { value: 'FILE' },
  'ca-file': { value: 'FILE' },
  'cert-file': { value: 'FILE' },
  'key-file': { value: 'FILE' },
  'timeout-ms': { value: 'MS' },
  serializable: {},
  absent: {},
  learner: {},
  'revert-after': { value: 'MS' },
  ms: { value: 'N' },
  'delay-ms': { value: 'N' },
  'jitter-ms': { value: 'N' },
  loss: { value: 'R' },
  nodes: { value: 'N' },
  name: { value: 'NAME' },
  rounds: { value: 'N' },
  scenario: { value: 'NAME' },
  report: { value: 'FILE' },
  clients: { value: 'N' },
  seconds: { value: 'S' },
  'value-size': { value: 'B' },
} satisfies Record<string, FlagInfo>;

export type FlagName = keyof typeof FLAGS;

export function flagValueName(name: FlagName): string | undefined {
  return (FLAGS[name] as FlagInfo).value;
}

function isFlagName(name: string): name is FlagName {
  return Object.hasOwn(FLAGS, name);
}

export interface CommandLine {
  /** Words that are not flags, in order: the command, its subcommand, its operands. */
  words: string[];
  flags: Map<FlagName, string | true>;
  /** Whatever followed a lone `--`, taken as is. */
  rest: string[];
}

/** Splits argv into words and flags: `--flag`, `--flag VALUE`, `--flag=VALUE`, `-h`, and `--`. */
export function readCommandLine(argv: readonly string[]): CommandLine {
  const words: string[] = [];
  const flags = new Map<FlagName, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i];
    if (token === '--') return { words, flags, rest: argv.slice(i + 1) };
    if (token === '-h') {
      flags.set('help', true);
      continue;
    }
    if (!token.startsWith('--')) {
      if (token.startsWith('-') && token.length > 1 && !/^-\d/.test(token)) throw new UsageError(`unknown flag ${token} (flags are spelled --name)`);
      words.push(token);
      continue;
    }
    const eq = token.indexOf('=');
    const name = token.slice(2, eq === -1 ? undefined : eq);
    if (!isFlagName(name)) throw new UsageError(`unknown flag --${name}`);
    if (flags.has(name)) throw new UsageError(`--${name} is given twice`);
    const valueName = flagValueName(name);
    if (valueName === undefined) {
      if (eq !== -1) throw new UsageError(`--${name} takes no value`);
      flags.set(name, true);
      continue;
    }
    let value: string | undefined;
    if (eq !== -1) value = token.slice(eq + 1);
    else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) value = argv[++i];
    if (value === undefined || value === '') throw new UsageError(`--${name} needs a value: --${name} ${valueName}`);
    flags.set(name, value);
  }
  return { words, flags, rest: [] };
}

/** Typed access to the flags a command was given; each accessor validates and explains. */
export class Flags {
  constructor(private readonly given: Map<FlagName, string | true>) {}

  has(name: FlagName): boolean {
    return this.given.has(name);
  }

  bool(name: FlagName): boolean {
    return this.given.get(name) === true;
  }

  string(name: FlagName): string | undefined {
    const value = this.given.get(name);
    return typeof value === 'string' ? value : undefined;
  }

  requiredString(name: FlagName): string {
    const value = this.string(name);
    if (value === undefined) throw new UsageError(`--${name} ${flagValueName(name)} is required`);
    return value;
  }

  /** A whole number from `min` to `max`; `fallback` when the flag is absent (required when there is none). */
  int(name: FlagName, range: { min: number; max: number }, fallback?: number): number {
    const text = this.string(name);
    if (text === undefined) {
      if (fallback === undefined) throw new UsageError(`--${name} ${flagValueName(name)} is required`);
      return fallback;
    }
    return parseIntIn(text, range, `--${name}`);
  }

  /** A number from `min` to `max`, fractions allowed; undefined when absent. */
  number(name: FlagName, range: { min: number; max: number }): number | undefined {
    const text = this.string(name);
    if (text === undefined) return undefined;
    const value = Number(text);
    if (text.trim() === '' || !Number.isFinite(value) || value < range.min || value > range.max) {
      throw new UsageError(`--${name} must be a number from ${range.min} to ${range.max}, got "${text}"`);
    }
    return value;
  }

  /** One of `choices`; `fallback` when absent. */
  choice<T extends string>(name: FlagName, choices: readonly T[], fallback: T): T {
    const text = this.string(name);
    if (text === undefined) return fallback;
    if (!(choices as readonly string[]).includes(text)) throw new UsageError(`--${name} must be one of ${choices.join(', ')}, got "${text}"`);
    return text as T;
  }
}

export function parseIntIn(text: string, range: { min: number; max: number }, what: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < range.min || value > range.max) {
    throw new UsageError(`${what} must be a whole number from ${range.min} to ${range.max}, got "${text}"`);
  }
  return value;
}
