// The deterministic cluster simulator's command line: runs seeds S..S+N-1 and prints one summary
// line, or, on the first violated invariant, the seed, the invariant, the last trace events and
// the command that replays it exactly.
//   npm run sim -- --seed 1 --seeds 100 --steps 1000 --nodes 3 [--trace 50]
import { runSeed, sumStats, validateRunOptions, ZERO_STATS, type RunStats } from '../test/sim/runner.ts';

const USAGE = 'usage: npm run sim -- [--seed S] [--seeds N] [--steps K] [--nodes 3|5] [--trace EVENTS]';

interface Args {
  seed: number;
  seeds: number;
  steps: number;
  nodes: number;
  trace: number;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { seed: 1, seeds: 100, steps: 1000, nodes: 3, trace: 50 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const eq = arg.indexOf('=');
    const flag = eq >= 0 ? arg.slice(0, eq) : arg;
    const name = flag.replace(/^--/, '');
    if (!flag.startsWith('--') || !(name in args)) throw new Error(`unknown argument '${arg}'`);
    const raw = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
    if (raw === undefined || raw === '') throw new Error(`${flag} needs a value`);
    if (!/^\d+$/.test(raw)) throw new Error(`${flag} must be a non-negative integer, got '${raw}'`);
    args[name as keyof Args] = Number(raw);
  }
  if (args.seeds < 1) throw new Error('--seeds must be at least 1');
  if (args.trace < 1) throw new Error('--trace must be at least 1');
  validateRunOptions({ seed: args.seed, steps: args.steps, nodes: args.nodes });
  return args;
}

function summary(args: Args, seeds: number, stats: RunStats, violations: number, ms: number): string {
  return [
    `seeds=${seeds}`,
    `steps=${args.steps}`,
    `nodes=${args.nodes}`,
    `elections=${stats.elections}`,
    `commits=${stats.commits}`,
    `snapshots=${stats.snapshots}`,
    `compactions=${stats.compactions}`,
    `confchanges=${stats.confChanges}`,
    `transfers=${stats.transfers}`,
    `crashes=${stats.crashes}`,
    `reads=${stats.reads}`,
    `messages=${stats.messages}`,
    `violations=${violations}`,
    `time=${(ms / 1000).toFixed(1)}s`,
  ].join(' ');
}

function main(): number {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  let args: Args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`sim: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const started = Date.now();
  let stats = ZERO_STATS;
  for (let i = 0; i < args.seeds; i++) {
    const seed = args.seed + i;
    const result = runSeed({ seed, steps: args.steps, nodes: args.nodes, traceCapacity: args.trace });
    stats = sumStats(stats, result.stats);
    if (result.violation) {
      console.log(`VIOLATION seed=${seed} invariant=${result.violation.invariant}`);
      console.log(result.violation.detail);
      console.log(`last ${result.trace.length} events:`);
      for (const line of result.trace) console.log(`  ${line}`);
      console.log(`replay: npm run sim -- --seed ${seed} --seeds 1 --steps ${args.steps} --nodes ${args.nodes}`);
      console.log(summary(args, i + 1, stats, 1, Date.now() - started));
      return 1;
    }
  }
  console.log(summary(args, args.seeds, stats, 0, Date.now() - started));
  return 0;
}

process.exitCode = main();
